/*
 * agg_vcmp: the check that the stored view's own reader
 * (fleet/agg_vparse.h) answers as the jansson reading
 * (sf_agg_view_parse_ref), for the unit test and the fuzz target.
 */
#ifndef SF_T_AGG_VCMP_H
#define SF_T_AGG_VCMP_H

#include <stddef.h>

#include "fleet/agg_view.h"

/* 1 when a and b hold the same values in every member but the package
 * list (strings byte for byte, NULL only as NULL; numbers bit for bit;
 * the per-severity and fixable counts; refs and vulns allocated alike).
 * 0 with the first difference in why. */
int sf_t_agg_view_same(const sf_agg_view *a, const sf_agg_view *b, char *why, size_t whylen);

/* 1 when, for json[0..len), the own reader declines or gives the view
 * the reference gives, and sf_agg_view_parse answers the reference's
 * code (and, on success, its view). *fast: the own reader took it.
 * 0 with the first difference in why. */
int sf_t_agg_vparse_same(const char *json, size_t len, int *fast, char *why, size_t whylen);

#endif
