/* array: see array.h. */
#include "base/array.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"

void *sf_array_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first, size_t max)
{
    if (n < *cap)
        return arr;
    if (max && n >= max)
        return NULL;
    size_t ncap = *cap ? *cap * 2 : (first ? first : 1), bytes;
    if (ncap < *cap)
        return NULL;
    if (max && ncap > max)
        ncap = max;
    if (sf_mul_overflow(ncap, elem, &bytes))
        return NULL;
    void *p = realloc(arr, bytes);
    if (!p)
        return NULL;
    *cap = ncap;
    return p;
}

int sf_array_reserve(void *arrp, size_t *cap, size_t n, size_t elem, size_t first, size_t max)
{
    void *arr;
    memcpy(&arr, arrp, sizeof arr);
    void *p = sf_array_grow(arr, cap, n, elem, first, max);
    if (!p)
        return SF_ENOMEM;
    memcpy(arrp, &p, sizeof p);
    return SF_OK;
}

void *sf_array_push(void *arrp, size_t *cap, size_t *n, size_t elem, size_t first, size_t max)
{
    if (sf_array_reserve(arrp, cap, *n, elem, first, max) != SF_OK)
        return NULL;
    char *arr;
    memcpy(&arr, arrp, sizeof arr);
    void *e = arr + *n * elem;
    memset(e, 0, elem);
    (*n)++;
    return e;
}

size_t sf_array_sort_unique(void *arr, size_t n, size_t elem, int (*cmp)(const void *, const void *),
                            void (*drop)(void *))
{
    if (n == 0)
        return 0;
    char *a = arr;
    qsort(a, n, elem, cmp);
    size_t w = 1;
    for (size_t i = 1; i < n; i++) {
        char *e = a + i * elem;
        if (cmp(a + (w - 1) * elem, e) == 0) {
            if (drop)
                drop(e);
            continue;
        }
        if (w != i)
            memcpy(a + w * elem, e, elem);
        w++;
    }
    return w;
}

void sf_strarr_free(char **a, size_t n)
{
    if (a)
        SF_PTRS_FREE(a, n, free);
}
