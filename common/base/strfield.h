/*
 * strfield: a struct's heap-string members listed by offset, each with
 * its JSON key, so that one list per struct serves every walk over them:
 * freeing and copying (sf_pkg, sf_osinfo in base/pkg.c) and the JSON
 * codecs (sf_jutil_put_fields / sf_jutil_get_fields, bus/msg_result.c).
 * A member added to the list is then freed, copied and encoded alike; one
 * forgotten in a hand-written clear or copy was a leak or a lost field.
 *
 * Threads: no state.
 */
#ifndef SF_STRFIELD_H
#define SF_STRFIELD_H

#include <stddef.h>

typedef struct sf_strfield {
    const char *key; /* JSON key */
    size_t off;      /* offsetof the char * member */
} sf_strfield;

#define SF_STRFIELD_N(t) (sizeof(t) / sizeof((t)[0]))
#define SF_STRFIELD_PTR(base, f) ((char **)((char *)(base) + (f).off))
#define SF_STRFIELD_CPTR(base, f) ((char *const *)((const char *)(base) + (f).off))

/* Free each of the n members of base (NULL ones are fine); the members
 * are left dangling, for the caller's memset. */
void sf_strfields_free(void *base, const sf_strfield *f, size_t n);

/* Set each of the n members of dst to a heap copy of src's (NULL stays
 * NULL); dst's members are overwritten, not freed. SF_OK, or SF_ENOMEM
 * with what was copied so far in dst for the caller's clear. */
int sf_strfields_dup(void *dst, const void *src, const sf_strfield *f, size_t n);

#endif
