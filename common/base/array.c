/* array: see array.h. */
#include "base/array.h"

#include <stdlib.h>

#include "base/buf.h"

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

void sf_strarr_free(char **a, size_t n)
{
    if (a)
        SF_PTRS_FREE(a, n, free);
}
