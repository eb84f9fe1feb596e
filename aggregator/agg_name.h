/*
 * agg_name: the entries of the name-search index (agg_index.c's pname and
 * reponame sets), one place for the aggregator that writes them and the
 * API that backfills them and lowercases its queries the same way.
 */
#ifndef SF_AGG_NAME_H
#define SF_AGG_NAME_H

#include <stddef.h>

/* Word starts indexed per name; a name with more words is found by the
 * first ones only (bounds the index at a few entries per package). */
#define SF_AGG_NAME_STARTS 8
/* Longest entry; longer names are indexed by their first bytes only. */
#define SF_AGG_NAME_ENTRY 1200

/* ASCII-lowercase s into out (outlen > 0); bytes >= 0x80 are kept, so
 * search is case-insensitive for ASCII only. */
void sf_agg_name_lower(const char *s, char *out, size_t outlen);

/* The entries "<lowercased name from a word start>\x1f<member>" of
 * member named name: the whole name and each suffix starting after one
 * of "/-_.:@+". Returns how many (0 when member does not fit). */
size_t sf_agg_name_entries(const char *name, const char *member,
                           char out[SF_AGG_NAME_STARTS][SF_AGG_NAME_ENTRY]);

/* The member of an entry (after its first \x1f), NULL if none. */
const char *sf_agg_name_member(const char *entry);

#endif
