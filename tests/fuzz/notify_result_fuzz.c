/* Fuzz target of scanfarm-notify's first-scan path (aggregator/notify/
 * notify_first.c): a message of the results topic is untrusted; turning it
 * into a delta and through the rules and sink bodies (a dry-run sender
 * writing to /dev/null, no Redis) must never crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_env(const char *n)
{
    (void)n;
    return "https://hooks.example/x";
}

static const char POLICY[] =
    "{\"sinks\":{\"h\":{\"type\":\"webhook\",\"url_env\":\"X\"},\"s\":{\"type\":\"slack\","
    "\"url_env\":\"X\"},\"t\":{\"type\":\"teams\",\"url_env\":\"X\"}},\"rules\":[{\"severity\":"
    "\"HIGH\",\"running\":true,\"sinks\":[\"h\",\"s\",\"t\"],\"group\":\"image\"},{\"sinks\":[\"h\"]}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sf_notify *n;
    static sf_nrules *rules;
    static sf_nsend *send;
    static FILE *null;
    sf_error e = SF_ERROR_INIT;
    if (!n) { /* one notifier for every input, as one process serves many messages */
        null = fopen("/dev/null", "w");
        sf_nsend_opts so = {0, 1, 1, 1000, null, NULL};
        sf_metrics *m = NULL;
        if (!null || sf_nrules_parse(&rules, POLICY, sizeof POLICY - 1, fuzz_env, &e) != SF_OK ||
            sf_nsend_new(&send, &so, &e) != SF_OK || sf_metrics_new(&m) != SF_OK)
            abort();
        sf_notify_opts no = {rules, send, NULL, "f", 0, NULL, NULL, null, m};
        if (sf_notify_new(&n, &no, &e) != SF_OK)
            abort();
    }
    if (size > (1u << 20))
        return 0;
    (void)sf_notify_result(n, (const char *)data, size, &e);
    return 0;
}
