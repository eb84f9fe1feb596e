/*
 * msg_restamp (sf_restamp_*): a stored scanfarm.result/v1 document
 * re-stamped for another job: its run id and refs replaced, every layer
 * marked a cache hit. The worker's whole-image shortcut answers a warm
 * job this way (worker/wjob.c).
 *
 * Why not decode, modify, encode: on a warm rescan that round trip
 * through sf_result was most of the worker's CPU per image (issue 17),
 * and all but three members come out as they went in. Here the
 * document's top-level members are found by the skimmer
 * (base/json_skim.h, which validates the whole text as jansson would),
 * "run_id" and "refs" get their new values, "layers" (a few small
 * objects) is decoded and re-encoded alone by msg_result, and every
 * other member is copied byte for byte. For a document sf_result_encode
 * wrote, the output is the same bytes as the round trip's (the unit test
 * checks it). A document of any other shape (a member missing or given
 * twice, an escaped key, another schema, too many members) takes the
 * round trip instead, which decides what it means.
 *
 * What is checked: the whole text is JSON jansson accepts, the schema,
 * the members' uniqueness, "layers" decoded as the decoder would. What is
 * not: the types inside the members copied through (packages, findings,
 * os...). The worker's input here is its image cache entry, sealed with
 * the farm's MAC (cache/lcache.h) after the encoder wrote it, and every
 * consumer of the results decodes them anyway.
 */
#ifndef SF_MSG_RESTAMP_H
#define SF_MSG_RESTAMP_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/result.h"

/* Top-level members a result may have for the splice (it has 18 today);
 * a document with more takes the round trip. */
#define SF_RESTAMP_MAX_MEMBERS 48

/* json[0..len) (untrusted) re-stamped with run_id (NULL: null) and
 * refs[0..nrefs), appended to out (reset first). *digest gets a copy of
 * the result's "digest" (the caller frees it), or of fallback_digest when
 * the document has none. SF_EPARSE for a document that is not a result,
 * SF_ENOMEM, SF_ELIMIT past out's cap. fast, when not NULL, is set to 1
 * when the splice was used, 0 for the round trip (for tests). */
int sf_restamp(const char *json, size_t len, const char *run_id, char *const *refs,
               size_t nrefs, const char *fallback_digest, sf_buf *out, char **digest,
               int *fast, sf_error *err);

/* The same by the round trip alone (decode, replace, encode; digest may
 * be NULL): what sf_restamp falls back to, and the reference its tests
 * compare the splice with. */
int sf_restamp_round_trip(const char *json, size_t len, const char *run_id, char *const *refs,
                          size_t nrefs, const char *fallback_digest, sf_buf *out, char **digest,
                          sf_error *err);

/* Replace r's refs with copies of refs[0..nrefs) (none: no array). SF_OK
 * or SF_ENOMEM (r keeps the copies made; sf_result_clear frees them). */
int sf_restamp_set_refs(sf_result *r, char *const *refs, size_t nrefs);

#endif
