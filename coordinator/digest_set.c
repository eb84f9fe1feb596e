/*
 * digest_set: see digest_set.h. Linear probing; the table doubles at 70%
 * load. Empty slots carry the value UINT32_MAX, which callers never store.
 */
#include "digest_set.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

#define EMPTY UINT32_MAX

typedef struct slot {
    uint8_t key[16];
    uint32_t val;
} slot;

struct sf_dset {
    slot *t;
    size_t cap; /* power of two */
    size_t n;
    size_t max;
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int make_key(const char *digest, uint8_t key[16])
{
    const char *h = strchr(digest, ':');
    if (!h || strlen(h + 1) < 32)
        return SF_EINVAL;
    h++;
    for (int i = 0; i < 16; i++) {
        int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
        if (a < 0 || b < 0)
            return SF_EINVAL;
        key[i] = (uint8_t)(a << 4 | b);
    }
    /* Keep sha512 prefixes apart from sha256 ones. */
    if (strncmp(digest, "sha512:", 7) == 0)
        key[15] ^= 0xA5;
    return SF_OK;
}

static size_t hash_of(const uint8_t key[16])
{
    uint64_t x;
    memcpy(&x, key, sizeof x); /* the key is already uniformly random */
    return (size_t)x;
}

static slot *alloc_table(size_t cap)
{
    slot *t = malloc(cap * sizeof *t);
    if (t)
        for (size_t i = 0; i < cap; i++)
            t[i].val = EMPTY;
    return t;
}

int sf_dset_new(sf_dset **out, size_t max_entries)
{
    sf_dset *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return SF_ENOMEM;
    s->cap = 4096;
    s->max = max_entries;
    if (!(s->t = alloc_table(s->cap))) {
        free(s);
        return SF_ENOMEM;
    }
    *out = s;
    return SF_OK;
}

void sf_dset_free(sf_dset *s)
{
    if (s) {
        free(s->t);
        free(s);
    }
}

static slot *probe(slot *t, size_t cap, const uint8_t key[16])
{
    size_t i = hash_of(key) & (cap - 1);
    while (t[i].val != EMPTY && memcmp(t[i].key, key, 16) != 0)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

static int grow(sf_dset *s)
{
    size_t nc = s->cap * 2;
    if (nc < s->cap || nc > SIZE_MAX / sizeof(slot))
        return SF_ENOMEM;
    slot *nt = alloc_table(nc);
    if (!nt)
        return SF_ENOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->t[i].val != EMPTY)
            *probe(nt, nc, s->t[i].key) = s->t[i];
    free(s->t);
    s->t = nt;
    s->cap = nc;
    return SF_OK;
}

int sf_dset_get(sf_dset *s, const char *digest, int create, uint32_t **val, int *added)
{
    uint8_t key[16];
    if (added)
        *added = 0;
    *val = NULL;
    if (make_key(digest, key))
        return SF_EINVAL;
    slot *e = probe(s->t, s->cap, key);
    if (e->val != EMPTY) {
        *val = &e->val;
        return SF_OK;
    }
    if (!create)
        return SF_ENOTFOUND;
    if (s->n >= s->max)
        return SF_ELIMIT;
    if ((s->n + 1) * 10 > s->cap * 7) {
        int rc = grow(s);
        if (rc)
            return rc;
        e = probe(s->t, s->cap, key);
    }
    memcpy(e->key, key, 16);
    e->val = 0;
    s->n++;
    *val = &e->val;
    if (added)
        *added = 1;
    return SF_OK;
}

size_t sf_dset_count(const sf_dset *s) { return s->n; }

size_t sf_dset_bytes(const sf_dset *s) { return s->cap * sizeof(slot); }
