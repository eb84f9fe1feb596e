/*
 * ver_maven: TEMPORARY stand-in until the real maven order lands: the generic
 * order. Not for matching decisions.
 */
#include "vuln/ver.h"
#include "vuln/ver_int.h"

int sf_ver_cmp_maven(const char *a, const char *b)
{
    return sf_ver_cmp_generic(a, b);
}

int sf_ver__valid_maven(const char *v)
{
    return sf_ver__valid_generic(v);
}
