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
    {"redis_tls_ca_file", SF_OT_STR, C(redis_tls_ca_file), NULL, "SCANFARM_REDIS_TLS_CA_FILE", 0,
     0, 0, "CA bundle that signs the Redis server certificates (rediss:// URLs; default: the "
     "system's)", "FILE"},
    {"redis_tls_cert_file", SF_OT_STR, C(redis_tls_cert_file), NULL,
     "SCANFARM_REDIS_TLS_CERT_FILE", 0, 0, 0, "client certificate for Redis TLS (mutual TLS), PEM",
     "FILE"},
    {"redis_tls_key_file", SF_OT_STR, C(redis_tls_key_file), NULL, "SCANFARM_REDIS_TLS_KEY_FILE",
     0, 0, 0, "key of --redis-tls-cert-file, PEM", "FILE"},
    {"redis_tls_server_name", SF_OT_STR, C(redis_tls_server_name), NULL,
     "SCANFARM_REDIS_TLS_SERVER_NAME", 0, 0, 0,
     "name the Redis certificates must carry (default: each node's host)", "NAME"},
    {"redis_cluster", SF_OT_BOOL, C(redis_cluster), "false", "SCANFARM_REDIS_CLUSTER", 0, 0, 0,
     "the --redis nodes are seeds of a Redis Cluster (slot map, MOVED/ASK)"},
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
    sf_kv_opts o = {.nodes = nodes, .nnodes = n, .pool_size = 2, .command_timeout_ms = 30000};
    sf_fleet_conn_kv_opts(c, &o);
    return sf_kv_new(kv, &o, err);
}

void sf_fleet_conn_kv_opts(const sf_fleet_conn *c, sf_kv_opts *o)
{
    o->username = c->redis_username;
    o->password = c->redis_password;
    o->password_file = c->redis_password_file;
    o->tls_ca_file = c->redis_tls_ca_file;
    o->tls_cert_file = c->redis_tls_cert_file;
    o->tls_key_file = c->redis_tls_key_file;
    o->tls_server_name = c->redis_tls_server_name;
    o->cluster = c->redis_cluster;
    /* TLS and cluster mode (and AUTH not given as options) from the
     * environment, as for the services (SCANFARM_REDIS_*). */
    sf_kv_opts_env(o);
}
