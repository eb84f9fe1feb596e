/*
 * conn: see conn.h.
 */
#include "fleet/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/keys.h"

void sf_fleet_conn_init(sf_fleet_conn *c)
{
    memset(c, 0, sizeof *c);
    c->redis = getenv("SCANFARM_REDIS");
    if (!c->redis || !*c->redis)
        c->redis = "127.0.0.1:6379";
    /* SCANFARM_KEY_PREFIX, as the worker and coordinator spell it; the
     * older SCANFARM_PREFIX still works */
    c->prefix = getenv("SCANFARM_KEY_PREFIX");
    if (!c->prefix || !*c->prefix)
        c->prefix = getenv("SCANFARM_PREFIX");
    if (!c->prefix || !*c->prefix)
        c->prefix = SF_KEY_PREFIX_DEFAULT;
}

int sf_fleet_conn_open(sf_fleet_conn *c, sf_kv **kv, sf_error *err)
{
    int rc;
    snprintf(c->nodebuf, sizeof c->nodebuf, "%s", c->redis);
    c->nnodes = 0;
    for (char *p = c->nodebuf; p && *p && c->nnodes < SF_FLEET_MAX_NODES;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        c->nodes[c->nnodes++] = p;
        p = comma ? comma + 1 : NULL;
    }
    if ((rc = sf_keys_check_prefix(c->prefix, err)) != SF_OK)
        return rc;
    sf_kv_opts o = {.nodes = c->nodes, .nnodes = c->nnodes, .pool_size = 2,
                    .command_timeout_ms = 30000, .username = getenv("SCANFARM_REDIS_USERNAME"),
                    .password = getenv("SCANFARM_REDIS_PASSWORD"),
                    .password_file = getenv("SCANFARM_REDIS_PASSWORD_FILE")};
    return sf_kv_new(kv, &o, err);
}
