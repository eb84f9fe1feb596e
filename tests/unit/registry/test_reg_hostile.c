/* Unit tests of the registry client against hostile registries served by
 * tests/fixtures/hostilereg.py on loopback (no stack services):
 *  - a 401 from a redirect target is an error, never a challenge: its
 *    realm gets no credentials and is not remembered for later requests;
 *  - a realm on another host gets credentials only when the registry's
 *    own /v2/ names it (Docker's rule), never with strict_realm;
 *  - pagination that alternates links, goes back, or never ends fails
 *    with a clear error within its caps;
 *  - invalid names in a catalog are skipped and counted, not fatal. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "registry/registry.h"
#include "testutil.h"
#include "t_hostilereg.h"

/* What origin name ("A", "B", "C") saw: a JSON array of
 * [method, path, authorization]. Caller decrefs the returned root. */
static json_t *fx_stats(t_hreg *f, const char *name, json_t **root)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "python3 -c \"import urllib.request,sys;"
             "sys.stdout.write(urllib.request.urlopen('%s/__stats').read().decode())\"",
             f->base);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t je;
    *root = json_loadf(p, 0, &je);
    pclose(p);
    assert_non_null(*root);
    return json_object_get(*root, name);
}

/* Requests seen by origin name whose Authorization starts with prefix
 * (NULL prefix: every request). */
static size_t fx_count(t_hreg *f, const char *name, const char *path_part, const char *prefix)
{
    json_t *root, *arr = fx_stats(f, name, &root), *v;
    size_t i, n = 0;
    json_array_foreach(arr, i, v)
    {
        const char *path = json_string_value(json_array_get(v, 1));
        const char *a = json_string_value(json_array_get(v, 2));
        if (path_part && !strstr(path, path_part))
            continue;
        if (!prefix || (a && strncmp(a, prefix, strlen(prefix)) == 0))
            n++;
    }
    json_decref(root);
    return n;
}

static sf_reg *open_reg(t_hreg *f, int strict, long pages, long entries)
{
    sf_reg *r = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_reg_opts o = {.url = f->base, .username = "alice", .password = "s3cret-pw",
                     .insecure = 1, .max_retries = 0, .strict_realm = strict,
                     .list_max_pages = pages, .list_max_entries = entries};
    assert_int_equal(sf_reg_new(&r, &o, &e), SF_OK);
    return r;
}

static int null_sink(void *ctx, const void *d, size_t n)
{
    (void)ctx, (void)d, (void)n;
    return SF_OK;
}

static const char *BLOB = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

static int get_manifest(sf_reg *r, const char *repo, sf_error *e)
{
    sf_buf b;
    char mt[128], dg[SF_DIGEST_MAX];
    sf_buf_init(&b, 0);
    int rc = sf_reg_get_manifest(r, repo, "latest", &b, mt, sizeof mt, dg, e);
    sf_buf_free(&b);
    return rc;
}

static void test_reg_hostile__redirect_401_is_not_a_challenge(void **state)
{
    (void)state;
    t_hreg f;
    t_hreg_start(&f, "redirect-auth");
    sf_reg *r = open_reg(&f, 0, 0, 0);
    sf_error e = SF_ERROR_INIT;
    /* Job 1: learns the registry is bearer and caches a token for the
     * repository, so the blob GET goes out with it (round 0). */
    assert_int_equal(get_manifest(r, "lib/app", &e), SF_OK);
    e = (sf_error)SF_ERROR_INIT;
    int rc = sf_reg_get_blob(r, "lib/app", BLOB, null_sink, NULL, &e);
    assert_int_equal(rc, SF_EAUTH);
    assert_non_null(strstr(e.msg, "redirect target"));
    assert_null(strstr(e.msg, "s3cret"));
    /* A later job on another repository still uses the registry's realm. */
    e = (sf_error)SF_ERROR_INIT;
    assert_int_equal(get_manifest(r, "lib/other", &e), SF_OK);
    assert_int_equal(fx_count(&f, "C", NULL, NULL), 0);        /* third server: nothing */
    assert_int_equal(fx_count(&f, "B", NULL, "Basic"), 0);     /* blob origin: no creds */
    assert_int_equal(fx_count(&f, "B", NULL, "Bearer"), 0);
    assert_true(fx_count(&f, "A", "/token", "Basic") >= 2);   /* own realm, both repos */
    assert_int_equal(fx_count(&f, "A", "lib%2Fother", "Basic"), 1);
    sf_reg_free(r);
    t_hreg_stop(&f);
}

