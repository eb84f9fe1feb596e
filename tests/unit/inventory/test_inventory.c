/* Unit tests of common/analyze/inventory: building, JSON and zstd round
 * trips, and strict decoding of corrupt cache values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/inventory.h"
#include "base/limits.h"

/* An inventory like a Debian layer's: one os source, one dpkg source with
 * a package carrying every field, an unparsed rpm source, a whiteout. */
static sf_inventory *sample(void)
{
    sf_inventory *inv = NULL;
    sf_inv_source *s = NULL;
    assert_int_equal(sf_inventory_new(&inv), SF_OK);
    inv->analyzer_version = strdup("a1.os1.dpkg1");
    inv->entries = 1234;
    inv->bytes = 5678901234ULL;
    assert_int_equal(sf_inventory_add_source(inv, "etc/os-release", "os", &s), SF_OK);
    s->os = calloc(1, sizeof *s->os);
    s->os->id = strdup("debian");
    s->os->version_id = strdup("11");
    s->os->codename = strdup("bullseye");
    assert_int_equal(sf_inventory_add_source(inv, "var/lib/dpkg/status", "dpkg", &s), SF_OK);
    sf_pkg p = {.type = SF_PT_DPKG, .layer = -1};
    p.name = "bsdutils";
    p.version = "1:2.36.1-8+deb11u1";
    p.src_name = "util-linux";
    p.src_version = "2.36.1-8+deb11u1";
    p.arch = "amd64";
    p.license = "GPL-2.0";
    assert_int_equal(sf_inv_source_add_pkg(s, &p), SF_OK);
    /* Non-UTF-8 bytes from a package DB must not break the document. */
    sf_pkg q = {.type = SF_PT_DPKG, .layer = -1, .name = "caf\xe9", .version = "1.0"};
    assert_int_equal(sf_inv_source_add_pkg(s, &q), SF_OK);
    assert_int_equal(sf_inventory_add_source(inv, "var/lib/rpm/Packages", "rpm", &s), SF_OK);
    s->status = SF_SRC_UNPARSED;
    s->note = strdup("BerkeleyDB rpm database: not parsed");
    assert_int_equal(sf_inventory_add_whiteout(inv, "usr/share/doc/x"), SF_OK);
    assert_int_equal(sf_inventory_add_opaque(inv, "opt/app"), SF_OK);
    return inv;
}

static void check_sample(const sf_inventory *inv)
{
    assert_string_equal(inv->analyzer_version, "a1.os1.dpkg1");
    assert_int_equal(inv->entries, 1234);
    assert_true(inv->bytes == 5678901234ULL);
    assert_int_equal(inv->nsrcs, 3);
    assert_string_equal(inv->srcs[0].os->codename, "bullseye");
    assert_null(inv->srcs[0].os->pretty_name);
    const sf_inv_source *d = &inv->srcs[1];
    assert_string_equal(d->analyzer, "dpkg");
    assert_int_equal(d->npkgs, 2);
    assert_int_equal(d->pkgs[0].type, SF_PT_DPKG);
    assert_string_equal(d->pkgs[0].src_name, "util-linux");
    assert_string_equal(d->pkgs[0].path, "var/lib/dpkg/status");
    assert_int_equal(d->pkgs[0].layer, -1);
    assert_string_equal(inv->srcs[2].note, "BerkeleyDB rpm database: not parsed");
    assert_int_equal(inv->srcs[2].status, SF_SRC_UNPARSED);
    assert_int_equal(inv->nwhiteouts, 1);
    assert_string_equal(inv->whiteouts[0], "usr/share/doc/x");
    assert_string_equal(inv->opaques[0], "opt/app");
}

static void test_inventory_json__round_trip(void **state)
{
    (void)state;
    sf_inventory *inv = sample(), *back = NULL;
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_inventory_to_json(inv, &b), SF_OK);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_inventory_from_json(&back, b.data, b.len, &e), SF_OK);
    check_sample(back);
    /* The invalid byte became U+FFFD. */
    assert_string_equal(back->srcs[1].pkgs[1].name, "caf\xef\xbf\xbd");
    sf_inventory_free(back);
    sf_inventory_free(inv);
    sf_buf_free(&b);
}

