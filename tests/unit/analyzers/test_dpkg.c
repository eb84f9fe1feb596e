/* Tests of the dpkg analyzer: the Debian layers and the real bookworm-slim
 * rootfs of the corpus against their package lists, the distroless-style
 * status.d layers, and hostile status files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "an_test.h"
#include "testutil.h"

/* Compare a layer's dpkg packages with a corpus packages.json. */
static void check_layer_json(const char *layer, const char *truth, const char *version_id,
                             const char *codename)
{
    json_error_t jerr;
    json_t *gt = json_load_file(sf_t_corpus(truth), 0, &jerr);
    assert_non_null(gt);
    an_walk w;
    assert_int_equal(an_walk_file(sf_t_corpus(layer), &w), 0);
    sf_inv_source *src = an_find(&w, "dpkg", "var/lib/dpkg/status");
    assert_non_null(src);
    assert_int_equal(src->status, SF_SRC_PARSED);
    json_t *pkgs = json_object_get(gt, "packages");
    assert_int_equal(src->npkgs, json_array_size(pkgs));
    size_t i;
    json_t *jp;
    json_array_foreach(pkgs, i, jp) {
        const char *name = json_string_value(json_object_get(jp, "package"));
        const sf_pkg *p = an_pkg(src, name);
        assert_non_null(p);
        assert_string_equal(p->version, json_string_value(json_object_get(jp, "version")));
        assert_string_equal(p->arch, json_string_value(json_object_get(jp, "architecture")));
        assert_string_equal(sf_pkg_src_name(p), json_string_value(json_object_get(jp, "source")));
        assert_string_equal(sf_pkg_src_version(p),
                            json_string_value(json_object_get(jp, "source_version")));
        assert_null(p->license);
    }
    /* etc/os-release is a symlink to usr/lib/os-release, which is read. */
    assert_null(an_find(&w, "os", "etc/os-release"));
    sf_inv_source *os = an_find(&w, "os", "usr/lib/os-release");
    assert_non_null(os);
    assert_string_equal(os->os->id, "debian");
    assert_string_equal(os->os->version_id, version_id);
    assert_string_equal(os->os->codename, codename);
    an_walk_free(&w);
    json_decref(gt);
}

static void test_analyzers_dpkg__buster_and_bullseye_layers(void **state)
{
    (void)state;
    check_layer_json("images/debian/debian-10.10-buster-20210621-amd64.dpkg-layer.tar.gz",
                     "images/debian/debian-10.10-buster-20210621-amd64.packages.json", "10", "buster");
    check_layer_json("images/debian/debian-11.11-bullseye-20241202-amd64.dpkg-layer.tar.gz",
                     "images/debian/debian-11.11-bullseye-20241202-amd64.packages.json", "11",
                     "bullseye");
}

/* The real bookworm-slim rootfs: 88 packages as in the .packages.tsv
 * (package, version, arch, raw Source field). */
