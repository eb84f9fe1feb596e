/* Unit tests of cache/kvslot: key slots with hash tags, CLUSTER SLOTS
 * replies (good and hostile, parsed from RESP bytes by hiredis' reader,
 * as the client reads them) and MOVED/ASK/TRYAGAIN/CLUSTERDOWN lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
#include "cache/kvconn.h"
#include "cache/kvslot.h"

static void test_kvslot_of__crc16_and_hash_tags(void **state)
{
    (void)state;
    assert_int_equal(sf_kvslot_crc16("123456789", 9), 0x31C3); /* the spec's check value */
    assert_int_equal(sf_kvslot_of("foo", 3), 12182);
    assert_int_equal(sf_kvslot_of("bar", 3), 5061);
    /* a tag: only its content counts */
    assert_int_equal(sf_kvslot_of("{foo}:x", 7), 12182);
    assert_int_equal(sf_kvslot_of("a{foo}b{bar}", 12), 12182);
    /* empty tag: the whole key */
    assert_int_equal(sf_kvslot_of("foo{}{bar}", 10), sf_kvslot_crc16("foo{}{bar}", 10) & 16383);
    /* first '{' to the next '}' */
    assert_int_equal(sf_kvslot_of("foo{{bar}}zap", 13), sf_kvslot_crc16("{bar", 4) & 16383);
    /* no closing brace: the whole key */
    assert_int_equal(sf_kvslot_of("x{abc", 5), sf_kvslot_crc16("x{abc", 5) & 16383);
    assert_int_equal(sf_kvslot_of("", 0), 0);
}

static redisReply *parse_resp(const char *resp)
{
    redisReader *r = redisReaderCreate();
    void *out = NULL;
    assert_non_null(r);
    assert_int_equal(redisReaderFeed(r, resp, strlen(resp)), REDIS_OK);
    assert_int_equal(redisReaderGetReply(r, &out), REDIS_OK);
    redisReaderFree(r);
    assert_non_null(out);
    return out;
}

static void test_kvslot_parse__cluster_slots(void **state)
{
    (void)state;
    /* Two masters, one with a replica and an id, one with an unknown
     * endpoint ('?', Redis 7). */
    redisReply *r = parse_resp("*2\r\n"
                               "*4\r\n:0\r\n:8191\r\n"
                               "*3\r\n$9\r\n127.0.0.1\r\n:7001\r\n$3\r\nid1\r\n"
                               "*2\r\n$9\r\n127.0.0.1\r\n:7004\r\n"
                               "*3\r\n:8192\r\n:16383\r\n"
                               "*2\r\n$1\r\n?\r\n:7002\r\n");
    sf_kvslot_range rg[4];
    size_t n = 0;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kvslot_parse_slots(r, rg, 4, &n, &e), SF_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rg[0].start, 0);
    assert_int_equal(rg[0].end, 8191);
    assert_string_equal(rg[0].host, "127.0.0.1");
    assert_int_equal(rg[0].port, 7001);
    assert_string_equal(rg[1].host, "");
    assert_int_equal(rg[1].port, 7002);
    assert_int_equal(sf_kvslot_parse_slots(r, rg, 1, &n, &e), SF_ELIMIT);
    freeReplyObject(r);
}

static void test_kvslot_parse__bad_replies_clear_error(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"+OK\r\n", "not an array"},
        {"*1\r\n:5\r\n", "entry 0 malformed"},
        {"*1\r\n*2\r\n:0\r\n:1\r\n", "entry 0 malformed"},
        {"*1\r\n*3\r\n:5\r\n:4\r\n*2\r\n$1\r\nh\r\n:1\r\n", "bad range 5-4"},
        {"*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n", "bad range"},
        {"*1\r\n*3\r\n:-1\r\n:3\r\n*2\r\n$1\r\nh\r\n:1\r\n", "bad range"},
        {"*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n$1\r\nh\r\n:0\r\n", "bad master"},
        {"*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n$1\r\nh\r\n:65536\r\n", "bad master"},
        {"*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n:1\r\n:1\r\n", "bad master"},
        {"*1\r\n*3\r\n:0\r\n:3\r\n$1\r\nh\r\n", "bad master"},
        {"*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n$3\r\na\0b\r\n:1\r\n", "bad master"},
        {"*1\r\n*3\r\n$1\r\n0\r\n:3\r\n*2\r\n$1\r\nh\r\n:1\r\n", "entry 0 malformed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        redisReader *rd = redisReaderCreate();
        void *out = NULL;
        /* bad[i][0] may hold a NUL: feed its true length */
        size_t len = i == 10 ? 33 : strlen(bad[i][0]);
        redisReaderFeed(rd, bad[i][0], len);
        assert_int_equal(redisReaderGetReply(rd, &out), REDIS_OK);
        redisReaderFree(rd);
        assert_non_null(out);
        sf_kvslot_range rg[4];
        size_t n = 9;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_kvslot_parse_slots(out, rg, 4, &n, &e), SF_EPARSE);
        if (!strstr(e.msg, bad[i][1]))
            fail_msg("case %zu: got '%s', want '%s'", i, e.msg, bad[i][1]);
        freeReplyObject(out);
    }
    sf_kvslot_range rg[1];
    size_t n = 0;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kvslot_parse_slots(NULL, rg, 1, &n, &e), SF_EPARSE);
}

