/*
 * sf_stack_check: the `stack` ctest fixture (integration_stack_check).
 * Runs before every integration test that needs the local stack and fails,
 * naming the address that did not answer, when Kafka, Redis or the
 * registry is absent, or when the corpus images were not pushed. With the
 * fixture failed, ctest does not run the tests that require it and reports
 * them as failed, so the integration label cannot pass on a dead stack.
 */
#include <stdio.h>
#include <string.h>

#include "stack.h"
#include "testutil.h"

int main(void)
{
    char msg[768], page[65536];
    if (sf_t_stack_check(SF_T_STACK, msg, sizeof msg) != 0) {
        fprintf(stderr, "stack check FAILED: %s\n", msg);
        return 1;
    }
    /* Several tests scan the corpus images push-corpus puts there. */
    if (sf_t_http_get(sf_t_registry(), "/v2/corpus/alpine/tags/list", page, sizeof page) != 0 ||
        !strstr(page, "3.10.3")) {
        fprintf(stderr, "stack check FAILED: registry at %s has no corpus/alpine:3.10.3; run "
                        "tests/fixtures/push-corpus\n", sf_t_registry());
        return 1;
    }
    printf("stack up: Kafka %s, Redis %s, registry %s (corpus pushed)\n", sf_t_kafka(),
           sf_t_redis(), sf_t_registry());
    return 0;
}
