/* severity: see severity.h. */
#include "model/severity.h"

#include <stddef.h>
#include <strings.h>

static const char *const NAMES[SF_SEV_N] = {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const char *sf_sev_name(int sev)
{
    return sev >= 0 && sev < SF_SEV_N ? NAMES[sev] : NAMES[SF_SEV_UNKNOWN];
}

int sf_severity_rank(const char *s, int strict)
{
    for (int i = SF_SEV_LOW; s && i < SF_SEV_N; i++)
        if (strcasecmp(s, NAMES[i]) == 0)
            return i;
    if (strict && !(s && strcasecmp(s, NAMES[SF_SEV_UNKNOWN]) == 0))
        return -1;
    return SF_SEV_UNKNOWN;
}

sf_sev sf_sev_parse(const char *s)
{
    if (s && strcasecmp(s, "MODERATE") == 0)
        return SF_SEV_MEDIUM;
    return (sf_sev)sf_severity_rank(s, 0);
}
