/* Fuzz target of scanfarm-notify's delta decoder and sink bodies
 * (aggregator/notify/notify_msg): a findings message off Kafka is untrusted;
 * decoding it and building every body from it must never crash or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "notify_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_ndelta d;
    sf_error e = SF_ERROR_INIT;
    if (size > (1u << 20) || sf_ndelta_decode(&d, (const char *)data, size, &e) != SF_OK)
        return 0;
    json_t *lists[2] = {d.added, d.removed};
    for (int k = 0; k < 2; k++) {
        size_t n = json_array_size(lists[k]);
        json_t **f = calloc(n + 1, sizeof *f);
        for (size_t i = 0; f && i < n; i++)
            f[i] = json_array_get(lists[k], i);
        sf_nevent ev = {&d, "s", k, f, f ? n : 0, {"r"}, 1, {0}};
        sf_nevent_id(&ev);
        free(sf_nmsg_webhook(&ev));
        free(sf_nmsg_slack(&ev));
        free(sf_nmsg_teams(&ev));
        for (size_t i = 0; f && i < n; i++) {
            char id[SF_NOTIFY_ID_LEN];
            sf_nmsg_issue_id(d.digest, "x", id);
            free(sf_nmsg_issue_create(&d, f[i], "scanfarm", id));
            free(sf_nmsg_issue_comment(&d, f[i], k));
        }
        free(f);
    }
    sf_ndelta_clear(&d);
    return 0;
}
