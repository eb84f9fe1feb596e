/* api_cfg: see api_cfg.h. */
#include "api_cfg.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>

#include <string.h>

#include "base/opt.h"

#ifndef SF_API_WEB_ROOT_DEFAULT
#define SF_API_WEB_ROOT_DEFAULT "/usr/local/share/scanfarm/web"
#endif

/* Rows name the fields they use; the rest (arg, old, short_flag, set) is 0. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define A(f) offsetof(sf_apicfg, f)
static const sf_opt OPTS[] = {
    {"config", SF_OT_STR, A(config), NULL, "SCANFARM_CONFIG", 0, 0, 0,
     "configuration file (JSON, or YAML when built with libyaml)"},
    {"listen", SF_OT_STR, A(listen), "127.0.0.1:8088", "SCANFARM_API_LISTEN", 0, 0, 0,
     "address:port to serve on; an address other than loopback needs tokens_file"},
    {"redis", SF_OT_LIST, A(redis), "127.0.0.1:6379", "SCANFARM_REDIS", 0, 0, 0,
     "Redis node host:port of the fleet view (the aggregator's)"},
    {"key_prefix", SF_OT_STR, A(key_prefix), "scanfarm", "SCANFARM_KEY_PREFIX", 0, 0, 0,
     "prefix of every Redis key (the same as the aggregator's)"},
    {"tokens_file", SF_OT_STR, A(tokens_file), NULL, "SCANFARM_API_TOKENS_FILE", 0, 0, 0,
     "file of bearer tokens (one a line, at least 16 characters; '#' comments), each with "
     "the read-only role; unset: no authentication, allowed only on loopback"},
    {"cors_origin", SF_OT_STR, A(cors_origin), NULL, "SCANFARM_API_CORS_ORIGIN", 0, 0, 0,
     "allow cross-origin requests from this origin (\"*\" any); unset: CORS off"},
    {"web_root", SF_OT_STR, A(web_root), SF_API_WEB_ROOT_DEFAULT, "SCANFARM_API_WEB_ROOT", 0, 0, 0,
     "folder of static files served outside /v1/ (the web console); empty: none"},
    {"threads", SF_OT_LONG, A(threads), "8", "SCANFARM_API_THREADS", 0, 1, 64,
     "requests served at once"},
    {"max_page", SF_OT_LONG, A(max_page), "500", "SCANFARM_API_MAX_PAGE", 0, 1, 500,
     "largest page size (limit) a list accepts"},
    {"query_timeout_ms", SF_OT_LONG, A(query_timeout_ms), "2000", "SCANFARM_API_QUERY_TIMEOUT_MS",
     0, 50, 60000, "time one Redis command of a request may take before the request fails 503"},
    {"read_timeout_ms", SF_OT_LONG, A(read_timeout_ms), "5000", "SCANFARM_API_READ_TIMEOUT_MS", 0,
     100, 60000, "time a client has to send its request head (else 408)"},
    {"log_level", SF_OT_STR, A(log_level), "info", "SCANFARM_LOG_LEVEL", 0, 0, 0,
     "debug, info, warn, error"},
};
#define NO (sizeof OPTS / sizeof OPTS[0])

static const sf_opt_group GROUPS[] = {{NULL, OPTS, NO, 0}};

static const sf_opt_spec SPEC = {
    .prog = "scanfarm-api",
    .usage = "[options]",
    .summary = "Read-only HTTP API over the fleet view (docs/api.md) and the web console's files.",
    .doc_intro = "Each key is also a flag (`--web-root`: `_` becomes `-`) and, where named, an "
                 "environment variable.",
    .groups = GROUPS,
    .ngroups = 1,
    .file_key = "config",
    .max_args = 0,
};

int sf_apicfg_load(sf_apicfg *c, int argc, char **argv, sf_opt_cmd *cmd, sf_error *err)
{
    memset(c, 0, sizeof *c);
    return sf_opt_load(&SPEC, c, argc, argv, cmd, err);
}

int sf_apicfg_act(const sf_apicfg *c, const sf_opt_cmd *cmd, FILE *out)
{
    return sf_opt_act(&SPEC, c, cmd, out);
}

void sf_apicfg_free(sf_apicfg *c) { sf_opt_free(&SPEC, c); }

char *sf_apicfg_markdown(void) { return sf_opt_markdown(&SPEC); }
