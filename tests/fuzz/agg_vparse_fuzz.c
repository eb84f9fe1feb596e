/* Fuzz target of the stored view's own reader (fleet/agg_vparse.h),
 * differential: on any bytes it must decline or give the jansson
 * reading's view, and sf_agg_view_parse must answer as that reading
 * (abort otherwise). Whatever the reference reads is written back
 * (sf_agg_view_json, the stored form, which the own reader mostly takes)
 * and checked again, so the accepting paths are fuzzed too; that
 * writing must be the jansson writing's, byte for byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_vcmp.h"
#include "fleet/agg_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s, size_t n)
{
    char why[512];
    int fast;
    if (!sf_t_agg_vparse_same(s, n, &fast, why, sizeof why)) {
        fprintf(stderr, "agg_vparse: %s\n", why);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_agg_view *v = NULL;
    check((const char *)data, size);
    if (sf_agg_view_parse_ref((const char *)data, size, &v, NULL) != SF_OK)
        return 0;
    sf_buf b, r;
    sf_buf_init(&b, 0);
    sf_buf_init(&r, 0);
    /* the own writer (agg_venc.h) writes the reference's bytes */
    int rc = sf_agg_view_json(v, &b), rrc = sf_agg_view_json_ref(v, &r);
    if (rc != rrc || b.len != r.len || (b.len && memcmp(b.data, r.data, b.len) != 0)) {
        fprintf(stderr, "agg_venc: %d/%d\n%s\n%s\n", rc, rrc, b.data ? b.data : "",
                r.data ? r.data : "");
        abort();
    }
    if (rc == SF_OK)
        check(b.data, b.len);
    sf_buf_free(&b);
    sf_buf_free(&r);
    sf_agg_view_free(v);
    return 0;
}
