/* Fuzz target of scanfarm-admission's AdmissionReview parser
 * (coordinator/admission_review): any bytes in, a review or a clear error
 * out, never a crash or a leak. Every image of a parsed review goes
 * through the reference parser, and a response is built for it, so the
 * code between the parser and the wire runs on every shape it accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "admission.h"
#include "admission_review.h"
#include "base/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_adm_review *r = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_adm_review_parse((const char *)data, size, &r, &e) != SF_OK)
        return 0;
    const char *w[SF_LIM_ADM_IMAGES];
    size_t nw = 0;
    for (size_t i = 0; i < r->nimages; i++) {
        sf_adm_ref ref;
        sf_error re = SF_ERROR_INIT;
        (void)sf_adm_ref_parse(r->images[i].image, &ref, &re);
        w[nw++] = r->images[i].image;
    }
    sf_adm_verdict v = {.allowed = nw % 2, .code = 403, .message = r->name, .warnings = w,
                        .nwarnings = nw};
    free(sf_adm_response(r->uid, &v));
    sf_adm_review_free(r);
    return 0;
}
