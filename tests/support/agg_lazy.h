/*
 * agg_lazy: the check that the aggregator's two-step result decode
 * (fleet/agg_view.h sf_agg_view_from_result_lazy, sf_agg_lazy_vulns,
 * sf_agg_lazy_finish)
 * answers as the whole decode (sf_agg_view_from_result) does, for the
 * unit test and the fuzz target of the result decoder.
 */
#ifndef SF_T_AGG_LAZY_H
#define SF_T_AGG_LAZY_H

#include <stddef.h>

/* 1 when, for the document json[0..len), the two-step decode completed
 * each way (no stored hash; the document's own hashes with its package
 * list and view as stored, the findings read back from that view;
 * other hashes) returns the whole decode's code and, on
 * success, a view equal in every field the aggregator uses (its stored
 * JSON, its package list's, the package hash, every finding's aliases),
 * and reuses the stored list and findings exactly when the hashes match. 0 with the
 * first difference in why. *split: the document allowed the split. */
int sf_t_agg_lazy_same(const char *json, size_t len, int *split, char *why, size_t whylen);

#endif
