/* Fuzz target of scanfarm-notify's policy parser (aggregator/notify/notify_rules):
 * any bytes in (JSON or YAML), a policy or a clear error out, never a
 * crash or a leak; a parsed policy is matched once so the matcher runs on
 * every rule shape the parser accepts. */
#include <stdint.h>
#include <string.h>

#include "notify_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every *_env variable is set to a URL, so sinks parse past their secrets. */
static const char *fuzz_env(const char *n)
{
    (void)n;
    return "https://hooks.example/x";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_nrules *r = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_nrules_parse(&r, (const char *)data, size, fuzz_env, &e) != SF_OK)
        return 0;
    sf_nfacts f = {"reg.io", "team/api", "npm", "CVE-2026-1", "HIGH", 1, 0, 0.5};
    for (size_t i = 0; i < r->nrules; i++)
        (void)sf_nrules_match(&r->rules[i], &f);
    sf_nrules_free(r);
    return 0;
}
