/* TEMPORARY private fallback (not committed) until main has cvss.h. */
#ifndef SF_CVSS_H
#define SF_CVSS_H
#include <stddef.h>
int sf_cvss_score(const char *vector, double *score, char *severity, size_t sevlen);
#endif
