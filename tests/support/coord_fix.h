/*
 * coord_fix: what the integration tests of the coordinator's runs over
 * the stack registry share: tagging an image already in the registry
 * (tests/fixtures/regtag.py), one `scanfarm-coordinator --once --redis`
 * run on a scratch's topics and key prefix with its summary line, and
 * reading the aggregator's fleet view back.
 */
#ifndef SF_TEST_COORD_FIX_H
#define SF_TEST_COORD_FIX_H

#include <stddef.h>

#include "cache/kv.h"
#include "stack.h"

/* regtag.py [extra options] src dst on the stack registry (repo:tag
 * each); the digest dst now resolves to into out. 0, or -1. */
int sf_t_regtag(const char *extra, const char *src, const char *dst, char *out, size_t cap);

/* Write <s->dir>/coord.json (its path into path): the stack registry
 * with one explicit repository repo (a test names its repositories: the
 * shared registry's catalog is others'). 0, or -1. */
int sf_t_coord_config(char *path, size_t cap, const sf_t_scratch *s, const char *repo);

/* The summary line of one coordinator run (coordinator/run.c). */
typedef struct sf_t_coord_sum {
    long jobs, delivered, skipped, check_errors, refs_delivered;
    int status; /* exit status; fields are -1 when the line is missing */
} sf_t_coord_sum;

/* scanfarm-coordinator --once --config cfg on s's jobs and results
 * topics, with the stack's Redis, s's key prefix and DB, run id
 * "<s->name>-<n>", its log in <s->dir>/coord<n>.log. */
sf_t_coord_sum sf_t_coordinator(const sf_t_scratch *s, const char *cfg, int n);

/* HGET field of the aggregator's hash name (agg:<name>) under prefix;
 * malloc'd or NULL. */
char *sf_t_agg_hget(sf_kv *kv, const char *prefix, const char *name, const char *field);

#endif
