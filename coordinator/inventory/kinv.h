/*
 * kinv: the inventory loop of one cluster (and one namespace, or all):
 * list, then watch, keeping the running view of running.h current and
 * turning running digests without a current result into scan jobs.
 *
 *   relist:  page through the pods (limit/continue); write every pod that
 *            runs something (batched HSETs), then delete the fields of
 *            pods the list did not return (only in the namespace watched),
 *            so a restart or a missed DELETE is repaired. The list's
 *            resourceVersion is where the watch starts.
 *   watch:   ADDED/MODIFIED rewrite a pod's field (or delete it when
 *            nothing runs any more: finished, or no digest yet), DELETED
 *            deletes it, BOOKMARK moves the resume point, every event's
 *            object moves it too. When the server ends the stream (its
 *            timeoutSeconds) or the connection drops, the watch resumes
 *            from the last resourceVersion after a short backoff; 410 Gone
 *            (an HTTP status or an ERROR event) means that version is too
 *            old: relist.
 *
 * Owners are walked to the workload where the API lets us see it: a
 * ReplicaSet's controller (a Deployment) and a Job's (a CronJob) are read
 * with one GET each, cached per process; StatefulSet, DaemonSet and the
 * rest are the pod's own controller. A GET that fails (RBAC, deleted
 * owner) leaves the nearer owner.
 *
 * Nodes: each pod's node is read once (GET, cached) for its os/arch, kept
 * with the pod, so a running multi-arch index counts only the platform
 * image of the node's architecture as running (unknown: every one).
 *
 * Jobs: the first time a digest is seen, sf_sched_check (the coordinator's
 * "is current" rule: the worker's image entry matched against the current
 * DB) decides; anything not current is published as a scanfarm.job/v1 for
 * "<registry>/<repository>@<digest>", from whatever registry the image
 * came from (the worker fetches it with its own credentials for that
 * registry). Run id "inventory-<YYYYMMDD>" (UTC), its published count
 * incremented as jobs go out so the aggregator can tell when it is done.
 *
 * Thread safety: one call of sf_kinv_run per thread; kv, prod and sched are
 * shared and thread-safe.
 */
#ifndef SF_KINV_H
#define SF_KINV_H

#include <stdatomic.h>

#include "base/err.h"
#include "bus/kprod.h"
#include "cache/kv.h"
#include "kube/kube_cfg.h"
#include "schedule.h"

typedef struct sf_kinv_opts {
    const char *cluster;       /* name in the running view */
    const sf_kcfg *kcfg;       /* how to reach it (borrowed) */
    const char *ns;            /* namespace, NULL = all */
    sf_kv *kv;
    const char *prefix;        /* Redis key prefix */
    long page_size;            /* pods per list page */
    long watch_timeout_s;      /* timeoutSeconds asked of each watch */
    int resolve_owners;        /* GET ReplicaSets and Jobs for their workload */
    int resolve_nodes;         /* GET each node once for its os/arch (multi-arch images) */
    sf_kprod *prod;            /* NULL = publish no jobs */
    const char *topic;         /* jobs topic */
    sf_sched *sched;           /* NULL = every new digest is published */
    int once;                  /* list once (write, sweep, jobs) and return */
    long backoff_max_ms;       /* cap of the wait between failed attempts */
    const atomic_int *cancel;
} sf_kinv_opts;

typedef struct sf_kinv_stats {
    long lists;     /* complete relists */
    long watches;   /* watch requests made */
    long events;    /* watch events applied */
    long gone;      /* 410 Gone answers (each caused a relist) */
    long drops;     /* watches that failed mid-way (resumed) */
    long pods_put;  /* pod fields written */
    long pods_del;  /* pod fields deleted */
    long jobs;      /* scan jobs published */
    long current;   /* digests skipped as current */
    long owner_gets;/* owner GETs */
    long node_gets; /* node GETs */
} sf_kinv_stats;

/* Run until *cancel (or after one list with once). Returns SF_OK on
 * cancel/once; a fatal error (bad config, credentials refused at the
 * first list) otherwise. st may be NULL; it is updated as it goes. */
int sf_kinv_run(const sf_kinv_opts *o, sf_kinv_stats *st, sf_error *err);

#endif
