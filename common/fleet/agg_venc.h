/*
 * agg_venc: the stored fleet view written without jansson, byte for byte
 * what sf_agg_view_json_ref (a jansson tree, json_dumps JSON_COMPACT)
 * writes: building and dumping that tree for every view written was
 * 7-11% of the aggregator's instructions per unchanged rescan (issue 17).
 *
 * Declines (the reference then writes, and answers as it always did)
 * whatever would make jansson's output other than the plain walk below:
 * a NULL where jansson would refuse a string (digest, job key, run, DB
 * version, a ref, a finding's id or package, a severity name), a byte
 * >= 0x80 in any string (jansson checks UTF-8 and drops what fails), a
 * real that is not finite or that snprintf writes with other characters
 * than the C locale's.
 *
 * Threads: no state.
 */
#ifndef SF_AGG_VENC_H
#define SF_AGG_VENC_H

#include "base/buf.h"
#include "fleet/agg_view.h"

/* Append v's stored form to out. 1: written. 0: declined, out untouched
 * (ask the reference). SF_ENOMEM / SF_ELIMIT (out's cap): out untouched. */
int sf_agg_ve_json(const sf_agg_view *v, sf_buf *out);

/* The same for the advisory facts the API keeps per finding (agg_index.c):
 * {"aliases":[...],"kev":bool}, the aliases f->aliases joins by 0x1f, as
 * jansson writes that object; answers as sf_agg_ve_json. */
int sf_agg_ve_facts(const sf_agg_vuln *f, sf_buf *out);

#endif
