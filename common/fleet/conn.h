/*
 * conn: where the fleet view lives, as every reader and the aggregator
 * are told: --redis HOST:PORT[,HOST:PORT...] (default $SCANFARM_REDIS or
 * 127.0.0.1:6379; redis://[user:pass@]host:port/db also works) and
 * --key-prefix (default $SCANFARM_KEY_PREFIX, then the older
 * $SCANFARM_PREFIX, then "scanfarm"). Redis AUTH comes from the address or
 * SCANFARM_REDIS_USERNAME / SCANFARM_REDIS_PASSWORD(_FILE), as for the
 * services.
 *
 * Thread safety: an sf_fleet_conn belongs to one thread.
 */
#ifndef SF_FLEET_CONN_H
#define SF_FLEET_CONN_H

#include <stddef.h>

#include "base/err.h"
#include "cache/kv.h"

/* Redis nodes one address list may name. */
#define SF_FLEET_MAX_NODES 16

typedef struct sf_fleet_conn {
    const char *redis;  /* the address list, as given */
    const char *prefix; /* the key prefix */
    char nodebuf[1024];
    const char *nodes[SF_FLEET_MAX_NODES];
    size_t nnodes;
} sf_fleet_conn;

/* Defaults from the environment (see above). */
void sf_fleet_conn_init(sf_fleet_conn *c);

/* Check the prefix and connect to c->redis (pool of 2, 30 s commands).
 * SF_OK with *kv set, or an error with err set. */
int sf_fleet_conn_open(sf_fleet_conn *c, sf_kv **kv, sf_error *err);

#endif
