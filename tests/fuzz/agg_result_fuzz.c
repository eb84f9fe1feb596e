/* Fuzz target of the aggregator's result decoder: untrusted
 * scanfarm.result/v1 documents, then the stored-view round trip and the
 * update plan built from whatever decoded (first byte picks the DLQ
 * decoder's shape instead, which must refuse without Redis). The
 * two-step decode (the batch's) must answer as the whole one: abort. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg_lazy.h"
#include "agg_plan.h"
#include "fleet/agg_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_agg_view *v = NULL, *w = NULL;
    sf_error err = SF_ERROR_INIT;
    char why[512];
    int split;
    if (!sf_t_agg_lazy_same((const char *)data, size, &split, why, sizeof why))
        abort();
    if (sf_agg_view_from_result((const char *)data, size, &v, &err) != SF_OK)
        return 0;
    sf_buf b;
    sf_buf_init(&b, 0);
    if (sf_agg_view_json(v, &b) == SF_OK && sf_agg_view_parse(b.data, b.len, &w, &err) == SF_OK) {
        sf_buf_reset(&b);
        if (sf_agg_pkgs_json(v, &b) == SF_OK)
            sf_agg_pkgs_parse(w, b.data, b.len, &err);
        sf_agg_plan p = {0};
        sf_agg_plan_build(&p, "fuzz", w, v, (const char *)data, size, &err);
        sf_agg_plan_clear(&p);
        char o1[1024], o2[1024];
        if (sf_agg_order_fmt(o1, sizeof o1, 1, v) == SF_OK &&
            sf_agg_order_fmt(o2, sizeof o2, 2, w) == SF_OK)
            (void)sf_agg_order_cmp(o1, o2);
    }
    sf_buf_free(&b);
    sf_agg_view_free(w);
    sf_agg_view_free(v);
    return 0;
}