static void test_inventory_zstd__round_trip_and_smaller(void **state)
{
    (void)state;
    sf_inventory *inv = sample(), *back = NULL;
    /* Many packages: the compact form must be much smaller than JSON. */
    sf_inv_source *s = &inv->srcs[1];
    for (int i = 0; i < 2000; i++) {
        char name[32];
        snprintf(name, sizeof name, "lib%d", i);
        sf_pkg p = {.type = SF_PT_DPKG, .layer = -1, .name = name, .version = "2.36-9+deb12u4"};
        assert_int_equal(sf_inv_source_add_pkg(s, &p), SF_OK);
    }
    sf_buf js, z;
    sf_buf_init(&js, 0);
    sf_buf_init(&z, 0);
    assert_int_equal(sf_inventory_to_json(inv, &js), SF_OK);
    assert_int_equal(sf_inventory_encode(inv, &z), SF_OK);
    assert_true(z.len * 4 < js.len);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_inventory_decode(&back, z.data, z.len, &e), SF_OK);
    assert_int_equal(back->srcs[1].npkgs, 2002);
    assert_string_equal(back->srcs[1].pkgs[2001].name, "lib1999");
    sf_inventory_free(back);
    back = NULL;
    /* Truncated frame: a clear error, no inventory. */
    sf_error_clear(&e);
    assert_int_equal(sf_inventory_decode(&back, z.data, z.len / 2, &e), SF_EPARSE);
    assert_null(back);
    assert_non_null(strstr(e.msg, "zstd"));
    /* Not zstd at all. */
    sf_error_clear(&e);
    assert_int_equal(sf_inventory_decode(&back, js.data, js.len, &e), SF_EPARSE);
    assert_null(back);
    sf_inventory_free(inv);
    sf_buf_free(&js);
    sf_buf_free(&z);
}

static void test_inventory_decode__rejects_corrupt_json(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "[]",
        "{\"v\":2}",
        "{\"v\":1,\"sources\":{}}",
        "{\"v\":1,\"sources\":[{\"path\":\"a\"}]}",
        "{\"v\":1,\"sources\":[{\"path\":\"a\",\"analyzer\":\"x\",\"status\":7}]}",
        "{\"v\":1,\"sources\":[{\"path\":\"a\",\"analyzer\":\"x\",\"pkgs\":[{\"version\":\"1\"}]}]}",
        "{\"v\":1,\"sources\":[{\"path\":\"a\",\"analyzer\":\"x\",\"pkgs\":[{\"name\":1}]}]}",
        "{\"v\":1,\"whiteouts\":[3]}",
        "{\"v\":1,\"entries\":-1}",
        "{\"v\":1,\"v\":1}",
        "{\"v\":1,\"error_code\":5}",
        "{\"v\":1,\"sources\":[{\"path\":\"a\",\"analyzer\":\"x\",\"os\":[]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_inventory *inv = NULL;
        sf_error e = SF_ERROR_INIT;
        int rc = sf_inventory_from_json(&inv, bad[i], strlen(bad[i]), &e);
        if (rc == SF_OK)
            fail_msg("accepted: %s", bad[i]);
        assert_null(inv);
        assert_true(e.msg[0] != '\0');
    }
}

static void test_inventory_error__carried(void **state)
{
    (void)state;
    sf_inventory *inv = NULL, *back = NULL;
    assert_int_equal(sf_inventory_new(&inv), SF_OK);
    inv->error_code = SF_ELIMIT;
    inv->error = strdup("layer: more than 10 entries");
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_inventory_encode(inv, &b), SF_OK);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_inventory_decode(&back, b.data, b.len, &e), SF_OK);
    assert_int_equal(back->error_code, SF_ELIMIT);
    assert_string_equal(back->error, "layer: more than 10 entries");
    assert_int_equal(back->nsrcs, 0);
    sf_inventory_free(back);
    sf_inventory_free(inv);
    sf_inventory_free(NULL);
    sf_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inventory_json__round_trip),
        cmocka_unit_test(test_inventory_zstd__round_trip_and_smaller),
        cmocka_unit_test(test_inventory_decode__rejects_corrupt_json),
        cmocka_unit_test(test_inventory_error__carried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
