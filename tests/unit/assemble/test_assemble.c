/*
 * Unit tests of common/analyze/assemble: overlay semantics on hand-made
 * inventories (replacement by path, whiteouts of files and directories,
 * opaque dirs that spare their own layer, OS precedence), and on
 * hand-made tar layers written here with libarchive and analysed by the
 * real analyzers: a dpkg DB deleted and then replaced, an apk DB in an
 * opaque directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "analyze/assemble.h"
#include "analyze/layer.h"

/* ------------------------------------------------------------ hand-made inventories */

static sf_inv_source *src(sf_inventory *inv, const char *path, const char *an)
{
    sf_inv_source *s = NULL;
    assert_int_equal(sf_inventory_add_source(inv, path, an, &s), SF_OK);
    return s;
}

static void pkg(sf_inv_source *s, sf_pkg_type t, const char *name, const char *ver)
{
    sf_pkg p = {.type = t, .name = (char *)name, .version = (char *)ver, .layer = -1};
    assert_int_equal(sf_inv_source_add_pkg(s, &p), SF_OK);
}

static void os(sf_inv_source *s, const char *id, const char *ver, const char *code)
{
    s->os = calloc(1, sizeof *s->os);
    s->os->id = id ? strdup(id) : NULL;
    s->os->version_id = ver ? strdup(ver) : NULL;
    s->os->codename = code ? strdup(code) : NULL;
}

static const sf_pkg *find(const sf_image_inv *img, const char *name)
{
    for (size_t i = 0; i < img->npkgs; i++)
        if (strcmp(img->pkgs[i].name, name) == 0)
            return &img->pkgs[i];
    return NULL;
}

static sf_image_inv *assemble(sf_inventory **l, size_t n)
{
    sf_image_inv *img = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_assemble((const sf_inventory *const *)l, n, &img, &e), SF_OK);
    return img;
}

