/* api_cfg: see api_cfg.h. */
#include "api_cfg.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>

#include "opttab.h"

#ifndef SF_API_WEB_ROOT_DEFAULT
#define SF_API_WEB_ROOT_DEFAULT "/usr/local/share/scanfarm/web"
#endif

#define A(f) offsetof(sf_apicfg, f)
static const sf_opt OPTS[] = {
    {"config", OT_STR, A(config), NULL, "SCANFARM_CONFIG", 0, 0, 0,
     "configuration file (JSON, or YAML when built with libyaml)"},
    {"listen", OT_STR, A(listen), "127.0.0.1:8088", "SCANFARM_API_LISTEN", 0, 0, 0,
     "address:port to serve on; an address other than loopback needs tokens_file"},
    {"redis", OT_LIST, A(redis), "127.0.0.1:6379", "SCANFARM_REDIS", 0, 0, 0,
     "Redis node host:port of the fleet view (the aggregator's)"},
    {"key_prefix", OT_STR, A(key_prefix), "scanfarm", "SCANFARM_KEY_PREFIX", 0, 0, 0,
     "prefix of every Redis key (the same as the aggregator's)"},
    {"tokens_file", OT_STR, A(tokens_file), NULL, "SCANFARM_API_TOKENS_FILE", 0, 0, 0,
     "file of bearer tokens (one a line, at least 16 characters; '#' comments), each with "
     "the read-only role; unset: no authentication, allowed only on loopback"},
    {"cors_origin", OT_STR, A(cors_origin), NULL, "SCANFARM_API_CORS_ORIGIN", 0, 0, 0,
     "allow cross-origin requests from this origin (\"*\" any); unset: CORS off"},
    {"web_root", OT_STR, A(web_root), SF_API_WEB_ROOT_DEFAULT, "SCANFARM_API_WEB_ROOT", 0, 0, 0,
     "folder of static files served outside /v1/ (the web console); empty: none"},
    {"threads", OT_LONG, A(threads), "8", "SCANFARM_API_THREADS", 0, 1, 64,
     "requests served at once"},
    {"max_page", OT_LONG, A(max_page), "500", "SCANFARM_API_MAX_PAGE", 0, 1, 500,
     "largest page size (limit) a list accepts"},
    {"query_timeout_ms", OT_LONG, A(query_timeout_ms), "2000", "SCANFARM_API_QUERY_TIMEOUT_MS",
     0, 50, 60000, "time one Redis command of a request may take before the request fails 503"},
    {"read_timeout_ms", OT_LONG, A(read_timeout_ms), "5000", "SCANFARM_API_READ_TIMEOUT_MS", 0,
     100, 60000, "time a client has to send its request head (else 408)"},
    {"log_level", OT_STR, A(log_level), "info", "SCANFARM_LOG_LEVEL", 0, 0, 0,
     "debug, info, warn, error"},
};
#define NO (sizeof OPTS / sizeof OPTS[0])

int sf_apicfg_load(sf_apicfg *c, int argc, char **argv, int *action, sf_error *err)
{
    json_t *doc = NULL;
    *action = 0;
    int rc = sf_opt_defaults(c, OPTS, NO, err);
    if (!rc)
        rc = sf_opt_env(c, OPTS, NO, 1, err);
    if (!rc)
        rc = sf_opt_argv(c, OPTS, NO, argc, argv, 0, action, err);
    if (!rc && c->config && *action != 1 && !(rc = sf_opt_read_file(c->config, &doc, err)))
        rc = sf_opt_apply_doc(c, OPTS, NO, doc, NULL, "config", err);
    json_decref(doc);
    if (!rc)
        rc = sf_opt_env(c, OPTS, NO, 0, err);
    if (!rc)
        rc = sf_opt_argv(c, OPTS, NO, argc, argv, 1, action, err);
    return rc;
}

void sf_apicfg_free(sf_apicfg *c) { sf_opt_free(c, OPTS, NO); }

void sf_apicfg_help(FILE *f)
{
    fprintf(f, "usage: scanfarm-api [options]\n\n"
               "Read-only HTTP API over the fleet view (docs/api.md) and the web console.\n\n");
    sf_opt_help(f, OPTS, NO);
}

void sf_apicfg_print(FILE *f, const sf_apicfg *c)
{
    json_t *o = json_object();
    sf_opt_dump(o, c, OPTS, NO);
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (s)
        fprintf(f, "%s\n", s);
    free(s);
    json_decref(o);
}

void sf_apicfg_markdown(sf_buf *b)
{
    sf_buf_puts(b, "# scanfarm-api configuration\n\n"
                   "Generated from the option table (aggregator/api/api_cfg.c); a unit test "
                   "fails when this file drifts. Each key is also a flag (`--web-root`, "
                   "`_` becomes `-`) and, where named, an environment variable.\n\n");
    sf_opt_markdown(b, OPTS, NO);
}