static void test_analyzers_dpkg__bookworm_slim_rootfs(void **state)
{
    (void)state;
    size_t len;
    char *tsv = sf_t_read_file(
        sf_t_corpus("images/debian/debian-12.15-bookworm-slim-mmdebstrap-amd64.packages.tsv"), &len);
    assert_non_null(tsv);
    an_walk w;
    assert_int_equal(
        an_walk_file(sf_t_corpus("images/debian/debian-12.15-bookworm-slim-mmdebstrap-amd64.tar.xz"), &w),
        0);
    sf_inv_source *src = an_find(&w, "dpkg", "var/lib/dpkg/status");
    assert_non_null(src);
    assert_null(an_find(&w, "dpkg", "var/lib/dpkg/status-old")); /* backups are not the DB */
    size_t lines = 0;
    for (char *line = tsv, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *f[4] = {0};
        char *p = line;
        for (int k = 0; k < 4; k++) {
            f[k] = p;
            char *tab = p ? strchr(p, '\t') : NULL;
            if (tab)
                *tab = '\0';
            p = tab ? tab + 1 : NULL;
        }
        const sf_pkg *pk = an_pkg(src, f[0]);
        assert_non_null(pk);
        assert_string_equal(pk->version, f[1]);
        assert_string_equal(pk->arch, f[2]);
        char want[512];
        /* the .tsv writes "name " when the Source field has no version */
        size_t sl = f[3] ? strlen(f[3]) : 0;
        while (sl > 0 && f[3][sl - 1] == ' ')
            f[3][--sl] = '\0';
        if (!f[3] || !f[3][0]) {
            assert_null(pk->src_name);
            assert_null(pk->src_version);
        } else if (pk->src_version) {
            snprintf(want, sizeof want, "%s (%s)", sf_pkg_src_name(pk), pk->src_version);
            assert_string_equal(want, f[3]);
        } else {
            assert_string_equal(sf_pkg_src_name(pk), f[3]);
        }
        lines++;
    }
    assert_int_equal(lines, 88);
    assert_int_equal(src->npkgs, 88);
    /* etc/os-release is a symlink there; usr/lib/os-release is the file. */
    assert_null(an_find(&w, "os", "etc/os-release"));
    sf_inv_source *os = an_find(&w, "os", "usr/lib/os-release");
    assert_non_null(os);
    assert_string_equal(os->os->version_id, "12");
    assert_string_equal(os->os->codename, "bookworm");
    os = an_find(&w, "os", "etc/debian_version");
    assert_non_null(os);
    assert_string_equal(os->os->id, "debian");
    assert_string_equal(os->os->version_id, "12.15");
    an_walk_free(&w);
    free(tsv);
}

/* Distroless layout: one status.d file per package, *.md5sums skipped. */
static void test_analyzers_dpkg__distroless_status_d(void **state)
{
    (void)state;
    static const struct {
        const char *layer, *pkg, *version, *arch;
    } want[] = {
        {"static", "base-files", "12.4+deb12u15", "amd64"},
        {"static", "netbase", "6.4", "all"},
        {"static", "tzdata", "2026f-0+deb12u1", "all"},
        {"static", "media-types", "10.0.0", "all"},
        {"static", "ca-certificates", "20250419~deb12u2", "all"},
        {"base", "libc6", "2.36-9+deb12u14", "amd64"},
        {"base", "libssl3", "3.0.22-1~deb12u2", "amd64"},
    };
    static const char *files[] = {
        "images/distroless-style/distroless-style-static-debian12.layer.tar.gz",
        "images/distroless-style/distroless-style-base-debian12.addon-layer.tar.gz",
    };
    for (int l = 0; l < 2; l++) {
        an_walk w;
        assert_int_equal(an_walk_file(sf_t_corpus(files[l]), &w), 0);
        size_t npk = 0, nsrc = 0;
        for (size_t i = 0; i < w.n; i++) {
            if (strcmp(w.srcs[i].analyzer, "dpkg") != 0)
                continue;
            nsrc++;
            assert_int_equal(w.srcs[i].status, SF_SRC_PARSED);
            assert_null(strstr(w.srcs[i].path, ".md5sums"));
            assert_int_equal(w.srcs[i].npkgs, 1);
            /* distroless names each file after its package */
            assert_string_equal(w.srcs[i].pkgs[0].name, sf_an_basename(w.srcs[i].path));
            npk += w.srcs[i].npkgs;
        }
        size_t expect = 0;
        for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
            if (strcmp(want[k].layer, l == 0 ? "static" : "base") != 0)
                continue;
            expect++;
            char path[256];
            snprintf(path, sizeof path, "var/lib/dpkg/status.d/%s", want[k].pkg);
            const sf_pkg *p = an_pkg(an_find(&w, "dpkg", path), want[k].pkg);
            assert_non_null(p);
            assert_string_equal(p->version, want[k].version);
            assert_string_equal(p->arch, want[k].arch);
        }
        assert_int_equal(npk, expect);
        assert_int_equal(nsrc, expect);
        an_walk_free(&w);
    }
}

