/* Fuzz target of the scanfarm.job/v1 decoder (bus/msg_job.h): every
 * worker decodes untrusted documents from the jobs topic. Whatever decodes
 * must encode again and decode to the same job, the carried manifest's
 * bytes included (a kept manifest is one the encoder accepts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus/msg_job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_job j, d;
    char *json = NULL;
    size_t len = 0;
    if (sf_job_decode((const char *)data, size, &j, NULL) != SF_OK) {
        sf_job_clear(&j);
        return 0;
    }
    if (sf_job_encode(&j, &json, &len, NULL) == SF_OK) {
        if (sf_job_decode(json, len, &d, NULL) != SF_OK || d.kind != j.kind ||
            d.nrefs != j.nrefs || d.nplatforms != j.nplatforms || !same(d.digest, j.digest) ||
            !same(d.run_id, j.run_id) || !same(d.repository, j.repository) ||
            d.manifest_len != j.manifest_len || !same(d.manifest_media_type,
                                                      j.manifest_media_type) ||
            (j.manifest && memcmp(d.manifest, j.manifest, j.manifest_len) != 0))
            abort();
        for (size_t i = 0; i < j.nrefs; i++)
            if (!same(d.refs[i], j.refs[i]))
                abort();
        sf_job_clear(&d);
        free(json);
    }
    sf_job_clear(&j);
    return 0;
}
