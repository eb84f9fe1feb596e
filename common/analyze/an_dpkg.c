/*
 * an_dpkg: installed Debian packages from var/lib/dpkg/status and from
 * the distroless layout var/lib/dpkg/status.d/<name> (one or more control
 * stanzas per file; the <name>.md5sums files beside them are skipped).
 *
 * A stanza counts when its Status' third word is "installed" (dpkg's
 * "install ok installed", also "hold ok installed" and "deinstall ok
 * installed": the files are still on disk). Half-installed, config-files
 * and not-installed entries are left out. status.d stanzas carry no Status
 * field (distroless writes only installed packages), so a missing Status
 * counts as installed there and only there.
 *
 * "Source: name (version)" gives src_name/src_version; either is NULL when
 * it equals the binary package's name/version, as pkg.h asks. Stanzas
 * without Package or Version, or with invalid text, are skipped and
 * counted in the source's note.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

#define STATUS_PATH "var/lib/dpkg/status"
#define STATUS_D "var/lib/dpkg/status.d/"

static int dpkg_wants(const sf_entry *e)
{
    if (!sf_an_is_regular(e))
        return 0;
    if (strcmp(e->path, STATUS_PATH) == 0)
        return 1;
    if (strncmp(e->path, STATUS_D, sizeof STATUS_D - 1) != 0)
        return 0;
    const char *name = e->path + sizeof STATUS_D - 1;
    return name[0] && !strchr(name, '/') && name[0] != '.' && !sf_an_has_suffix(name, ".md5sums");
}

/* Fields of one stanza as slices of the input. */
typedef struct stanza {
    sf_an_field package, version, arch, source, status, license;
    int has_package, has_version, has_arch, has_source, has_status, has_license;
} stanza;

static void read_stanza(sf_an_lines *r, stanza *st, int *nfields)
{
    sf_an_field f;
    memset(st, 0, sizeof *st);
    *nfields = 0;
    while (sf_an_field_next(r, &f)) {
        (*nfields)++;
#define TAKE(key, slot)                                                                            \
    if (sf_an_key_is(&f, key)) {                                                                   \
        st->slot = f;                                                                              \
        st->has_##slot = 1;                                                                        \
        continue;                                                                                  \
    }
        TAKE("Package", package)
        TAKE("Version", version)
        TAKE("Architecture", arch)
        TAKE("Source", source)
        TAKE("Status", status)
        TAKE("License", license) /* not a dpkg field; some derived DBs add it */
#undef TAKE
    }
}

/* 1 when the Status value's third word is "installed". */
static int status_installed(const sf_an_field *f)
{
    const char *s = f->val, *end = f->val + f->vlen;
    for (int word = 0; word < 2; word++) {
        while (s < end && *s != ' ')
            s++;
        while (s < end && *s == ' ')
            s++;
    }
    size_t n = (size_t)(end - s);
    return n == 9 && memcmp(s, "installed", 9) == 0;
}

/* Fill p->src_name / src_version from "name" or "name (version)". */
static int parse_source(const sf_an_field *f, sf_pkg *p)
{
    const char *s = f->val, *end = f->val + f->vlen;
    const char *sp = memchr(s, ' ', f->vlen);
    const char *name_end = sp ? sp : end;
    int rc = SF_OK;
    size_t nlen = (size_t)(name_end - s);
    if (!(strlen(p->name) == nlen && memcmp(p->name, s, nlen) == 0))
        rc = sf_an_dup_field(&p->src_name, s, nlen);
    if (rc != SF_OK || !sp)
        return rc;
    const char *open = memchr(sp, '(', (size_t)(end - sp));
    const char *close = open ? memchr(open, ')', (size_t)(end - open)) : NULL;
    if (!open || !close)
        return SF_EPARSE;
    const char *v = open + 1;
    size_t vlen = (size_t)(close - v);
    sf_an_trim(&v, &vlen);
    if (strlen(p->version) == vlen && memcmp(p->version, v, vlen) == 0)
        return SF_OK;
    return sf_an_dup_field(&p->src_version, v, vlen);
}

/* Build a package from a stanza; SF_EPARSE when it is unusable. */
static int stanza_pkg(const stanza *st, sf_pkg *p)
{
    int rc;
    memset(p, 0, sizeof *p);
    p->type = SF_PT_DPKG;
    p->layer = -1;
    if ((rc = sf_an_dup_field(&p->name, st->package.val, st->package.vlen)) != SF_OK)
        return rc;
    if ((rc = sf_an_dup_field(&p->version, st->version.val, st->version.vlen)) != SF_OK)
        return rc;
    if (!p->name || !p->version)
        return SF_EPARSE;
    if (st->has_arch && (rc = sf_an_dup_field(&p->arch, st->arch.val, st->arch.vlen)) != SF_OK)
        return rc;
    if (st->has_license &&
        (rc = sf_an_dup_field(&p->license, st->license.val, st->license.vlen)) != SF_OK)
        return rc;
    if (st->has_source)
        return parse_source(&st->source, p);
    return SF_OK;
}

static int dpkg_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                      sf_error *err)
{
    int status_d = strcmp(e->path, STATUS_PATH) != 0;
    size_t skipped = 0, not_installed = 0;
    sf_an_lines r;
    sf_an_lines_init(&r, data, len);
    src->status = SF_SRC_PARSED;
    while (!sf_an_lines_eof(&r)) {
        stanza st;
        int nfields;
        read_stanza(&r, &st, &nfields);
        if (nfields == 0)
            continue;
        if (st.has_status ? !status_installed(&st.status) : !status_d) {
            not_installed++;
            continue;
        }
        if (!st.has_package || !st.has_version) {
            skipped++;
            continue;
        }
        sf_pkg p;
        int rc = sf_an_take_built(src, stanza_pkg(&st, &p), &p, &skipped, err);
        if (rc != SF_OK)
            return rc;
    }
    (void)not_installed;
    return sf_an_note_skipped(src, skipped, "stanza", err);
}

const sf_analyzer sf_an_dpkg = {
    .name = "dpkg",
    .version = 1,
    .max_bytes = SF_LIM_FILE_BYTES, /* a full distro's status is 2-4 MiB; big desktops ~20 MiB */
    .wants = dpkg_wants,
    .sniff = NULL,
    .parse = dpkg_parse,
};
