/*
 * an_apk: installed Alpine packages from lib/apk/db/installed.
 *
 * The database is a list of blank-line-separated records of "X:value"
 * lines with one-letter keys; kept: P (name), V (version), A (arch),
 * o (origin, the source package advisories name: libcrypto1.1 -> openssl)
 * and L (license). The file lists (F:, R:, Z:, ...) make up most of the
 * bytes and are skipped. Records without P or V, or with invalid text, are
 * skipped and counted in the source's note.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

#define APK_DB "lib/apk/db/installed"

static int apk_wants(const sf_entry *e)
{
    return sf_an_is_regular(e) && strcmp(e->path, APK_DB) == 0;
}

typedef struct record {
    const char *v[5]; /* P, V, A, o, L */
    size_t n[5];
    int nlines;
} record;

static const char keys[] = "PVAoL";

/* Read one record: 1 when lines were read, 0 at the end of the text. */
static int read_record(sf_an_lines *r, record *rec)
{
    const char *line;
    size_t len;
    memset(rec, 0, sizeof *rec);
    while (sf_an_lines_next(r, &line, &len)) {
        if (len == 0)
            return 1;
        rec->nlines++;
        if (len < 2 || line[1] != ':')
            continue;
        const char *k = strchr(keys, line[0]);
        if (!k || line[0] == '\0')
            continue;
        rec->v[k - keys] = line + 2;
        rec->n[k - keys] = len - 2;
    }
    return rec->nlines > 0;
}

static int record_pkg(const record *rec, sf_pkg *p)
{
    int rc;
    memset(p, 0, sizeof *p);
    p->type = SF_PT_APK;
    p->layer = -1;
    if ((rc = sf_an_dup_field(&p->name, rec->v[0], rec->n[0])) != SF_OK ||
        (rc = sf_an_dup_field(&p->version, rec->v[1], rec->n[1])) != SF_OK ||
        (rc = sf_an_dup_field(&p->arch, rec->v[2], rec->n[2])) != SF_OK ||
        (rc = sf_an_dup_field(&p->src_name, rec->v[3], rec->n[3])) != SF_OK ||
        (rc = sf_an_dup_field(&p->license, rec->v[4], rec->n[4])) != SF_OK)
        return rc;
    if (!p->name || !p->version)
        return SF_EPARSE;
    if (p->src_name && strcmp(p->src_name, p->name) == 0) {
        free(p->src_name);
        p->src_name = NULL;
    }
    return SF_OK;
}

static int apk_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                     sf_error *err)
{
    size_t skipped = 0;
    sf_an_lines r;
    record rec;
    sf_an_lines_init(&r, data, len);
    src->status = SF_SRC_PARSED;
    while (read_record(&r, &rec)) {
        if (!rec.v[0] && !rec.v[1])
            continue; /* blank runs, or a record of unknown lines */
        sf_pkg p;
        int rc = sf_an_take_built(src, record_pkg(&rec, &p), &p, &skipped, err);
        if (rc != SF_OK)
            return rc;
    }
    return sf_an_note_skipped(src, skipped, "record", err);
}

const sf_analyzer sf_an_apk = {
    .name = "apk",
    .version = 1,
    .max_bytes = SF_LIM_FILE_BYTES, /* ~1 MiB per 100 packages with file lists */
    .wants = apk_wants,
    .sniff = NULL,
    .parse = apk_parse,
};
