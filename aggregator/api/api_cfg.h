/*
 * api_cfg: scanfarm-api's option table (coordinator/opttab.h engine): one
 * source for parsing (defaults, config file, environment, argv), --help,
 * --print-config and docs/api-config.md (a unit test fails on drift).
 */
#ifndef SF_API_CFG_H
#define SF_API_CFG_H

#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"
#include "config.h"

typedef struct sf_apicfg {
    char *config;
    char *listen;       /* host:port */
    sf_strlist redis;   /* Redis node(s) of the fleet view */
    char *key_prefix;
    char *tokens_file;
    char *cors_origin;
    char *web_root;
    long threads;
    long max_page;
    long query_timeout_ms;
    long read_timeout_ms;
    char *log_level;
} sf_apicfg;

/* *action: 1 --help, 2 --print-config, 3 --version. */
int sf_apicfg_load(sf_apicfg *c, int argc, char **argv, int *action, sf_error *err);
void sf_apicfg_free(sf_apicfg *c);
void sf_apicfg_help(FILE *f);
void sf_apicfg_print(FILE *f, const sf_apicfg *c);
/* The Markdown of docs/api-config.md. */
void sf_apicfg_markdown(sf_buf *b);

#endif
