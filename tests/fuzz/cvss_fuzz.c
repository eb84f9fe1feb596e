/*
 * Fuzz target for the CVSS vector parser/scorer: any input must return
 * a defined code, and on success a score in [0, 10] with a severity that
 * fits the buffer. Violations abort() so libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "testutil.h"
#include "vuln/cvss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = sf_t_cstr(data, size, 1024);
    if (!v)
        return 0;
    double s = -1;
    char sev[16];
    int rc = sf_cvss_score(v, &s, sev, sizeof sev);
    if (rc == SF_OK && (!(s >= 0.0 && s <= 10.0) || strlen(sev) >= sizeof sev))
        abort();
    if (rc != SF_OK && rc != SF_EPARSE && rc != SF_EUNSUPPORTED)
        abort();
    char tiny[2];
    (void)sf_cvss_score(v, &s, tiny, sizeof tiny);
    (void)sf_cvss_score(v, &s, NULL, 0);
    free(v);
    return 0;
}
