/*
 * ver_pep440: TEMPORARY stand-in until the real pep440 order lands: the generic
 * order. Not for matching decisions.
 */
#include "vuln/ver.h"
#include "vuln/ver_int.h"

int sf_ver_cmp_pep440(const char *a, const char *b)
{
    return sf_ver_cmp_generic(a, b);
}

int sf_ver__valid_pep440(const char *v)
{
    return sf_ver__valid_generic(v);
}
