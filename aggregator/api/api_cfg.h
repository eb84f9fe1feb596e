/*
 * api_cfg: scanfarm-api's option table (base/opt.h engine): one
 * source for parsing (defaults, config file, environment, argv), --help,
 * --print-config and docs/api-config.md (a unit test fails on drift).
 */
#ifndef SF_API_CFG_H
#define SF_API_CFG_H

#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/opt.h"

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

/* Load c (defaults < --config file < environment < flags); cmd says
 * whether --help / --print-config / --print-docs / --version was asked. */
int sf_apicfg_load(sf_apicfg *c, int argc, char **argv, sf_opt_cmd *cmd, sf_error *err);
/* Carry out cmd's action (1 done: exit 0; 0 run the server). */
int sf_apicfg_act(const sf_apicfg *c, const sf_opt_cmd *cmd, FILE *out);
void sf_apicfg_free(sf_apicfg *c);
/* The Markdown of docs/api-config.md (malloc'd). */
char *sf_apicfg_markdown(void);

#endif
