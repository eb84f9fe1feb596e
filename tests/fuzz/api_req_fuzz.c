/* Fuzz target: scanfarm-api's untrusted input: the request head (path
 * segments, query), then the list parameters and the static-file path
 * over whatever parsed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api.h"
#include "api_params.h"
#include "api_req.h"

static const char *const SORTS[] = {"risk", "findings", "digest", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sf_api_req r;
    int complete = 0;
    if (sf_api_req_parse((const char *)data, size, &r, &complete) != SF_OK || !complete)
        return 0;
    if (r.path[0] != '/' || r.nsegs > SF_API_MAX_SEGS || r.nparams > SF_API_MAX_PARAMS)
        __builtin_trap();
    sf_api_list_params p;
    const char *param;
    char why[160], rel[4096];
    if (sf_api_params_parse(&r, 0xffffffffu, SORTS, 1, 500, &p, &param, why, sizeof why) == 0) {
        if (p.limit < 1 || p.limit > 500 || p.offset < 0 || (p.cvss_min >= 0 && p.cvss_min > 10))
            __builtin_trap();
    } else if (!param) {
        __builtin_trap();
    }
    if (sf_api_static_relpath(&r, rel, sizeof rel) == 0 && (strstr(rel, "..") == rel ||
                                                           strstr(rel, "/../") || rel[0] == '/'))
        __builtin_trap();
    return 0;
}
