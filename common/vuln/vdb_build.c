/*
 * vdb_build: the builder that importers feed (see vdb_build.h): its
 * lifecycle, the string table and the per-build counters (skips,
 * sources). Strings are interned in one table through an open-addressing
 * hash so that the thousands of repeated ecosystem names, package names
 * and version strings are stored once.
 *
 * The builder's other files share its struct through vdb_build_int.h:
 * vdb_rec.c adds one record at a time (affected entries, ranges, events,
 * versions, undone by truncation when a record is dropped), vdb_cve.c
 * keeps the per-CVE facts, and vdb_write.c serialises it all into the DB
 * file (layout in vdb_int.h) and writes that atomically.
 */
#include "vuln/vdb_build.h"

#include "base/buf.h"
#include "vuln/vdb_int.h"
#include "vuln/vdb_build_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

sf_vdb_cvetab *sf_vdb__cvetab(sf_vdb_builder *b) { return b->cves; }

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int rehash(sf_vdb_builder *b)
{
    size_t ns = b->nslots ? b->nslots * 2 : 4096;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots)
        return SF_ENOMEM;
    for (size_t i = 0; i < b->nslots; i++) {
        if (!b->slots[i])
            continue;
        const char *s = b->str.data + b->slots[i] - 1;
        size_t j = hash_str(s, strlen(s)) & (ns - 1);
        while (slots[j])
            j = (j + 1) & (ns - 1);
        slots[j] = b->slots[i];
    }
    free(b->slots);
    b->slots = slots;
    b->nslots = ns;
    return SF_OK;
}

/* Intern s[0..n) (no NUL inside) and return its offset in *off. */
static int intern_n(sf_vdb_builder *b, const char *s, size_t n, uint32_t *off)
{
    if (n == 0) {
        *off = 0;
        return SF_OK;
    }
    if ((b->nstr + 1) * 2 > b->nslots && rehash(b))
        return SF_ENOMEM;
    size_t j = hash_str(s, n) & (b->nslots - 1);
    for (; b->slots[j]; j = (j + 1) & (b->nslots - 1)) {
        const char *t = b->str.data + b->slots[j] - 1;
        if (strncmp(t, s, n) == 0 && t[n] == '\0') {
            *off = b->slots[j] - 1;
            return SF_OK;
        }
    }
    size_t at = b->str.len;
    if (at + n + 1 > SF_VDB_STR_MAX)
        return SF_ELIMIT;
    if (sf_buf_append(&b->str, s, n) || sf_buf_append(&b->str, "", 1))
        return SF_ENOMEM;
    b->slots[j] = (uint32_t)at + 1;
    b->nstr++;
    *off = (uint32_t)at;
    return SF_OK;
}

static int intern(sf_vdb_builder *b, const char *s, uint32_t *off)
{
    if (!s) {
        *off = 0;
        return SF_OK;
    }
    size_t n = strnlen(s, SF_VDB_STR_MAX);
    return intern_n(b, s, n, off);
}

int sf_vdb__intern(sf_vdb_builder *b, const char *s, uint32_t *off) { return intern(b, s, off); }

const char *sf_vdb__str(const sf_vdb_builder *b, uint32_t off) { return b->str.data + off; }

void sf_vdb__source_cve_fact(sf_vdb_builder *b)
{
    if (b->sources.n)
        b->sources.v[b->sources.n - 1].cve_facts++;
}

int sf_vdb__u32_append(sf_vdb_builder *b, uint32_t v, uint32_t *idx)
{
    uint32_t *p = PUSH(b->u32s);
    if (!p)
        return SF_ENOMEM;
    *p = v;
    *idx = (uint32_t)(b->u32s.n - 1);
    return SF_OK;
}

int sf_vdb_builder_new(sf_vdb_builder **out)
{
    sf_vdb_builder *b = calloc(1, sizeof *b);
    if (!b)
        return SF_ENOMEM;
    sf_buf_init(&b->str, SF_VDB_STR_MAX);
    if (sf_buf_append(&b->str, "", 1) || rehash(b) || sf_vdb__cvetab_new(&b->cves)) {
        sf_vdb_builder_free(b);
        return SF_ENOMEM;
    }
    b->built = (int64_t)time(NULL);
    *out = b;
    return SF_OK;
}

void sf_vdb_builder_free(sf_vdb_builder *b)
{
    if (!b)
        return;
    sf_buf_free(&b->str);
    sf_vdb__cvetab_free(b->cves);
    free(b->slots);
    free(b->recs.v);
    free(b->affs.v);
    free(b->rngs.v);
    free(b->evs.v);
    free(b->u32s.v);
    free(b->aliases.v);
    for (size_t i = 0; i < b->skips.n; i++)
        free(b->skips.v[i].key);
    free(b->skips.v);
    for (size_t i = 0; i < b->sources.n; i++) {
        free(b->sources.v[i].label);
        free(b->sources.v[i].kind);
    }
    free(b->sources.v);
    free(b);
}

void sf_vdb_builder_kind(sf_vdb_builder *b, const char *kind)
{
    snprintf(b->kind, sizeof b->kind, "%s", kind ? kind : "");
}

void sf_vdb_builder_set_time(sf_vdb_builder *b, int64_t unix_seconds) { b->built = unix_seconds; }

void sf_vdb_builder_skip(sf_vdb_builder *b, const char *reason, uint64_t n)
{
    for (size_t i = 0; i < b->skips.n; i++) {
        if (strcmp(b->skips.v[i].key, reason) == 0) {
            b->skips.v[i].n += n;
            return;
        }
    }
    char *k = strdup(reason);
    bld_counter *c = k ? PUSH(b->skips) : NULL;
    if (!c) {
        free(k); /* counting is best effort under memory pressure */
        return;
    }
    c->key = k;
    c->n = n;
}

uint64_t sf_vdb_builder_skipped(const sf_vdb_builder *b, const char *reason)
{
    for (size_t i = 0; i < b->skips.n; i++)
        if (strcmp(b->skips.v[i].key, reason) == 0)
            return b->skips.v[i].n;
    return 0;
}

uint64_t sf_vdb_builder_records(const sf_vdb_builder *b) { return b->recs.n; }

int sf_vdb_builder_source(sf_vdb_builder *b, const char *label, const char *kind)
{
    char *l = strdup(label ? label : ""), *k = strdup(kind ? kind : "");
    bld_source *s = (l && k) ? PUSH(b->sources) : NULL;
    if (!s) {
        free(l);
        free(k);
        return SF_ENOMEM;
    }
    s->label = l;
    s->kind = k;
    s->records = 0;
    s->cve_facts = 0;
    return SF_OK;
}
