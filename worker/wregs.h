/*
 * wregs: the worker's registry clients and which registries a job may
 * name (SSRF defence, docs/security.md "SSRF and the jobs topic").
 *
 * Anyone who can write to the jobs topic chooses the host a worker
 * connects to. So a job's registry must match the allow-list:
 * --registry-allow globs when given; otherwise exactly the registries the
 * worker's configuration already names: the --insecure-registry hosts,
 * the --registry hosts (the coordinator's SCANFARM_REGISTRY, which
 * deploy/k8s shares with the workers) and the hosts of --docker-config
 * `auths`. Every connection, including redirects and token realms, also
 * passes the connect-time address check of registry/netpol (no
 * link-local or metadata address unless --registry-allow-address).
 *
 * Clients are created on first use and kept (connection reuse, token
 * caches) in a table of WREGS_MAX entries; when it is full the least
 * recently used idle client is evicted, so no stream of jobs can pin it.
 *
 * Thread safety: every function may be called from any scan thread.
 */
#ifndef SF_WREGS_H
#define SF_WREGS_H

#include <stddef.h>

#include "base/err.h"
#include "registry/registry.h"
#include "wconf.h"

typedef struct sf_wregs sf_wregs;

/* Build the allow-list and the address policy from cfg (borrowed; it
 * outlives the pool). SF_ECONFIG on a bad address range or docker config. */
int sf_wregs_new(sf_wregs **out, const sf_wconf *cfg, sf_error *err);
void sf_wregs_free(sf_wregs *p);

/* 1 when a job may name host ("host[:port]"). */
int sf_wregs_allowed(const sf_wregs *p, const char *host);
/* Patterns in force (borrowed), for the start-up log and tests. */
const char *const *sf_wregs_patterns(const sf_wregs *p, size_t *n);

/* The client for host, created when needed; release it when done.
 * SF_EAUTH (an image error: the job gets an error result) when host is
 * malformed or not allowed, before any connection; SF_ELIMIT when every
 * client is busy. */
int sf_wregs_acquire(sf_wregs *p, const char *host, sf_reg **out, sf_error *err);
void sf_wregs_release(sf_wregs *p, sf_reg *reg);
/* Clients currently in the table. */
size_t sf_wregs_count(sf_wregs *p);

#endif
