/*
 * agg_view: the aggregator's compact per-image view of a result, and the
 * pure part of the fleet-view update (no Redis here, so every rule is
 * unit-testable on hand-made documents).
 *
 * A `scanfarm.result/v1` document is reduced to what the fleet view keeps:
 * identity (digest, job key, run, DB version, time), refs, error kind,
 * findings (id, package, installed, fixed, severity) and the package list
 * for the reverse index. sf_agg_plan() turns "old view -> new view" into a
 * list of idempotent Redis operations (remove the old image's
 * contributions, add the new one's) that agg.c applies atomically.
 *
 * Replacement rule (sf_agg_order_cmp), for one digest:
 *   1. same run_id and same db_version as the stored result: a duplicate,
 *      nothing changes (redelivery, a re-run of the same job);
 *   2. otherwise the later one wins, by (run rank, result time): the run
 *      rank is when the aggregator first saw the run (runs are started in
 *      order), the result time is when the worker produced it (within a
 *      run, a later result carries the newer DB);
 *   3. exact ties are broken by db_version, then run_id, as strings, so
 *      every aggregator replica picks the same winner.
 * An older result changes nothing (out-of-order delivery).
 */
#ifndef SF_AGG_VIEW_H
#define SF_AGG_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/strfield.h"
#include "model/severity.h" /* SF_SEV_*: index of the sev[] arrays */

/* Caps on one result as the aggregator keeps it (the result itself is
 * capped by SF_LIM_MESSAGE_BYTES; these bound the Redis ops per image). */
#define SF_AGG_MAX_REFS 10000
#define SF_AGG_MAX_VULNS 50000
#define SF_AGG_MAX_PKGS 100000
#define SF_AGG_STR_MAX 1024

typedef struct sf_agg_vuln {
    char *id;        /* preferred id (CVE when there is one) */
    char *pkg;       /* package name */
    char *eco;       /* ecosystem, may be NULL */
    char *installed;
    char *fixed;     /* NULL: no fix */
    int sev;         /* SF_SEV_* */
    double cvss;     /* -1 unknown */
    int kev;         /* 1: in CISA KEV */
    double epss, epss_pct; /* EPSS probability / percentile, -1 unknown */
    char *aliases;   /* other ids joined by '\x1f', NULL none; stored in the
                        view since "vh" (views before it parse with NULL) */
} sf_agg_vuln;

typedef struct sf_agg_pkg {
    char *eco;       /* OSV ecosystem or purl type */
    char *name;
    char *version;
    char *src;       /* source package when it differs from name (dpkg Source:,
                        apk origin: `openssl` for libssl3), else NULL */
} sf_agg_pkg;

typedef struct sf_agg_view {
    char *digest;     /* image manifest digest */
    char *job_key;    /* index digest when the job was an index, else digest */
    char *run_id;
    char *db_version; /* "" when not matched */
    char *platform;   /* may be NULL */
    char *os;         /* "alpine 3.10.3" or NULL */
    int64_t time_ms;  /* when the worker produced it (0 unknown) */
    char *error;      /* error kind/code name, NULL when scanned */
    char **refs;
    size_t nrefs;
    char *refs_run;     /* run the refs were seen in; NULL = run_id */
    int64_t refs_rank;  /* that run's rank; -1 = the rank of the stored order */
    sf_agg_vuln *vulns; /* deduplicated on (id, pkg, installed) */
    size_t nvulns;
    sf_agg_pkg *pkgs;   /* deduplicated on (eco, name, version); not in view JSON */
    size_t npkgs;
    size_t sev[SF_SEV_N]; /* findings per severity */
    size_t fixable;       /* findings with a fixed version */
    /* "sha256:<hex>" of the result's "os" and "packages" members' raw
     * bytes (what the package list derives from); NULL unknown. Stored
     * in the view ("ph") so that a rescan with the same bytes reuses the
     * stored package list (sf_agg_lazy_finish); readers ignore it. */
    char *pkhash;
    /* "sha256:<hex>" of the result's "vulnerabilities" member's raw bytes
     * (what the findings derive from, aliases included); NULL unknown.
     * Stored as "vh" with findings that carry their aliases, so that a
     * rescan with the same bytes takes the stored findings instead of
     * decoding its own (sf_agg_lazy_vulns). */
    char *vhash;
} sf_agg_view;

