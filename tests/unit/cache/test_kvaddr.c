/* Unit tests of cache/kvaddr: Redis addresses as users write them, and
 * refusals of bad ones that never echo a password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "cache/kvaddr.h"

typedef struct good {
    const char *in, *name, *host;
    int port, db;
    const char *user, *pass;
} good;

static void test_kvaddr_parse__forms(void **state)
{
    (void)state;
    static const good cases[] = {
        {"127.0.0.1:6380", "127.0.0.1:6380", "127.0.0.1", 6380, -1, NULL, NULL},
        {"cache", "cache", "cache", 6379, -1, NULL, NULL},
        {"[::1]:7000", "[::1]:7000", "::1", 7000, -1, NULL, NULL},
        {"redis://cache:6390", "cache:6390", "cache", 6390, -1, NULL, NULL},
        {"redis://cache", "cache", "cache", 6379, -1, NULL, NULL},
        {"redis://cache:6390/", "cache:6390", "cache", 6390, -1, NULL, NULL},
        {"redis://scanfarm:s3cret@10.0.0.5:6380/2", "10.0.0.5:6380", "10.0.0.5", 6380, 2,
         "scanfarm", "s3cret"},
        {"redis://:onlypass@h:1", "h:1", "h", 1, -1, NULL, "onlypass"},
        {"redis://onlypass@h", "h", "h", 6379, -1, NULL, "onlypass"},
        {"REDIS://u:p%40ss%3Aw0rd%25@[::1]:6379/0", "[::1]:6379", "::1", 6379, 0, "u",
         "p@ss:w0rd%"},
        {"redis://u:a@b@host:2", "host:2", "host", 2, -1, "u", "a@b"},
        {"rediss://u:p%2Cw@cache.example:6380/1", "cache.example:6380", "cache.example", 6380,
         1, "u", "p,w"},
        {"REDISS://h", "h", "h", 6379, -1, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const good *g = &cases[i];
        sf_kvaddr a;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_kvaddr_parse(&a, g->in, &e), SF_OK);
        assert_string_equal(a.name, g->name);
        assert_string_equal(a.host, g->host);
        assert_int_equal(a.port, g->port);
        assert_int_equal(a.db, g->db);
        assert_int_equal(a.tls, strncasecmp(g->in, "rediss://", 9) == 0);
        if (g->user)
            assert_string_equal(a.user, g->user);
        else
            assert_null(a.user);
        if (g->pass)
            assert_string_equal(a.pass, g->pass);
        else
            assert_null(a.pass);
        sf_kvaddr_clear(&a);
    }
}

static void test_kvaddr_parse__bad_input_clear_error_no_password(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"", "bad Redis address"},
        {"host:0", "bad port"},
        {"host:99999", "bad port"},
        {"host:12x", "bad port"},
        {"[::1", "bad Redis address"},
        {"[::1]x", "bad Redis address"},
        {"redis://", "bad Redis address"},
        {"redis://u:hunter2@", "bad Redis address"},
        {"redis://u:hunter2@h:1/x", "bad database number"},
        {"redis://u:hunter2@h:1/-1", "bad database number"},
        {"redis://u:hun%zzter2@h:1", "bad %-escape"},
        {"redis://u:hunter2%00@h:1", "bad %-escape"},
        {"redis://u:hunter2%4@h:1", "bad %-escape"},
        {"http://u:hunter2@h:1", "unknown scheme"},
        {"rediss://u:hunter2@", "bad Redis address"},
        {"rediss://u:hunter2@h:6380/x", "bad database number"},
        {"redis+sentinel://u:hunter2@h", "unknown scheme"},
        {"redis://u:hun,ter2@h:1", "%2C"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_kvaddr a;
        sf_error e = SF_ERROR_INIT;
        int rc = sf_kvaddr_parse(&a, bad[i][0], &e);
        assert_true(rc == SF_ECONFIG || rc == SF_EUNSUPPORTED);
        if (!strstr(e.msg, bad[i][1]))
            fail_msg("'%s': got '%s', want '%s'", bad[i][0], e.msg, bad[i][1]);
        assert_null(strstr(e.msg, "hunter2"));
        assert_null(a.user);
        assert_null(a.pass);
    }
}

static void test_kvaddr_redact__hides_passwords_only(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"127.0.0.1:6379", "127.0.0.1:6379"},
        {"redis://h:1/2", "redis://h:1/2"},
        {"redis://u:hunter2@h:1/2", "redis://u:***@h:1/2"},
        {"redis://hunter2@h", "redis://:***@h"},
        {"redis://u:hun@ter2@h", "redis://u:***@h"},
        {"rediss://u:hunter2@h:6380", "rediss://u:***@h:6380"},
        {"redis://a:hunter2@h1,b:2,redis://:hunter2@h3", "redis://a:***@h1,b:2,redis://:***@h3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        sf_kvaddr_redact(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    char tiny[12];
    sf_kvaddr_redact("redis://u:hunter2@a-long-host-name:6379", tiny, sizeof tiny);
    assert_null(strstr(tiny, "hunter2"));
    assert_true(strlen(tiny) < sizeof tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kvaddr_parse__forms),
        cmocka_unit_test(test_kvaddr_parse__bad_input_clear_error_no_password),
        cmocka_unit_test(test_kvaddr_redact__hides_passwords_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
