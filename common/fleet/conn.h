/*
 * conn: where the fleet view lives, as every reader and the aggregator
 * are told, as option-engine rows (base/opt.h) a command puts in a group
 * at offsetof(<its config>, <its sf_fleet_conn>): --redis
 * HOST:PORT[,HOST:PORT...] (SCANFARM_REDIS, default 127.0.0.1:6379;
 * redis://[user:pass@]host:port/db also works), --key-prefix
 * (SCANFARM_KEY_PREFIX; the older --prefix and SCANFARM_PREFIX still work,
 * unlisted) and Redis AUTH (--redis-username, --redis-password-file,
 * SCANFARM_REDIS_PASSWORD), as for the services.
 *
 * Thread safety: an sf_fleet_conn belongs to one thread.
 */
#ifndef SF_FLEET_CONN_H
#define SF_FLEET_CONN_H

#include <stddef.h>

#include "base/err.h"
#include "base/opt.h"
#include "cache/kv.h"

/* Redis nodes one address list may name. */
#define SF_FLEET_MAX_NODES 16

typedef struct sf_fleet_conn {
    char *redis;               /* the address list, as given */
    char *prefix;              /* the key prefix */
    char *redis_username;      /* AUTH user (Redis 6 ACL) */
    char *redis_password_file; /* file holding the AUTH password */
    char *redis_password;      /* secret: environment only */
    char *redis_tls_ca_file;   /* TLS (rediss://): CA, client cert/key, name */
    char *redis_tls_cert_file;
    char *redis_tls_key_file;
    char *redis_tls_server_name;
    int redis_cluster;         /* 1: the nodes are Redis Cluster seeds */
} sf_fleet_conn;

#define SF_FLEET_CONN_NOPTS 10
extern const sf_opt SF_FLEET_CONN_OPTS[SF_FLEET_CONN_NOPTS];
#define SF_FLEET_CONN_TITLE "Fleet view in Redis (every fleet command)"

/* The AUTH, TLS and cluster rows of SF_FLEET_CONN_OPTS (every row after
 * --redis and --key-prefix), for a program whose own table has its
 * --redis and --key-prefix (another default or type): a group of its
 * own at offsetof(<its config>, <its sf_fleet_conn>), so every program
 * spells these options, their variables and their help the same way. */
#define SF_FLEET_CONN_SEC_OPTS (SF_FLEET_CONN_OPTS + 2)
#define SF_FLEET_CONN_SEC_NOPTS (SF_FLEET_CONN_NOPTS - 2)
#define SF_FLEET_CONN_SEC_TITLE "Redis AUTH, TLS and cluster (every program)"

/* Copy c's AUTH, TLS and cluster settings into o, then take what is still
 * unset from the environment (sf_kv_opts_env). o's strings point into c. */
void sf_fleet_conn_kv_opts(const sf_fleet_conn *c, sf_kv_opts *o);

/* Check the prefix and connect to c->redis (pool of 2, 30 s commands).
 * SF_OK with *kv set, or an error with err set. */
int sf_fleet_conn_open(const sf_fleet_conn *c, sf_kv **kv, sf_error *err);

#endif
