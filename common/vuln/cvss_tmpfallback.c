/* TEMPORARY private fallback (not committed). */
#include "vuln/cvss.h"
#include "base/err.h"
int sf_cvss_score(const char *vector, double *score, char *severity, size_t sevlen)
{ (void)vector; (void)score; (void)severity; (void)sevlen; return SF_EUNSUPPORTED; }
