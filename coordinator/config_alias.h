/*
 * config_alias: the coordinator options' older spellings, still accepted
 * and never shown (not in --help, --print-config or the docs). One
 * spelling across the programs is the worker's: --platform,
 * --insecure-registry, --key-prefix.
 */
#ifndef SF_CONFIG_ALIAS_H
#define SF_CONFIG_ALIAS_H

#include <jansson.h>

/* The option name for name (the new name for an old one, else name). */
const char *sf_cfgalias_name(const char *name);
/* The old environment variable of option name, or NULL. */
const char *sf_cfgalias_old_env(const char *name);
/* Rename old keys of a config document to the new ones (a new key that is
 * present wins). 0, or -1 out of memory. */
int sf_cfgalias_doc(json_t *doc);

#endif
