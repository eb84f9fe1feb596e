/* Fuzz target of the scanfarm.refs/v1 decoder (bus/msg_refs.h): untrusted
 * documents from the results topic; whatever decodes must encode again and
 * decode to the same refs, and feed the aggregator's refs rule. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/agg_view.h"
#include "bus/msg_refs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_refs_msg m, d;
    char *json = NULL;
    size_t len = 0;
    (void)sf_refs_maybe((const char *)data, size);
    if (sf_refs_decode((const char *)data, size, &m, NULL) != SF_OK) {
        sf_refs_clear(&m);
        return 0;
    }
    if (sf_refs_encode(&m, &json, &len, NULL) == SF_OK) {
        if (sf_refs_decode(json, len, &d, NULL) != SF_OK || d.nrefs != m.nrefs ||
            d.nimages != m.nimages)
            abort();
        sf_refs_clear(&d);
        free(json);
    }
    sf_agg_view v = {0};
    int changed = 0;
    v.refs_rank = -1;
    if (sf_agg_view_set_refs(&v, 0, m.run_id, 1, m.refs, m.nrefs, &changed) == SF_OK &&
        v.nrefs > m.nrefs)
        abort();
    for (size_t i = 0; i < v.nrefs; i++)
        free(v.refs[i]);
    free(v.refs);
    free(v.refs_run);
    sf_refs_clear(&m);
    return 0;
}
