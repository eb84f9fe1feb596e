/*
 * array: grow-by-doubling for the growable arrays of the tree (a pointer,
 * a used count and an allocated capacity), overflow-checked and capped, so
 * each owner does not write its own realloc dance.
 *
 * Threads: no state; the caller owns the array (and its locking).
 */
#ifndef SF_ARRAY_H
#define SF_ARRAY_H

#include <stddef.h>

/* Room for one more element of elem bytes in arr (n used, *cap allocated):
 * arr itself when n < *cap; otherwise arr reallocated to twice *cap
 * elements (first when *cap is 0), *cap updated, and the new pointer
 * returned. NULL, with arr and *cap untouched (still the caller's), when
 * the size overflows, when max (0: no cap) elements are already there, or
 * when allocation fails. */
void *sf_array_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first, size_t max);

#endif
