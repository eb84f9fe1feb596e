/* Shared body of the event parser fuzz targets (coordinator/events_parse.h):
 * untrusted webhook bodies. Whatever a parser keeps must satisfy the
 * module's promises (valid host, repository, digest or tag, bounded count);
 * a failure must leave a reason. */
#ifndef SF_EVENTS_FUZZ_COMMON_H
#define SF_EVENTS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events_parse.h"
#include "registry/registry.h"

static void sf_events_fuzz_one(int (*parse)(const char *, size_t, sf_evlist *, sf_error *),
                               const uint8_t *data, size_t size)
{
    sf_evlist l = {0};
    sf_error e = SF_ERROR_INIT;
    int rc = parse((const char *)data, size, &l, &e);
    if (rc != SF_OK && (e.code == SF_OK || !e.msg[0]))
        abort();
    if (l.n > SF_EVENTS_MAX_PER_BODY)
        abort();
    for (size_t i = 0; rc == SF_OK && i < l.n; i++) {
        const sf_event *ev = &l.v[i];
        if (!sf_evp_valid_host(ev->registry) || !sf_reg_valid_repo(ev->repository))
            abort();
        if (!ev->digest[0] && !ev->tag[0])
            abort();
        if (ev->action == SF_EV_PUSH && (!ev->tag[0] || !ev->digest[0]))
            abort();
    }
    sf_evlist_clear(&l);
}

#endif
