/*
 * msg_result: the `scanfarm.result/v1` document — one scanned image
 * manifest (one platform) — to and from JSON. It is the value of the
 * scanfarm.results topic (keyed by digest), the output of
 * `scanfarm scan --format json`, and what the aggregator reads back.
 * Encoder and decoder walk the same field tables. This is the codec
 * only: the result itself (sf_result, purls, severities) is the model
 * (model/result.h), which the analysis engine builds without Kafka.
 *
 *   {"schema":"scanfarm.result/v1","run_id","digest","index_digest",
 *    "platform":"linux/amd64","refs":[...],
 *    "os":{"id","version_id","codename","pretty_name","id_like","ecosystem"}|null,
 *    "packages":[{"type","name","version","src_name","src_version","arch",
 *                 "license","path","layer","ecosystem","purl"}],
 *    "vulnerabilities":[{"id","aliases","package","ecosystem","installed",
 *                 "fixed","severity","cvss","cvss_vector","source_package",
 *                 "type","summary","path","layer"}],
 *    "summary":{"packages","by_ecosystem":{...},"vulnerabilities",
 *               "by_severity":{...},"fixable"},
 *    "layers":[{"digest","diff_id","size","cache","error"}],
 *    "notes":[{"path","analyzer","status","note","layer"}],
 *    "db_version","analyzer_version","scanner_version","scanned_at",
 *    "timings":{"total_ms","manifest_ms","layers_ms","assemble_ms","match_ms"},
 *    "error":null|{"code":"digest","kind":"image","message":"..."}}
 *
 * `summary` is derived on encode and ignored on decode. Unknown fields
 * are ignored on decode (forward compatibility within v1).
 */
#ifndef SF_MSG_RESULT_H
#define SF_MSG_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/result.h"

/* Append the JSON document of r to out. */
int sf_result_encode(const sf_result *r, sf_buf *out, sf_error *err);
/* Parse an untrusted document (capped at SF_LIM_MESSAGE_BYTES) into out
 * (initialised here; clear it with sf_result_clear even on failure). */
int sf_result_decode(const char *json, size_t len, sf_result *out, sf_error *err);
/* The "packages" member alone: json[0..len) is its value's text, decoded
 * into out's package list (empty before: npkgs 0) exactly as sf_result_decode
 * decodes it within a document. The aggregator decodes a result in two
 * parts when it may reuse the stored package list (fleet/agg_view.h). */
int sf_result_decode_pkgs(const char *json, size_t len, sf_result *out, sf_error *err);
/* The same for the "vulnerabilities" member (out's findings empty before):
 * an unchanged rescan's findings come from the stored view instead. */
int sf_result_decode_vulns(const char *json, size_t len, sf_result *out, sf_error *err);

#endif