static void test_assemble_rules__replace_whiteout_opaque(void **state)
{
    (void)state;
    sf_inventory *l[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(sf_inventory_new(&l[i]), SF_OK);
    /* layer 0: a Debian base with an npm app and a python lib */
    sf_inv_source *s = src(l[0], "var/lib/dpkg/status", "dpkg");
    pkg(s, SF_PT_DPKG, "libc6", "2.31-13");
    pkg(s, SF_PT_DPKG, "openssl", "1.1.1k-1");
    os(src(l[0], "etc/os-release", "os"), "debian", "11", "bullseye");
    pkg(src(l[0], "app/node_modules/lodash/package.json", "npm"), SF_PT_NPM, "lodash", "4.17.4");
    pkg(src(l[0], "app/node_modules/lodash-es/package.json", "npm"), SF_PT_NPM, "lodash-es", "4.17.4");
    pkg(src(l[0], "opt/py/six-1.0.dist-info/METADATA", "python"), SF_PT_PYPI, "six", "1.0");
    pkg(src(l[0], "srv/keep/package.json", "npm"), SF_PT_NPM, "keep", "1.0.0");
    /* layer 1: apt upgrade rewrites the status file; lodash deleted as a
     * directory; the opt/py tree made opaque but refilled in this layer */
    s = src(l[1], "var/lib/dpkg/status", "dpkg");
    pkg(s, SF_PT_DPKG, "libc6", "2.31-13+deb11u5");
    pkg(s, SF_PT_DPKG, "openssl", "1.1.1n-0+deb11u4");
    pkg(s, SF_PT_DPKG, "curl", "7.74.0-1.3");
    sf_inventory_add_whiteout(l[1], "app/node_modules/lodash");
    sf_inventory_add_opaque(l[1], "opt/py");
    pkg(src(l[1], "opt/py/six-1.16.dist-info/METADATA", "python"), SF_PT_PYPI, "six", "1.16.0");
    /* layer 2: a bare os-release override with fewer facts */
    os(src(l[2], "usr/lib/os-release", "os"), "debian", NULL, NULL);
    sf_image_inv *img = assemble(l, 3);
    assert_int_equal(img->npkgs, 6);
    assert_string_equal(find(img, "openssl")->version, "1.1.1n-0+deb11u4");
    assert_int_equal(find(img, "openssl")->layer, 1);
    assert_int_equal(find(img, "curl")->layer, 1);
    assert_null(find(img, "lodash"));
    /* "lodash-es" shares the prefix but not the directory: it survives. */
    assert_non_null(find(img, "lodash-es"));
    assert_int_equal(find(img, "lodash-es")->layer, 0);
    assert_string_equal(find(img, "six")->version, "1.16.0");
    assert_non_null(find(img, "keep"));
    /* etc/os-release outranks usr/lib/os-release even from a lower layer. */
    assert_true(img->has_os);
    assert_string_equal(img->os_path, "etc/os-release");
    assert_string_equal(img->os.version_id, "11");
    sf_image_inv_free(img);
    /* Whiteout of the os file itself: usr/lib/os-release remains, and
     * the gaps are not filled from a deleted file. */
    sf_inventory_add_whiteout(l[2], "etc/os-release");
    img = assemble(l, 3);
    assert_string_equal(img->os_path, "usr/lib/os-release");
    assert_null(img->os.version_id);
    sf_image_inv_free(img);
    /* An opaque root deletes everything below. */
    sf_inventory *top;
    sf_inventory_new(&top);
    sf_inventory_add_opaque(top, "");
    sf_inventory *all[4] = {l[0], l[1], l[2], top};
    img = assemble(all, 4);
    assert_int_equal(img->npkgs, 0);
    assert_false(img->has_os);
    sf_image_inv_free(img);
    sf_inventory_free(top);
    for (int i = 0; i < 3; i++)
        sf_inventory_free(l[i]);
}

static void test_assemble_rules__os_fallbacks_and_notes(void **state)
{
    (void)state;
    sf_inventory *l[2];
    sf_inventory_new(&l[0]);
    sf_inventory_new(&l[1]);
    /* Debian testing: os-release without VERSION_ID; debian_version fills it. */
    os(src(l[0], "etc/debian_version", "os"), "debian", "bookworm/sid", NULL);
    os(src(l[1], "etc/os-release", "os"), "debian", NULL, "bookworm");
    sf_inv_source *r = src(l[1], "var/lib/rpm/Packages", "rpm");
    r->status = SF_SRC_UNPARSED;
    r->note = strdup("BerkeleyDB rpm database: not parsed");
    sf_image_inv *img = assemble(l, 2);
    assert_string_equal(img->os.codename, "bookworm");
    assert_string_equal(img->os.version_id, "bookworm/sid");
    assert_int_equal(img->nnotes, 1);
    assert_int_equal(img->notes[0].layer, 1);
    assert_string_equal(img->notes[0].analyzer, "rpm");
    sf_image_inv_free(img);
    /* A failed layer cannot be assembled. */
    l[1]->error_code = SF_EDIGEST;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_assemble((const sf_inventory *const *)l, 2, &img, &e), SF_EINVAL);
    assert_null(img);
    sf_inventory_free(l[0]);
    sf_inventory_free(l[1]);
}

static void test_assemble_rules__npm_lockfile_shadowed_by_installed_tree(void **state)
{
    (void)state;
    sf_inventory *l[2];
    sf_inventory_new(&l[0]);
    sf_inventory_new(&l[1]);
    sf_inv_source *lock = src(l[0], "app/package-lock.json", "npm");
    pkg(lock, SF_PT_NPM, "lodash", "4.17.4");
    pkg(lock, SF_PT_NPM, "minimist", "1.2.0");
    sf_inv_source *solo = src(l[0], "other/package-lock.json", "npm");
    pkg(solo, SF_PT_NPM, "left-pad", "1.3.0");
    sf_image_inv *img = assemble(l, 1);
    assert_int_equal(img->npkgs, 3); /* nothing installed: lockfiles count */
    sf_image_inv_free(img);
    /* The install lands in a later layer: app's lockfile is now shadowed,
     * the lone lockfile elsewhere still counts. */
    pkg(src(l[1], "app/node_modules/lodash/package.json", "npm"), SF_PT_NPM, "lodash", "4.17.4");
    img = assemble(l, 2);
    assert_int_equal(img->npkgs, 2);
    assert_string_equal(find(img, "lodash")->path, "app/node_modules/lodash/package.json");
    assert_null(find(img, "minimist"));
    assert_non_null(find(img, "left-pad"));
    sf_image_inv_free(img);
    sf_inventory_free(l[0]);
    sf_inventory_free(l[1]);
}

/* ------------------------------------------------------------ hand-made tar layers */

static void entry(struct archive *a, const char *path, const char *text)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)strlen(text));
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    archive_write_data(a, text, strlen(text));
    archive_entry_free(e);
}

/* Write a gzip tar of (path, text) pairs and analyse it with the real
 * analyzers. */
