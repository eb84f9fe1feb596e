/*
 * layer_links: see layer_links.h. A small array in arrival order: at most
 * SF_LIM_LINK_FILES entries, so lookups are a short linear scan.
 */
#include "analyze/layer_links.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/limits.h"

typedef struct kept {
    char *path;
    uint8_t *data;
    size_t len;
} kept;

struct sf_llinks {
    kept v[SF_LIM_LINK_FILES];
    size_t n;
    uint64_t bytes;
};

int sf_llinks_new(sf_llinks **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? SF_OK : SF_ENOMEM;
}

static void drop(sf_llinks *k, size_t i)
{
    k->bytes -= k->v[i].len;
    free(k->v[i].path);
    free(k->v[i].data);
    memmove(&k->v[i], &k->v[i + 1], (k->n - i - 1) * sizeof k->v[0]);
    k->n--;
}

void sf_llinks_free(sf_llinks *k)
{
    while (k && k->n)
        drop(k, k->n - 1);
    free(k);
}

static size_t find(const sf_llinks *k, const char *path)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->v[i].path, path) == 0)
            return i;
    return k->n;
}

void sf_llinks_forget(sf_llinks *k, const char *path)
{
    size_t i = k->n ? find(k, path) : 0;
    if (i < k->n)
        drop(k, i);
}

int sf_llinks_keep(sf_llinks *k, const char *path, const uint8_t *data, size_t len)
{
    sf_llinks_forget(k, path);
    if (len > SF_LIM_LINK_FILE_BYTES)
        return SF_OK;
    while (k->n && (k->n == SF_LIM_LINK_FILES || k->bytes + len > SF_LIM_LINK_KEEP_BYTES))
        drop(k, 0); /* the oldest first */
    kept *e = &k->v[k->n];
    e->path = strdup(path);
    e->data = malloc(len ? len : 1);
    if (!e->path || !e->data) {
        free(e->path);
        free(e->data);
        return SF_ENOMEM;
    }
    memcpy(e->data, data, len);
    e->len = len;
    k->bytes += len;
    k->n++;
    return SF_OK;
}

const uint8_t *sf_llinks_find(const sf_llinks *k, const char *path, size_t *len)
{
    size_t i = find(k, path);
    if (i == k->n)
        return NULL;
    *len = k->v[i].len;
    return k->v[i].data;
}

static int starts(const uint8_t *h, size_t n, const char *s)
{
    size_t m = strlen(s);
    return n >= m && memcmp(h, s, m) == 0;
}

int sf_llinks_candidate(const uint8_t *head, size_t n)
{
    /* apk: records open with the checksum (C:Q1...) or the name (P:);
     * dpkg status: stanzas open with Package:. */
    return starts(head, n, "C:Q1") || starts(head, n, "P:") || starts(head, n, "Package: ");
}
