/*
 * yaml2json: read a YAML configuration document into a jansson tree so
 * the coordinator's option tables apply to YAML and JSON alike. Mappings
 * become objects, sequences arrays, plain `null`/`~`/empty scalars null,
 * every other scalar a string (the option tables accept "8", "true" and
 * "30m" for numbers, booleans and durations). Aliases and anchors are
 * refused (no billion-laughs expansion), nesting is capped at
 * SF_LIM_JSON_DEPTH, and only the first document is read.
 *
 * Only built with libyaml (SF_HAVE_YAML); otherwise YAML is SF_EUNSUPPORTED.
 */
#ifndef SF_YAML2JSON_H
#define SF_YAML2JSON_H

#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

/* Parse text into *out (caller json_decref's it). SF_ECONFIG with the
 * line number on malformed YAML. */
int sf_yaml_to_json(const char *text, size_t len, json_t **out, sf_error *err);

#endif