static void test_kvslot_redirect__forms_and_garbage(void **state)
{
    (void)state;
    char host[256];
    int slot = -1, port = 0;
#define R(s) sf_kvslot_redirect(s, strlen(s), &slot, host, &port)
    assert_int_equal(R("MOVED 3999 127.0.0.1:6381"), SF_KVSLOT_MOVED);
    assert_int_equal(slot, 3999);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 6381);
    assert_int_equal(R("ASK 16383 ::1:7000"), SF_KVSLOT_ASK);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 7000);
    assert_int_equal(R("MOVED 0 :7002"), SF_KVSLOT_MOVED); /* unknown endpoint */
    assert_string_equal(host, "");
    assert_int_equal(R("TRYAGAIN Multiple keys request during rehashing of slot"),
                     SF_KVSLOT_TRYAGAIN);
    assert_int_equal(R("CLUSTERDOWN The cluster is down"), SF_KVSLOT_DOWN);
    static const char *const junk[] = {
        "MOVED", "MOVED ", "MOVED 16384 h:1", "MOVED -1 h:1", "MOVED 12 h", "MOVED 12 h:",
        "MOVED 12 h:0", "MOVED 12 h:65536", "MOVED 12 h:12x", "MOVED x h:1", "MOVED 123456 h:1",
        "MOVED 12 h i:1", "ASK 1", "ERR wrong type", "WRONGTYPE Operation", "moved 1 h:1",
        "MOVED 12 h:1234567",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        if (R(junk[i]) != SF_KVSLOT_NONE)
            fail_msg("'%s' taken as a redirection", junk[i]);
    char nul[] = "MOVED 1 h\0x:1";
    assert_int_equal(sf_kvslot_redirect(nul, sizeof nul - 1, &slot, host, &port),
                     SF_KVSLOT_NONE);
#undef R
}

/* A hostile array header is refused before hiredis allocates its element
 * table (444444441 elements = 3.5 GB; the fuzz target ran out of memory
 * on it with the default reader). Small arrays still parse. */
static void test_kvslot_reader__array_header_capped(void **state)
{
    (void)state;
    redisReader *r = sf_kvconn_reader_new();
    void *out = NULL;
    assert_non_null(r);
    const char huge[] = "*444444441\r\n:1\r\n";
    assert_int_equal(redisReaderFeed(r, huge, sizeof huge - 1), REDIS_OK);
    assert_int_equal(redisReaderGetReply(r, &out), REDIS_ERR);
    assert_null(out);
    redisReaderFree(r);
    char at_cap[32];
    snprintf(at_cap, sizeof at_cap, "*%d\r\n", SF_KV_REPLY_ELEMS_MAX + 1);
    r = sf_kvconn_reader_new();
    redisReaderFeed(r, at_cap, strlen(at_cap));
    assert_int_equal(redisReaderGetReply(r, &out), REDIS_ERR);
    redisReaderFree(r);
    r = sf_kvconn_reader_new();
    redisReaderFeed(r, "*2\r\n:1\r\n:2\r\n", strlen("*2\r\n:1\r\n:2\r\n"));
    assert_int_equal(redisReaderGetReply(r, &out), REDIS_OK);
    assert_non_null(out);
    assert_int_equal(((redisReply *)out)->elements, 2);
    freeReplyObject(out);
    redisReaderFree(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kvslot_of__crc16_and_hash_tags),
        cmocka_unit_test(test_kvslot_parse__cluster_slots),
        cmocka_unit_test(test_kvslot_parse__bad_replies_clear_error),
        cmocka_unit_test(test_kvslot_redirect__forms_and_garbage),
        cmocka_unit_test(test_kvslot_reader__array_header_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
