/*
 * conn: see conn.h.
 */
#include "fleet/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/keys.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define C(f) offsetof(sf_fleet_conn, f)
const sf_opt SF_FLEET_CONN_OPTS[SF_FLEET_CONN_NOPTS] = {
    {"redis", SF_OT_STR, C(redis), "127.0.0.1:6379", "SCANFARM_REDIS", 0, 0, 0,
     "Redis node(s) of the fleet view: host:port[,host:port...] or "
     "redis://[user:pass@]host:port/db", "HOST:PORT"},
    {"key_prefix", SF_OT_STR, C(prefix), SF_KEY_PREFIX_DEFAULT, "SCANFARM_KEY_PREFIX", 0, 0, 0,
     "prefix of every Redis key (the aggregator's)", "PREFIX", "--prefix,SCANFARM_PREFIX"},
    {"redis_username", SF_OT_STR, C(redis_username), NULL, "SCANFARM_REDIS_USERNAME", 0, 0, 0,
     "Redis ACL user: AUTH user password (Redis 6+)", "USER"},
    {"redis_password_file", SF_OT_STR, C(redis_password_file), NULL,
     "SCANFARM_REDIS_PASSWORD_FILE", 0, 0, 0, "file holding the Redis password", "FILE"},
    {"redis_password", SF_OT_STR, C(redis_password), NULL, "SCANFARM_REDIS_PASSWORD",
     SF_OPT_SECRET, 0, 0, "the Redis password itself (environment only)"},
};

int sf_fleet_conn_open(const sf_fleet_conn *c, sf_kv **kv, sf_error *err)
{
    char buf[1024];
    const char *nodes[SF_FLEET_MAX_NODES];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", c->redis ? c->redis : "");
    for (char *p = buf; *p && n < SF_FLEET_MAX_NODES;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        nodes[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    int rc = sf_keys_check_prefix(c->prefix, err);
    if (rc != SF_OK)
        return rc;
    /* the nodes are copied by sf_kv_new */
    sf_kv_opts o = {.nodes = nodes, .nnodes = n, .pool_size = 2, .command_timeout_ms = 30000,
                    .username = c->redis_username, .password = c->redis_password,
                    .password_file = c->redis_password_file};
    return sf_kv_new(kv, &o, err);
}
