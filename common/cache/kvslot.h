/*
 * kvslot: the Redis Cluster pieces that need no connection: a key's hash
 * slot (CRC16-XMODEM mod 16384, honouring {hash tags}), the slot map from
 * a CLUSTER SLOTS reply, and MOVED / ASK / TRYAGAIN / CLUSTERDOWN error
 * replies. Replies come from the network: everything is validated.
 */
#ifndef SF_KVSLOT_H
#define SF_KVSLOT_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SF_KVSLOT_COUNT 16384
/* Slot ranges accepted in one CLUSTER SLOTS reply: a freshly created
 * cluster has one per master; resharding fragments them, but 4096 ranges
 * (4 slots each on average) is far past any real map. */
#define SF_KVSLOT_RANGES_MAX 4096

/* CRC16 (XMODEM: poly 0x1021, init 0), as the cluster specification. */
uint16_t sf_kvslot_crc16(const char *s, size_t n);
/* Slot of a key: of the part between the first '{' and the next '}' when
 * that part is non-empty, else of the whole key. */
int sf_kvslot_of(const char *key, size_t n);

/* One slot range of the map and the master that serves it. host "" means
 * "the node that answered" (Redis 7's unknown-endpoint). */
typedef struct sf_kvslot_range {
    int start, end;
    char host[256];
    int port;
} sf_kvslot_range;

/* Parse a CLUSTER SLOTS reply into out (at most cap ranges), *n set.
 * SF_EPARSE naming the problem for a malformed reply. */
int sf_kvslot_parse_slots(const redisReply *r, sf_kvslot_range *out, size_t cap, size_t *n,
                          sf_error *err);

typedef enum sf_kvslot_redir {
    SF_KVSLOT_NONE = 0,  /* not a cluster error */
    SF_KVSLOT_MOVED,     /* slot moved for good: refresh the map */
    SF_KVSLOT_ASK,       /* slot migrating: ask the target once, after ASKING */
    SF_KVSLOT_TRYAGAIN,  /* multi-key op during a migration: retry later */
    SF_KVSLOT_DOWN       /* CLUSTERDOWN: retry later */
} sf_kvslot_redir;

/* Classify an error reply "MOVED 3999 10.0.0.1:6381" / "ASK ..." (slot,
 * host, port filled for those two; host may be "", see above). A MOVED or
 * ASK line that does not parse is SF_KVSLOT_NONE (reported as an error). */
sf_kvslot_redir sf_kvslot_redirect(const char *s, size_t n, int *slot, char host[256],
                                   int *port);

#endif
