/*
 * enumerate: walk every configured registry (catalog or explicit
 * repositories -> tags -> digests) and publish one `scanfarm.job/v1` per
 * unique manifest digest to Kafka, keyed by the digest.
 *
 * Streaming and memory. The catalog is read page by page; each selected
 * repository's tags are listed (newest-N needs the whole list of one
 * repository, capped by max_tags_per_repo), then resolved by a pool of
 * threads (the registry's concurrency) through a bounded queue, each
 * with a GET whose small body rides in the job (enum_resolve.h). When the
 * last tag of a repository is resolved, its tags are grouped by digest
 * and handed to the collector. Memory is therefore bounded by: the
 * repositories in flight (queue capacity), the largest tag list of one
 * repository, the per-run digest set (unique digests, ~30 B each), the
 * merge window, and the manifests kept for jobs (at most
 * SF_LIM_ENUM_MANIFEST_BYTES at once).
 *
 * Grouping and dedupe. One job per digest per run. By default
 * (merge_window 0) each repository's digests are published as soon as
 * the repository is done, so workers start while the crawl goes on. A
 * digest met again after its job went out (or was skipped as current)
 * is not published twice: its late refs are counted (refs_late) and,
 * with a refs producer, sent as a refs message of the run, which the
 * aggregator adds to the digest's refs (keeping them until the result
 * lands). A merge_window > 0 holds jobs instead until the refs held
 * exceed it or the oldest has waited merge_hold (default 2 min), so a
 * job lists every registry/repo:tag met within that window. The job's
 * registry/repository are those of its first ref.
 *
 * Failures. Errors are counted by kind. A registry whose catalog cannot
 * be read, or whose requests fail registry_failures times in a row, is
 * reported and skipped; the run goes on with the next registry.
 */
#ifndef SF_COORD_ENUMERATE_H
#define SF_COORD_ENUMERATE_H

#include <regex.h>
#include <stdatomic.h>
#include <stddef.h>

#include "base/err.h"
#include "bus/kprod.h"
#include "config.h"
#include "run.h"
#include "schedule.h"

/*
 * Enumerate every registry of cfg, publishing jobs through prod, and
 * wait for all delivery reports. Counters go to run. Returns SF_OK when
 * every job was delivered (registry failures are in run, not here);
 * SF_EKAFKA / SF_ETIMEOUT when delivery failed; SF_ECANCELED when cancel
 * became non-zero.
 */
int sf_enumerate_run(const sf_coordcfg *cfg, sf_kprod *prod, sf_run *run,
                     const atomic_int *cancel, sf_error *err);

/* Same, asking sched (may be NULL) before each job whether the digest's
 * cached result is current (a repository's digests in one pipelined
 * Redis exchange, sf_sched_check_many, made without the collector's
 * lock; any doubt publishes); such jobs are counted in
 * run->skipped_current and not published (schedule.h). Instead, when
 * refs_prod is not NULL, a scanfarm.refs/v1 message (bus/msg_refs.h)
 * with the digest's refs and result digests goes to cfg->results_topic
 * through refs_prod, a producer of its own so that run->jobs_delivered
 * counts jobs only; its delivery reports are awaited too. */
int sf_enumerate_run_sched(const sf_coordcfg *cfg, sf_kprod *prod, sf_sched *sched,
                           sf_kprod *refs_prod, sf_run *run, const atomic_int *cancel,
                           sf_error *err);

/* 1 when repo passes r's include/exclude globs (fnmatch, '*' also
 * matches '/'). */
int sf_enum_repo_selected(const sf_regcfg *r, const char *repo);

/* Tag order for "newest N": digit runs compare as numbers, the rest
 * byte-wise, so v1.10 > v1.9 and 2024-06-01 > 2024-05-30. */
int sf_enum_tag_cmp(const char *a, const char *b);

/*
 * Apply r's tag filters to tags[0..n): include/exclude globs, the regex
 * (re may be NULL), then keep the newest tag_newest. Rejected entries are
 * freed; kept ones are compacted to the front. Returns the count kept.
 */
size_t sf_enum_select_tags(const sf_regcfg *r, const regex_t *re, char **tags, size_t n);

#endif
