/*
 * wscan: the worker's scanner backed by the scan engine: one registry
 * client per registry host (plain HTTP only for --insecure-registry
 * hosts), the vulnerability DB opened once, and sf_scan_registry per job.
 *
 * Threads: the scanner is built and freed by the worker's main thread;
 * its scan function is called from every scan thread at once (registry
 * clients come from wregs.h, the DB is refcounted, vdb.h).
 */
#ifndef SF_WSCAN_H
#define SF_WSCAN_H

#include "base/err.h"
#include "wconf.h"
#include "worker.h"

typedef struct sf_wscan sf_wscan;

/* Open the DB (cfg->db, optional) and prepare the registry pool. */
int sf_wscan_new(sf_wscan **out, const sf_wconf *cfg, sf_error *err);
void sf_wscan_free(sf_wscan *s);
/* The scanner interface bound to s (s outlives the worker). */
sf_worker_scanner sf_wscan_scanner(sf_wscan *s);

#endif
