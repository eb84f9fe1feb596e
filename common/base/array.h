/*
 * array: grow-by-doubling for the growable arrays of the tree (a pointer,
 * a used count and an allocated capacity), overflow-checked and capped, so
 * each owner does not write its own realloc dance; and their release (each
 * element's own clear, then the storage), so each owner does not write its
 * own loop either.
 *
 * Threads: no state; the caller owns the array (and its locking).
 */
#ifndef SF_ARRAY_H
#define SF_ARRAY_H

#include <stddef.h>
#include <stdlib.h>

/* Room for one more element of elem bytes in arr (n used, *cap allocated):
 * arr itself when n < *cap; otherwise arr reallocated to twice *cap
 * elements (first when *cap is 0), *cap updated, and the new pointer
 * returned. NULL, with arr and *cap untouched (still the caller's), when
 * the size overflows, when max (0: no cap) elements are already there, or
 * when allocation fails. */
void *sf_array_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first, size_t max);

/* sf_array_grow on an array held in the caller's lvalues arr (a T *) and
 * cap (a size_t), which it updates: SF_OK, or SF_ENOMEM with both
 * untouched (out of memory, size overflow, or max elements already). */
#define SF_ARRAY_RESERVE(arr, cap, n, first, max)                             \
    sf_array_reserve(&(arr), &(cap), (n), sizeof *(arr), (first), (max))

/* SF_ARRAY_RESERVE, then the new last element: a pointer to arr[n],
 * zeroed, with n (an lvalue size_t) incremented; NULL, all untouched,
 * when there is no room. */
#define SF_ARRAY_PUSH(arr, cap, n, first, max)                                \
    sf_array_push(&(arr), &(cap), &(n), sizeof *(arr), (first), (max))

/* The functions behind the two macros. arrp is the address of the
 * caller's T * array pointer; it is read and written as a void * (the
 * same representation as any object pointer on POSIX), so no cast of
 * the caller's T ** is needed. */
int sf_array_reserve(void *arrp, size_t *cap, size_t n, size_t elem, size_t first, size_t max);
void *sf_array_push(void *arrp, size_t *cap, size_t *n, size_t elem, size_t first, size_t max);

/* Release an array of n elements that own memory: clear(&arr[i]) for each
 * (clear takes a pointer to the element type, e.g. sf_pkg_clear), then
 * free(arr). A macro so that clear keeps its own element type (a void *
 * callback would need a cast the compiler cannot check). arr may be NULL
 * only when n is 0. The caller resets its pointer and count if it keeps
 * the owner. */
#define SF_ARRAY_FREE(arr, n, clear)                                          \
    do {                                                                      \
        for (size_t sf_i_ = 0; sf_i_ < (size_t)(n); sf_i_++)                  \
            clear(&(arr)[sf_i_]);                                             \
        free(arr);                                                            \
    } while (0)

/* The same for an array of n owned pointers: release(arr[i]) for each
 * (e.g. a _free function), then free(arr). */
#define SF_PTRS_FREE(arr, n, release)                                         \
    do {                                                                      \
        for (size_t sf_i_ = 0; sf_i_ < (size_t)(n); sf_i_++)                  \
            release((arr)[sf_i_]);                                            \
        free(arr);                                                            \
    } while (0)

/* Sort the n elements of elem bytes in arr with cmp (as qsort), then keep
 * only the first of each run that cmp calls equal, in place, calling drop
 * (NULL: nothing) on each element left out so it can release what it
 * owns. Returns how many are kept. */
size_t sf_array_sort_unique(void *arr, size_t n, size_t elem, int (*cmp)(const void *, const void *),
                            void (*drop)(void *));

/* Free n heap strings and their array (a NULL array is fine): the string
 * lists of messages, findings, rules, configs. */
void sf_strarr_free(char **a, size_t n);

#endif
