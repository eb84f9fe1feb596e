/*
 * digest_set: the per-run set of manifest digests, mapping each to a
 * small value (the coordinator stores "published" or the index of a
 * pending job). Open addressing over 16-byte keys taken from the digest's
 * first 128 bits: 20 bytes a slot, the table doubled at 70% load, so
 * 29-57 bytes per digest (1M unique digests: 2^21 slots, 42 MB). A 128-bit prefix of a SHA-2
 * digest does not collide in any realistic fleet (birthday bound 2^64).
 *
 * Memory is bounded by the number of unique digests in a run, and capped
 * by max_entries (SF_ELIMIT past it).
 *
 * Thread safety: none; the caller serialises access.
 */
#ifndef SF_DIGEST_SET_H
#define SF_DIGEST_SET_H

#include <stddef.h>
#include <stdint.h>

typedef struct sf_dset sf_dset;

int sf_dset_new(sf_dset **out, size_t max_entries);
void sf_dset_free(sf_dset *s);

/*
 * Find digest ("algo:hex", already validated). With create=1 a missing
 * digest is added with value 0 and *added set to 1. *val points at the
 * stored value (valid until the next call). SF_ENOTFOUND when absent and
 * create=0; SF_ELIMIT when the set is full; SF_EINVAL for a bad digest.
 */
int sf_dset_get(sf_dset *s, const char *digest, int create, uint32_t **val, int *added);

/* Entries stored. */
size_t sf_dset_count(const sf_dset *s);
/* Bytes allocated for the table. */
size_t sf_dset_bytes(const sf_dset *s);

#endif
