/* Fuzz target of cache/kvslot: bytes a Redis Cluster node could send.
 * They go through kvconn's capped hiredis reader into the
 * CLUSTER SLOTS parser, and as an error line into the redirection
 * parser. A parsed map must be in range; a redirection's slot and port
 * too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/kvconn.h"
#include "cache/kvslot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_redirect(const char *s, size_t n)
{
    char host[256];
    int slot = -1, port = 0;
    sf_kvslot_redir k = sf_kvslot_redirect(s, n, &slot, host, &port);
    if ((k == SF_KVSLOT_MOVED || k == SF_KVSLOT_ASK) &&
        (slot < 0 || slot >= SF_KVSLOT_COUNT || port < 1 || port > 65535 ||
         strlen(host) >= sizeof host))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const char *s = (const char *)data;
    check_redirect(s, size);
    if (sf_kvslot_of(s, size) >= SF_KVSLOT_COUNT)
        abort();
    redisReader *rd = sf_kvconn_reader_new(); /* as kvconn reads */
    if (!rd)
        return 0;
    redisReaderFeed(rd, s, size);
    void *out = NULL;
    static sf_kvslot_range rg[64];
    for (int i = 0; i < 8 && redisReaderGetReply(rd, &out) == REDIS_OK && out; i++) {
        redisReply *r = out;
        size_t n = 0;
        sf_error e = SF_ERROR_INIT;
        if (sf_kvslot_parse_slots(r, rg, 64, &n, &e) == SF_OK)
            for (size_t j = 0; j < n; j++)
                if (rg[j].start < 0 || rg[j].end < rg[j].start ||
                    rg[j].end >= SF_KVSLOT_COUNT || rg[j].port < 1 || rg[j].port > 65535)
                    abort();
        if (r->type == REDIS_REPLY_ERROR)
            check_redirect(r->str, r->len);
        freeReplyObject(r);
        out = NULL;
    }
    redisReaderFree(rd);
    return 0;
}