void sf_agg_view_free(sf_agg_view *v);
/* Free the strings one finding of a view holds (not x itself). */
void sf_agg_vuln_clear(sf_agg_vuln *x);
/* The view's string members (digest, job_key, run_id, db_version,
 * platform, os, error, refs_run, pkhash, vhash) keyed by their names in the stored JSON
 * (agg_store.c): what sf_agg_view_parse reads and sf_agg_view_free
 * frees. */
extern const sf_strfield sf_agg_view_fields[];
extern const size_t sf_agg_view_nfields;
/* Free v's package list and leave it empty. */
void sf_agg_pkgs_clear(sf_agg_view *v);

/*
 * The aggregator's one entry for results: untrusted `scanfarm.result/v1`
 * JSON (decoded by sf_result_decode) -> view. SF_EPARSE on malformed JSON, a wrong schema or a bad
 * digest; SF_ELIMIT past the caps above.
 */
int sf_agg_view_from_result(const char *json, size_t len, sf_agg_view **out, sf_error *err);

/*
 * The same view in two steps, so that an unchanged rescan does not decode
 * its package list (most of a big result's bytes, issue 17). _lazy skims
 * the document (base/json_skim.h) and decodes all of it but the
 * "packages" value; *lz is then set, v->pkhash is the hash of the "os"
 * and "packages" bytes and v has no packages yet. *lz NULL: v is whole
 * (the document did not allow the split: sf_agg_view_from_result's
 * decode). json must outlive *lz. Any failure is the full decode's.
 *
 * _finish completes v: when stored_hash (the stored view's pkhash) is
 * v->pkhash and pk (the stored package list, sf_agg_pkgs_json of the view
 * that hash was stored with) parses, from pk (*reused = 1): equal bytes
 * decode to equal packages. Otherwise by decoding the result's own
 * package list. A failure returns what sf_agg_view_from_result returns
 * for the document (its message too); v is then unusable.
 */
typedef struct sf_agg_lazy sf_agg_lazy;
int sf_agg_view_from_result_lazy(const char *json, size_t len, sf_agg_view **out,
                                 sf_agg_lazy **lz, sf_error *err);
int sf_agg_lazy_finish(sf_agg_lazy *lz, sf_agg_view *v, const char *stored_hash, const char *pk,
                       size_t pkl, int *reused, sf_error *err);
void sf_agg_lazy_free(sf_agg_lazy *lz);
/*
 * The findings, which _lazy leaves pending too when the document has one
 * "vulnerabilities" array (v->vhash its hash, v without findings; else
 * they are decoded and this does nothing). Call it before _finish and
 * before v's findings are read (_finish decodes them if still pending).
 * When stored (the stored view, may be NULL) has v->vhash as its "vh",
 * its findings are copied (*reused = 1):
 * equal bytes decode to equal findings, and a view with "vh" stores them
 * whole, aliases included. Otherwise the result's own are decoded. A
 * failure returns what sf_agg_view_from_result returns for the document.
 */
int sf_agg_lazy_vulns(sf_agg_lazy *lz, sf_agg_view *v, const sf_agg_view *stored, int *reused,
                      sf_error *err);

/* The ecosystem a package is indexed under: the distro's OSV ecosystem
 * for OS packages ("Alpine:v3.10"), the language's otherwise ("npm"),
 * the purl type when neither is known. Same rule as the result encoder. */
struct sf_pkg;
struct sf_osinfo;
int sf_agg_pkg_eco(const struct sf_pkg *p, const struct sf_osinfo *os, char *out, size_t outlen);

/* View <-> compact JSON as stored in Redis (packages excluded; they are
 * stored separately by sf_agg_pkgs_json). */
/* _json writes with agg_venc.h's writer, byte for byte what _json_ref,
 * the jansson writing, writes (which it asks for what it declines). */
