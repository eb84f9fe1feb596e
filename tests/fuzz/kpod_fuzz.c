/* Fuzz target of the Kubernetes document parsers (kube_pod.h): pods, pod
 * lists, watch events, Status bodies and owner objects come from an API
 * server (or whatever answers at its address). Whatever parses as a pod
 * must also survive the running view's encode -> parse round trip with
 * exactly the containers that have a digest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_pod.h"
#include "fleet/running.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const sf_kpod *p)
{
    sf_buf b;
    sf_running r = {0};
    size_t want = 0;
    for (size_t i = 0; i < p->nctrs; i++)
        want += p->ctrs[i].digest[0] != '\0';
    sf_buf_init(&b, 1u << 22);
    int rc = sf_running_pod_value(p, NULL, &b, NULL);
    if (rc == SF_OK) {
        if (sf_running_parse(&r, "c", "ns/pod", b.data, b.len, NULL) != SF_OK)
            abort();
        if (p->finished || r.n != want)
            abort();
    } else if (rc == SF_ENOTFOUND && want && !p->finished) {
        abort();
    }
    sf_running_clear(&r);
    sf_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    sf_kpod *p = NULL;
    sf_kpod_list l;
    sf_kev ev;
    sf_kpod_owner o;
    long code;
    char reason[64], repo[2048], dig[SF_DIGEST_MAX];
    if (sf_kpod_parse(s, size, &p, NULL) == SF_OK)
        round_trip(p);
    sf_kpod_free(p);
    if (sf_kpod_list_parse(s, size, &l, NULL) == SF_OK)
        for (size_t i = 0; i < l.n; i++)
            round_trip(l.items[i]);
    sf_kpod_list_clear(&l);
    if (sf_kev_parse(s, size, &ev, NULL) == SF_OK && ev.type <= SF_KEV_DELETED && !ev.pod)
        abort();
    sf_kev_clear(&ev);
    (void)sf_kstatus_parse(s, size, &code, reason, sizeof reason, NULL);
    (void)sf_kpod_owner_parse(s, size, &o, NULL);
    char plat[80];
    if (sf_knode_platform_parse(s, size, plat, sizeof plat, NULL) == SF_OK && !strchr(plat, '/'))
        abort();
    sf_kpod_owner_clear(&o);
    char *z = malloc(size + 1);
    if (z) {
        memcpy(z, data, size);
        z[size] = '\0';
        if (sf_kpod_split_image(z, repo, sizeof repo, dig, sizeof dig, NULL) == SF_OK &&
            dig[0] && sf_digest_validate(dig, NULL) != SF_OK)
            abort();
        (void)sf_kpod_time_ms(z);
        free(z);
    }
    return 0;
}
