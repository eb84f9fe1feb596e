/* Shared body of the vulnerability-DB fuzz targets: after an importer has
 * consumed the input, serialise the builder, reopen the file image (its
 * validator must accept what the writer made) and match every indexed
 * package at every version the DB mentions, so hostile versions and
 * ranges reach the range evaluator too. */
#ifndef SF_VDB_FUZZ_COMMON_H
#define SF_VDB_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/pkg.h"
#include "vuln/match.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"
#include "vuln/vdb_int.h"

static sf_pkg_type fuzz_type_of(const char *eco, sf_osinfo *os)
{
    static const struct {
        const char *eco;
        sf_pkg_type t;
    } m[] = {{"npm", SF_PT_NPM}, {"PyPI", SF_PT_PYPI}, {"Go", SF_PT_GO},
             {"Maven", SF_PT_MAVEN}, {"crates.io", SF_PT_CARGO}, {"RubyGems", SF_PT_GEM},
             {"Packagist", SF_PT_COMPOSER}, {"NuGet", SF_PT_NUGET}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (strcmp(eco, m[i].eco) == 0)
            return m[i].t;
    if (strncmp(eco, "Alpine:v", 8) == 0) {
        os->id = "alpine";
        os->version_id = (char *)eco + 8;
        return SF_PT_APK;
    }
    if (strncmp(eco, "Debian:", 7) == 0) {
        os->id = "debian";
        os->version_id = (char *)eco + 7;
        return SF_PT_DPKG;
    }
    return SF_PT_UNKNOWN;
}

static void fuzz_check_db(sf_vdb_builder *b)
{
    void *img = NULL;
    size_t len = 0;
    sf_vdb *db = NULL;
    sf_error err = SF_ERROR_INIT;
    if (sf_vdb_builder_serialize(b, &img, &len, &err) != SF_OK)
        return;
    if (sf_vdb_open_mem(&db, img, len, &err) != SF_OK)
        abort(); /* the writer produced a file its reader refuses: a bug */
    const struct sf_vdb_view *v = sf_vdb__view(db);
    for (uint32_t i = 0; i < v->npkg && i < 16; i++) {
        const sf_vdb_pkg *p = &v->pkg[i];
        sf_osinfo os = {0};
        sf_pkg pkg = {.type = fuzz_type_of(v->str + p->eco, &os), .name = (char *)v->str + p->name,
                      .layer = 0};
        if (pkg.type == SF_PT_UNKNOWN)
            continue;
        const sf_vdb_aff *a = &v->aff[p->aff_first];
        const sf_vdb_rng *r = a->rng_count ? &v->rng[a->rng_first] : NULL;
        for (uint32_t e = 0; r && e < r->ev_count && e < 8; e++) {
            pkg.version = (char *)v->str + SF_VEV_STR(v->ev[r->ev_first + e]);
            sf_findings f;
            sf_findings_init(&f);
            sf_match_packages(db, &os, &pkg, 1, &f, &err);
            sf_findings_clear(&f);
        }
    }
    sf_vdb_close(db);
    free(img);
}

/* An importer under test: consume size bytes of data into b. */
typedef void (*fuzz_import_fn)(sf_vdb_builder *b, const char *data, size_t size);

/* The whole body of an importer's fuzz target: a fresh builder (of kind,
 * when not NULL), the import, then fuzz_check_db. Inputs over 1 MiB are
 * skipped (the importers' own caps are tested by unit tests). */
static int fuzz_importer(const uint8_t *data, size_t size, const char *kind, fuzz_import_fn fn)
{
    sf_vdb_builder *b = NULL;
    if (size > (1u << 20) || sf_vdb_builder_new(&b) != SF_OK)
        return 0;
    if (kind)
        sf_vdb_builder_kind(b, kind);
    fn(b, (const char *)data, size);
    fuzz_check_db(b);
    sf_vdb_builder_free(b);
    return 0;
}

#endif