static sf_inventory *layer_of(const char *const *files, size_t n)
{
    static char buf[1 << 20];
    size_t used = 0;
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    assert_int_equal(archive_write_open_memory(a, buf, sizeof buf, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++)
        entry(a, files[2 * i], files[2 * i + 1]);
    archive_write_close(a);
    archive_write_free(a);
    sf_layer_opts o;
    memset(&o, 0, sizeof o);
    o.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    o.analyzers = sf_analyzers;
    sf_inventory *inv = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_layer_analyze_mem(buf, used, &o, &inv, &e) != SF_OK)
        fail_msg("layer: %s", e.msg);
    return inv;
}

static const char *DPKG_V1 =
    "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.1-2\n\n"
    "Package: bsdutils\nStatus: install ok installed\nArchitecture: amd64\n"
    "Source: util-linux (2.36.1-8)\nVersion: 1:2.36.1-8\n\n";
static const char *DPKG_V2 =
    "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.1-2+deb11u1\n\n";
static const char *OSREL = "PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nNAME=\"Debian GNU/Linux\"\n"
                           "VERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\nID=debian\n";
static const char *APK = "C:Q1\nP:musl\nV:1.1.24-r10\nA:x86_64\no:musl\n\n";

static void test_assemble_layers__delete_replace_and_opaque(void **state)
{
    (void)state;
    const char *l0[] = {"etc/os-release", OSREL, "./var/lib/dpkg/status", DPKG_V1,
                        "opt/alpine/lib/apk/db/installed", APK, "lib/apk/db/installed", APK};
    const char *l1[] = {"var/lib/dpkg/.wh.status", "", "lib/apk/db/.wh..wh..opq", ""};
    const char *l2[] = {"var/lib/dpkg/status", DPKG_V2};
    sf_inventory *inv[3] = {layer_of(l0, 4), layer_of(l1, 2), layer_of(l2, 1)};
    /* Layer 1 recorded the deletion and the opaque dir, no sources. */
    assert_int_equal(inv[1]->nwhiteouts, 1);
    assert_string_equal(inv[1]->whiteouts[0], "var/lib/dpkg/status");
    assert_string_equal(inv[1]->opaques[0], "lib/apk/db");
    /* After layers 0-1: no dpkg packages at all, apk DB gone. */
    sf_image_inv *img = assemble(inv, 2);
    for (size_t i = 0; i < img->npkgs; i++)
        assert_int_not_equal(img->pkgs[i].type, SF_PT_DPKG);
    assert_int_equal(img->npkgs, 0);
    assert_string_equal(img->os.codename, "bullseye");
    sf_image_inv_free(img);
    /* After layer 2 the new status is the only one. */
    img = assemble(inv, 3);
    assert_int_equal(img->npkgs, 1);
    assert_string_equal(img->pkgs[0].name, "bash");
    assert_string_equal(img->pkgs[0].version, "5.1-2+deb11u1");
    assert_int_equal(img->pkgs[0].layer, 2);
    sf_image_inv_free(img);
    /* Without the deleting layer, layer 2 still replaces layer 0's DB. */
    sf_inventory *skip[2] = {inv[0], inv[2]};
    img = assemble(skip, 2);
    assert_int_equal(img->npkgs, 2); /* bash from layer 1 + musl of lib/apk/db */
    assert_int_equal(find(img, "bash")->layer, 1);
    assert_null(find(img, "bsdutils"));
    sf_image_inv_free(img);
    for (int i = 0; i < 3; i++)
        sf_inventory_free(inv[i]);
}

/* An image whose only layer holds nothing the analyzers want (an empty
 * tar): no sources at all. UBSan flagged qsort(NULL, 0) here. */
static void test_assemble_rules__empty_layer(void **state)
{
    (void)state;
    sf_inventory *l[1];
    assert_int_equal(sf_inventory_new(&l[0]), SF_OK);
    sf_image_inv *img = assemble(l, 1);
    assert_non_null(img);
    sf_image_inv_free(img);
    sf_inventory_free(l[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assemble_rules__replace_whiteout_opaque),
        cmocka_unit_test(test_assemble_rules__os_fallbacks_and_notes),
        cmocka_unit_test(test_assemble_rules__npm_lockfile_shadowed_by_installed_tree),
        cmocka_unit_test(test_assemble_layers__delete_replace_and_opaque),
        cmocka_unit_test(test_assemble_rules__empty_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
