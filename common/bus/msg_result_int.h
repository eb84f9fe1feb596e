/*
 * msg_result_int: the finding fields of scanfarm.result/v1 added with the
 * severity work (msg_result_sev.c), shared with msg_result.c.
 */
#ifndef SF_MSG_RESULT_INT_H
#define SF_MSG_RESULT_INT_H

#include <jansson.h>

#include "base/err.h"
#include "model/finding.h"

/* Set "severity_source", "cvss_metrics", "kev", "epss" and "priority" of
 * the finding's object o. SF_OK or SF_ENOMEM. */
int sf_result__sev_put(json_t *o, const sf_finding *f);
/* Read them back from an untrusted finding object (all optional; a
 * member of the wrong type is SF_EPARSE). */
int sf_result__sev_get(const json_t *o, sf_finding *f, sf_error *err);

#endif