int sf_agg_view_json(const sf_agg_view *v, sf_buf *out);
int sf_agg_view_json_ref(const sf_agg_view *v, sf_buf *out);
/* Read a stored view: its own form by agg_vparse.h's reader, anything
 * else by _ref, the jansson reading, which answers the same for every
 * document that reader takes (tests and the vparse fuzz target check
 * it). SF_EPARSE when not a view ("d" a string, "j", "r", "v" present),
 * SF_ENOMEM. */
int sf_agg_view_parse(const char *json, size_t len, sf_agg_view **out, sf_error *err);
int sf_agg_view_parse_ref(const char *json, size_t len, sf_agg_view **out, sf_error *err);
/* sf_agg_view_json(v), appended to out, for a v whose findings are, value
 * for value, those of the stored view document stored[0..len) (as
 * sf_agg_view_parse reads them: an unchanged rescan's): their bytes are
 * copied from it rather than formatted again (the reals' formatting was
 * most of writing a view). SF_ENOTFOUND, out untouched, when stored is
 * NULL or has no findings array to copy: write the view whole. */
int sf_agg_view_json_keep(const sf_agg_view *v, const char *stored, size_t len, sf_buf *out);
int sf_agg_pkgs_json(const sf_agg_view *v, sf_buf *out);
/* Parse a stored package list into v (replacing v's). */
int sf_agg_pkgs_parse(sf_agg_view *v, const char *json, size_t len, sf_error *err);

/* Severity name <-> sf_sev (model/severity.h: sf_sev_parse, sf_sev_name;
 * case-insensitive, "MODERATE" counts as MEDIUM, anything else UNKNOWN). */
int sf_agg_sev_parse(const char *s);
const char *sf_agg_sev_name(int sev);

/* Split "registry/repo:tag" (or "@digest") into registry and repository
 * (docker.io rules: a first component without '.', ':' and not
 * "localhost" is a Docker Hub path). Writes "" when unparsable. */
void sf_agg_ref_split(const char *ref, char *reg, size_t reglen, char *repo, size_t repolen);

/* 1 when ref is one the fleet view indexes (printable, bounded, no
 * space or '|'). */
int sf_agg_ref_ok(const char *ref);

/*
 * The refs rule, shared by results and refs messages (bus/msg_refs.h):
 * refs seen in a run of rank `rank` replace refs from an older run (a tag
 * that moved or was deleted disappears from the image), join refs of the
 * same run (late refs), and refs from an older run change nothing.
 * v_rank is the rank of v's refs (v->refs_rank, or the stored order's
 * rank when that is -1). On a change v's refs, refs_run and refs_rank
 * are replaced and *changed = 1; 0 when the set stays the same (only
 * refs_run/refs_rank may move), -1 when the refs are older (v untouched).
 * Unindexable refs are ignored; at most SF_AGG_MAX_REFS are kept.
 */
int sf_agg_view_set_refs(sf_agg_view *v, int64_t v_rank, const char *run, int64_t rank,
                         char *const *refs, size_t n, int *changed);

/* Rank of a stored order string; -1 when malformed. */
int64_t sf_agg_order_rank(const char *order);

/* Order string stored per digest: "<rank>|<time>|<run>|<db>" with the
 * numbers zero-padded. rank = run's first-seen ms. */
int sf_agg_order_fmt(char *out, size_t outlen, int64_t rank, const sf_agg_view *v);
/* Compare stored order a with candidate b: 0 = same result (duplicate),
 * 1 = b is newer (replace), -1 = b is older (ignore). Malformed a: 1. */
int sf_agg_order_cmp(const char *a, const char *b);

/* The value v's refs take in the ref map: the digest the tag points at,
 * i.e. the index of a multi-arch image (its job key), else v's digest. */
const char *sf_agg_ref_target(const sf_agg_view *v);

/* RFC 3339 UTC ("2026-01-02T03:04:05.678Z", offsets accepted) -> ms since
 * the epoch; -1 when malformed. */
int64_t sf_agg_parse_time(const char *s);

#endif
