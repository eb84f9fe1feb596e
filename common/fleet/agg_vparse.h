/*
 * agg_vparse: the stored fleet view read without jansson, for the form
 * sf_agg_view_json writes (compact, the members and finding tuples it
 * writes, views of older versions included). Loading the ~2 KB document
 * into a jansson tree and freeing it again was a fifth of the
 * aggregator's CPU per unchanged rescan (issue 17).
 *
 * It only accepts what it fully understands and otherwise says so, for
 * sf_agg_view_parse to ask the jansson reading (sf_agg_view_parse_ref):
 * whatever it accepts, that reading gives the same view, so the answer is
 * the reference's by construction (tests/unit/agg/test_vparse.c and the
 * vparse fuzz target check it). Declined: whitespace, unknown or repeated
 * members, members of an unexpected type, strings with bytes >= 0x80 or
 * escapes other than the short ones and \u0001-\u007f, integers past 18
 * digits, reals whose value is not finite, more than SF_AGG_MAX_REFS refs
 * or SF_AGG_MAX_VULNS findings, strings past the caps below.
 *
 * Threads: no state.
 */
#ifndef SF_AGG_VPARSE_H
#define SF_AGG_VPARSE_H

#include <stddef.h>

#include "fleet/agg_view.h"

/*
 * Read json[0..len) (untrusted: any bytes, no NUL needed) into a new
 * view, *out (the caller frees it with sf_agg_view_free). 1: read, *out
 * set. 0: not a view this reader accepts, *out NULL (ask the reference).
 * SF_ENOMEM: out of memory, *out NULL.
 */
int sf_agg_vp_parse(const char *json, size_t len, sf_agg_view **out);

#endif
