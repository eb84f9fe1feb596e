/*
 * cli_opts: what every `scanfarm` command shares on the option engine
 * (base/opt.h): loading its table (a usage error prints the message and
 * the usage line, exit 64; --help, --print-config, --print-docs exit 0),
 * and the fleet view's Redis options of report, query, status, aggregate
 * and rematch (--redis, --key-prefix and Redis AUTH), with the old
 * --prefix / SCANFARM_PREFIX kept as hidden spellings.
 */
#ifndef SF_CLI_OPTS_H
#define SF_CLI_OPTS_H

#include "base/opt.h"
#include "cache/kv.h"

typedef struct sf_cli_redis {
    char *redis;               /* host:port[,host:port...] or redis://[user:pass@]host */
    char *key_prefix;
    char *redis_username;      /* AUTH user (Redis 6 ACL) */
    char *redis_password_file; /* file holding the AUTH password */
    char *redis_password;      /* secret: environment only */
} sf_cli_redis;

#define SF_CLI_REDIS_NOPTS 5
extern const sf_opt SF_CLI_REDIS_OPTS[SF_CLI_REDIS_NOPTS];
#define SF_CLI_REDIS_TITLE "Fleet view in Redis (every fleet command)"

/* Load cfg (zeroed here) for the command of spec s. 1 when the command
 * is done (*exit: 0 after --help / --print-config / --print-docs, 64 after
 * a usage error, printed with the usage line); 0 to run it. */
int sf_cli_opts_load(const sf_opt_spec *s, void *cfg, size_t size, int argc, char **argv,
                     sf_opt_cmd *cmd, int *exit_code);

/* Check the key prefix and connect to the fleet view's Redis nodes. An
 * exit code (0, or 64 with the reason on stderr, "scanfarm <cmd>: ..."). */
int sf_cli_redis_open(const sf_cli_redis *r, sf_kv **kv, const char *cmd);

#endif