static void test_reg_hostile__foreign_realm_named_by_v2_gets_credentials(void **state)
{
    (void)state;
    t_hreg f;
    t_hreg_start(&f, "realm-v2-third");
    sf_reg *r = open_reg(&f, 0, 0, 0);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(get_manifest(r, "lib/app", &e), SF_OK);
    assert_true(fx_count(&f, "C", "/token", "Basic") >= 1);
    assert_int_equal(fx_count(&f, "A", "/v2/", NULL) >= 1, 1);
    sf_reg_free(r);
    /* strict_realm: the same realm never sees the credentials. */
    r = open_reg(&f, 1, 0, 0);
    e = (sf_error)SF_ERROR_INIT;
    size_t before = fx_count(&f, "C", "/token", "Basic");
    assert_int_equal(get_manifest(r, "lib/app", &e), SF_EAUTH);
    assert_non_null(strstr(e.msg, "anonymous"));
    assert_int_equal(fx_count(&f, "C", "/token", "Basic"), before);
    sf_reg_free(r);
    t_hreg_stop(&f);
}

static void test_reg_hostile__realm_not_named_by_v2_is_refused(void **state)
{
    (void)state;
    t_hreg f;
    t_hreg_start(&f, "realm-mismatch");
    sf_reg *r = open_reg(&f, 0, 0, 0);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(get_manifest(r, "lib/app", &e), SF_EAUTH);
    assert_non_null(strstr(e.msg, "credentials withheld"));
    assert_int_equal(fx_count(&f, "B", NULL, NULL), 0);
    sf_reg_free(r);
    t_hreg_stop(&f);
}

typedef struct names {
    char v[64][64];
    int n;
} names;

static int collect(void *ctx, const char *name)
{
    names *l = ctx;
    if (l->n < 64)
        snprintf(l->v[l->n++], sizeof l->v[0], "%s", name);
    return SF_OK;
}

static void test_reg_hostile__catalog_alternating_links_fail(void **state)
{
    (void)state;
    t_hreg f;
    t_hreg_start(&f, "catalog-alternate");
    sf_reg *r = open_reg(&f, 0, 0, 0);
    sf_error e = SF_ERROR_INIT;
    names l = {.n = 0};
    assert_int_equal(sf_reg_catalog(r, 2, collect, &l, &e), SF_EPARSE);
    assert_non_null(strstr(e.msg, "does not progress"));
    assert_true(l.n <= 3);
    assert_true(fx_count(&f, "A", "_catalog", NULL) <= 2);
    sf_reg_free(r);
    t_hreg_stop(&f);
}

static void test_reg_hostile__tags_repeated_last_fails(void **state)
{
    (void)state;
    t_hreg f;
    t_hreg_start(&f, "tags-alternate");
    sf_reg *r = open_reg(&f, 0, 0, 0);
    sf_error e = SF_ERROR_INIT;
    names l = {.n = 0};
    assert_int_equal(sf_reg_tags(r, "lib/app", 1, collect, &l, &e), SF_EPARSE);
    assert_non_null(strstr(e.msg, "loops"));
    assert_non_null(strstr(e.msg, "last=t1"));
    assert_int_equal(l.n, 4); /* t1 t2 t3 t1: stops at the first repeat */
    sf_reg_free(r);
    t_hreg_stop(&f);
}

static void test_reg_hostile__endless_catalog_hits_caps(void **state)
{
    (void)state;
    t_hreg f;
    t_hreg_start(&f, "catalog-endless");
    sf_reg *r = open_reg(&f, 0, 25, 0);
    sf_error e = SF_ERROR_INIT;
    names l = {.n = 0};
    assert_int_equal(sf_reg_catalog(r, 1, collect, &l, &e), SF_ELIMIT);
    assert_non_null(strstr(e.msg, "more than 25 pages"));
    assert_int_equal(l.n, 25);
    sf_reg_free(r);
    r = open_reg(&f, 0, 0, 10);
    e = (sf_error)SF_ERROR_INIT;
    l.n = 0;
    assert_int_equal(sf_reg_catalog(r, 1, collect, &l, &e), SF_ELIMIT);
    assert_non_null(strstr(e.msg, "more than 10 entries"));
    assert_int_equal(l.n, 10);
    sf_reg_free(r);
    t_hreg_stop(&f);
}

static void test_reg_hostile__bad_names_skipped_not_fatal(void **state)
{
    (void)state;
    t_hreg f;
    t_hreg_start(&f, "catalog-badnames");
    sf_reg *r = open_reg(&f, 0, 0, 0);
    sf_error e = SF_ERROR_INIT;
    names l = {.n = 0};
    assert_int_equal(sf_reg_catalog(r, 100, collect, &l, &e), SF_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "good-a");
    assert_string_equal(l.v[1], "good-b");
    assert_int_equal(sf_reg_names_skipped(r), 3);
    sf_reg_free(r);
    t_hreg_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reg_hostile__redirect_401_is_not_a_challenge),
        cmocka_unit_test(test_reg_hostile__foreign_realm_named_by_v2_gets_credentials),
        cmocka_unit_test(test_reg_hostile__realm_not_named_by_v2_is_refused),
        cmocka_unit_test(test_reg_hostile__catalog_alternating_links_fail),
        cmocka_unit_test(test_reg_hostile__tags_repeated_last_fails),
        cmocka_unit_test(test_reg_hostile__endless_catalog_hits_caps),
        cmocka_unit_test(test_reg_hostile__bad_names_skipped_not_fatal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
