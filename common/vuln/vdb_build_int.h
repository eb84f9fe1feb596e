/*
 * vdb_build_int: what the builder (vdb_build.c) shares with its CVE table
 * (vdb_cve.c): string interning, the growable-array helper, and the CVE
 * table's hooks into serialisation. Nothing outside common/vuln includes
 * this.
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

/* The CVE table of a builder (vdb_cve.c). */
typedef struct sf_vdb_cvetab sf_vdb_cvetab;
int sf_vdb__cvetab_new(sf_vdb_cvetab **out);
void sf_vdb__cvetab_free(sf_vdb_cvetab *t);
sf_vdb_cvetab *sf_vdb__cvetab(sf_vdb_builder *b);
/* Final arrays for the file: entries sorted by id, each CVE's CVSS metrics
 * contiguous, CWE lists appended to u32s. Caller frees *cves and *cvss. */
int sf_vdb__cves_emit(sf_vdb_builder *b, sf_vdb_cve **cves, size_t *ncve, sf_vdb_cvss **cvss,
                      size_t *ncvss);

#endif
