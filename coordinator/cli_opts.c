/* cli_opts: see cli_opts.h. */
#include "cli_opts.h"

#include <stdio.h>
#include <string.h>

#include "cache/keys.h"
#include "cli.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MAX_NODES 16

#define R(f) offsetof(sf_cli_redis, f)
const sf_opt SF_CLI_REDIS_OPTS[SF_CLI_REDIS_NOPTS] = {
    {"redis", SF_OT_STR, R(redis), "127.0.0.1:6379", "SCANFARM_REDIS", 0, 0, 0,
     "Redis node(s) of the fleet view: host:port[,host:port...] or "
     "redis://[user:pass@]host:port/db", "HOST:PORT"},
    {"key_prefix", SF_OT_STR, R(key_prefix), SF_KEY_PREFIX_DEFAULT, "SCANFARM_KEY_PREFIX", 0, 0,
     0, "prefix of every Redis key (the aggregator's)", "PREFIX", "--prefix,SCANFARM_PREFIX"},
    {"redis_username", SF_OT_STR, R(redis_username), NULL, "SCANFARM_REDIS_USERNAME", 0, 0, 0,
     "Redis ACL user: AUTH user password (Redis 6+)", "USER"},
    {"redis_password_file", SF_OT_STR, R(redis_password_file), NULL,
     "SCANFARM_REDIS_PASSWORD_FILE", 0, 0, 0, "file holding the Redis password", "FILE"},
    {"redis_password", SF_OT_STR, R(redis_password), NULL, "SCANFARM_REDIS_PASSWORD",
     SF_OPT_SECRET, 0, 0, "the Redis password itself (environment only)"},
};

int sf_cli_opts_load(const sf_opt_spec *s, void *cfg, size_t size, int argc, char **argv,
                     sf_opt_cmd *cmd, int *exit_code)
{
    sf_error e = SF_ERROR_INIT;
    memset(cfg, 0, size);
    if (sf_opt_load(s, cfg, argc, argv, cmd, &e) != SF_OK) {
        fprintf(stderr, "%s: %s\n", s->prog, e.msg);
        sf_opt_usage(s, stderr);
        *exit_code = SF_EXIT_USAGE;
        return 1;
    }
    if (sf_opt_act(s, cfg, cmd, stdout)) {
        *exit_code = SF_EXIT_OK;
        return 1;
    }
    return 0;
}

int sf_cli_redis_open(const sf_cli_redis *r, sf_kv **kv, const char *cmd)
{
    sf_error e = SF_ERROR_INIT;
    char buf[1024];
    const char *nodes[MAX_NODES];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", r->redis ? r->redis : "");
    for (char *p = buf; p && *p && n < MAX_NODES;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        nodes[n++] = p;
        p = comma ? comma + 1 : NULL;
    }
    if (sf_keys_check_prefix(r->key_prefix, &e) != SF_OK) {
        fprintf(stderr, "scanfarm %s: %s\n", cmd, e.msg);
        return SF_EXIT_USAGE;
    }
    /* Redis AUTH as for the services: in the URL, or these options. */
    sf_kv_opts o = {.nodes = nodes, .nnodes = n, .pool_size = 2, .command_timeout_ms = 30000,
                    .username = r->redis_username, .password = r->redis_password,
                    .password_file = r->redis_password_file};
    if (sf_kv_new(kv, &o, &e) != SF_OK) {
        fprintf(stderr, "scanfarm %s: %s\n", cmd, e.msg);
        return SF_EXIT_USAGE;
    }
    return SF_EXIT_OK;
}
