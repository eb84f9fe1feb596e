/*
 * vdb_build_int: what the builder's files share: vdb_build.c (lifecycle,
 * string table, counters), vdb_rec.c (records), vdb_cve.c (the CVE
 * table) and vdb_write.c (serialisation). The builder struct itself,
 * string interning, the growable-array helper, and the CVE table's hooks
 * into serialisation. Nothing outside common/vuln includes this.
 */
#ifndef SF_VDB_BUILD_INT_H
#define SF_VDB_BUILD_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/buf.h"
#include "vuln/vdb_build.h"
#include "vuln/vdb_int.h"

#define VEC(T)         \
    struct {           \
        T *v;          \
        size_t n, cap; \
    }

/* Grow a VEC by one slot; returns a pointer to it or NULL. */
static inline void *sf_vdb__vec_push(void **v, size_t *n, size_t *cap, size_t elem)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64, bytes;
        if (sf_mul_overflow(ncap, elem, &bytes) || *n >= UINT32_MAX - 1)
            return NULL;
        void *nv = realloc(*v, bytes);
        if (!nv)
            return NULL;
        *v = nv;
        *cap = ncap;
    }
    return (char *)*v + (*n)++ * elem;
}
#define PUSH(vec)                                                                              \
    ((__typeof__((vec).v))sf_vdb__vec_push((void **)&(vec).v, &(vec).n, &(vec).cap,            \
                                           sizeof *(vec).v))

/* The CVE table of a builder (vdb_cve.c). */
typedef struct sf_vdb_cvetab sf_vdb_cvetab;

/* An affected entry before sorting: keeps its (ecosystem, name) key. */
typedef struct bld_aff {
    uint32_t eco, name;
    sf_vdb_aff a;
} bld_aff;

/* A skip reason and how many items it dropped. */
typedef struct bld_counter {
    char *key;
    uint64_t n;
} bld_counter;

/* One input of the build (sf_vdb_builder_source) and what it gave. */
typedef struct bld_source {
    char *label, *kind;
    uint64_t records;
    uint64_t cve_facts; /* NVD records, KEV entries, EPSS rows taken from it */
} bld_source;

/* The builder: vdb_build.c makes and frees it, vdb_rec.c appends to the
 * arrays, vdb_write.c reads them out. */
struct sf_vdb_builder {
    sf_buf str;        /* string table: offset 0 is "" */
    uint32_t *slots;   /* hash slots: string offset + 1, 0 = empty */
    size_t nslots, nstr;
    VEC(sf_vdb_rec) recs;
    VEC(bld_aff) affs;
    VEC(sf_vdb_rng) rngs;
    VEC(uint32_t) evs;
    VEC(uint32_t) u32s;
    VEC(uint32_t) aliases; /* of the current record, copied to u32s at commit */
    VEC(bld_counter) skips;
    VEC(bld_source) sources;
    int64_t built;
    char kind[16];     /* importer of the records being added ("osv", ...) */
    /* current record */
    int in_rec;
    sf_vdb_rec cur;
    size_t save_affs, save_rngs, save_evs, save_u32s;
    int aff_state; /* 0 none, 1 open, -1 ignoring (bad affected) */
    int rng_open;
    sf_vdb_cvetab *cves; /* NVD / KEV / EPSS facts per CVE (vdb_cve.c) */
};

/* Intern s (NULL or "" -> offset 0). */
int sf_vdb__intern(sf_vdb_builder *b, const char *s, uint32_t *off);
/* The string at off (borrowed; moves when the table grows). */
const char *sf_vdb__str(const sf_vdb_builder *b, uint32_t off);
/* Append one value to the u32s section; its index in *idx. */
int sf_vdb__u32_append(sf_vdb_builder *b, uint32_t v, uint32_t *idx);
/* Count one NVD record / KEV entry / EPSS row for the current source. */
void sf_vdb__source_cve_fact(sf_vdb_builder *b);
/* Count a skipped item (same as sf_vdb_builder_skip). */
#define sf_vdb__skip sf_vdb_builder_skip

/* The CVE table's lifecycle (vdb_cve.c), and a builder's table. */
int sf_vdb__cvetab_new(sf_vdb_cvetab **out);
void sf_vdb__cvetab_free(sf_vdb_cvetab *t);
sf_vdb_cvetab *sf_vdb__cvetab(sf_vdb_builder *b);
/* Final arrays for the file: entries sorted by id, each CVE's CVSS metrics
 * contiguous, CWE lists appended to u32s. Caller frees *cves and *cvss. */
int sf_vdb__cves_emit(sf_vdb_builder *b, sf_vdb_cve **cves, size_t *ncve, sf_vdb_cvss **cvss,
                      size_t *ncvss);

#endif