static void test_analyzers_dpkg__status_and_source_rules(void **state)
{
    (void)state;
    static const char db[] =
        "Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\nArchitecture: amd64\n"
        "Source: asrc (2.0-1)\nDescription: x\n multi\n .\n line\n\n"
        "Package: held\nStatus: hold ok installed\nVersion: 1\nSource: held\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
        "Package: half\nStatus: install reinstreq half-installed\nVersion: 1\n\n"
        "Package: nostatus\nVersion: 1\n\n"
        "Package: binnmu\nStatus: install ok installed\nVersion: 8.32-4+b1\nSource: binnmu (8.32-4)\n\n"
        "Package: badsrc\nStatus: install ok installed\nVersion: 1\nSource: x (1\n\n"
        "Status: install ok installed\nVersion: 1\n\n"
        "package: lower\r\nstatus: install ok installed\r\nversion: 3\r\n";
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_dpkg, "var/lib/dpkg/status", 0100644, db, sizeof db - 1, &src, &err),
                     SF_OK);
    assert_int_equal(src.npkgs, 4);
    const sf_pkg *p = an_pkg(&src, "a");
    assert_string_equal(p->version, "1:2.0-1");
    assert_string_equal(p->src_name, "asrc");
    assert_string_equal(p->src_version, "2.0-1");
    p = an_pkg(&src, "held");
    assert_null(p->src_name);
    assert_null(p->src_version);
    assert_null(an_pkg(&src, "gone"));
    assert_null(an_pkg(&src, "half"));
    assert_null(an_pkg(&src, "nostatus")); /* in var/lib/dpkg/status a Status is required */
    p = an_pkg(&src, "binnmu");
    assert_null(p->src_name);
    assert_string_equal(p->src_version, "8.32-4");
    assert_string_equal(an_pkg(&src, "lower")->version, "3");
    assert_string_equal(src.note, "2 malformed stanza(s) skipped");
    sf_inv_source_clear(&src);

    /* status.d: no Status field means installed. */
    assert_int_equal(an_run(&sf_an_dpkg, "var/lib/dpkg/status.d/nostatus", 0100644, db + 0, sizeof db - 1,
                            &src, &err),
                     SF_OK);
    assert_non_null(an_pkg(&src, "nostatus"));
    sf_inv_source_clear(&src);
}

static void test_analyzers_dpkg__hostile_input(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    /* Invalid UTF-8, NULs, an endless line, a truncated stanza. */
    static const char bad[] = "Package: \xc0\xaf\nStatus: install ok installed\nVersion: 1\n\n"
                              "Package: n\0ul\nStatus: install ok installed\nVersion: 1\n\n"
                              "Package: trunc\nStatus: install ok installed\nVers";
    assert_int_equal(an_run(&sf_an_dpkg, "var/lib/dpkg/status", 0100644, bad, sizeof bad - 1, &src, &err),
                     SF_OK);
    assert_int_equal(src.npkgs, 0);
    assert_string_equal(src.note, "3 malformed stanza(s) skipped");
    sf_inv_source_clear(&src);
    size_t big = 16u << 20;
    char *huge = malloc(big);
    memset(huge, 'x', big);
    memcpy(huge, "Package: ", 9);
    assert_int_equal(an_run(&sf_an_dpkg, "var/lib/dpkg/status.d/x", 0100644, huge, big, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    sf_inv_source_clear(&src);
    free(huge);
}

static void test_analyzers_dpkg__wants(void **state)
{
    (void)state;
    static const an_want cases[] = {
        {"var/lib/dpkg/status", 1},          {"var/lib/dpkg/status.d/libc6", 1},
        {"var/lib/dpkg/status.d/libc6.md5sums", 0}, {"var/lib/dpkg/status-old", 0},
        {"var/lib/dpkg/status.d/", 0},        {"var/lib/dpkg/status.d/a/b", 0},
        {"usr/var/lib/dpkg/status", 0},
    };
    an_expect_wants(&sf_an_dpkg, cases, sizeof cases / sizeof cases[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_dpkg__buster_and_bullseye_layers),
        cmocka_unit_test(test_analyzers_dpkg__bookworm_slim_rootfs),
        cmocka_unit_test(test_analyzers_dpkg__distroless_status_d),
        cmocka_unit_test(test_analyzers_dpkg__status_and_source_rules),
        cmocka_unit_test(test_analyzers_dpkg__hostile_input),
        cmocka_unit_test(test_analyzers_dpkg__wants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
