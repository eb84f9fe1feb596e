/*
 * msg_result_int: internals of the scanfarm.result/v1 codec shared by its
 * files: the finding fields added with the severity work
 * (msg_result_sev.c) and the layers re-encoding of the restamp
 * (msg_restamp.c).
 */
#ifndef SF_MSG_RESULT_INT_H
#define SF_MSG_RESULT_INT_H

#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/finding.h"

/* Set "severity_source", "cvss_metrics", "kev", "epss" and "priority" of
 * the finding's object o. SF_OK or SF_ENOMEM. */
int sf_result__sev_put(json_t *o, const sf_finding *f);
/* Read them back from an untrusted finding object (all optional; a
 * member of the wrong type is SF_EPARSE). */
int sf_result__sev_get(const json_t *o, sf_finding *f, sf_error *err);

/* A JSON array of the strings v[0..n) (NULL ones as null); NULL when out
 * of memory. */
json_t *sf_result__strv(char *const *v, size_t n);
/* The text of a result's "layers" value, json[0..len) (untrusted), with
 * every layer's "cache" set to "hit", appended to out as the encoder
 * writes it (msg_restamp.c). SF_EPARSE when it is not a layers array. */
int sf_result__layers_hit(const char *json, size_t len, sf_buf *out, sf_error *err);

#endif
