/*
 * vdb_build: compile advisories from every supported source into one DB
 * file (layout in vdb_int.h).
 *
 * The importers (osv, secdb, debtracker, nodesec) feed a builder record by
 * record: sf_vdb_rec_begin, then aliases, text fields, affected packages
 * with their ranges/events and listed versions, then sf_vdb_rec_commit (or
 * sf_vdb_rec_abort to drop a half-built record). Dirty input never fails
 * an import: the importer calls sf_vdb_builder_skip(reason) and goes on;
 * the counts land in the DB's meta and `scanfarm db info`.
 *
 * sf_vdb_import_path() is the front door: a file, a directory (walked) or
 * a .zip/.tar/.tar.gz archive (read entry by entry in memory, bounded),
 * each document sniffed and handed to the matching importer.
 *
 * A builder is used by one thread.
 */
#ifndef SF_VDB_BUILD_H
#define SF_VDB_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "vuln/vdb.h"

typedef struct sf_vdb_builder sf_vdb_builder;

int sf_vdb_builder_new(sf_vdb_builder **out);
void sf_vdb_builder_free(sf_vdb_builder *b);

/* Start a record with id (already normalised by the importer). Any
 * unfinished record is aborted first. */
int sf_vdb_rec_begin(sf_vdb_builder *b, const char *id);
/* Add an alias (duplicates and the id itself are ignored). */
int sf_vdb_rec_alias(sf_vdb_builder *b, const char *alias);
int sf_vdb_rec_summary(sf_vdb_builder *b, const char *summary);
/* Source severity ("HIGH", "moderate", ...); stored upper-cased. */
int sf_vdb_rec_severity(sf_vdb_builder *b, const char *severity);
/* The distro's own rating of the flaw for this package (Debian tracker
 * urgency, Ubuntu priority); stored upper-cased. First in the severity
 * rule (docs/severity.md). */
int sf_vdb_rec_vendor_severity(sf_vdb_builder *b, const char *severity);
/* CVSS vector as given; a v3.x vector wins over a later v2/v4 one. */
int sf_vdb_rec_cvss(sf_vdb_builder *b, const char *vector);
void sf_vdb_rec_flags(sf_vdb_builder *b, uint32_t flags);
/* Start an affected package. eco and name are normalised here; an unknown
 * ecosystem or empty name returns SF_EUNSUPPORTED/SF_EINVAL, and the
 * following range/event/version calls are ignored until the next
 * sf_vdb_rec_affected. */
int sf_vdb_rec_affected(sf_vdb_builder *b, const char *eco, const char *name);
/* Start a range of the current affected package. */
int sf_vdb_rec_range(sf_vdb_builder *b, sf_vrng_type type);
/* Add an event to the current range. */
int sf_vdb_rec_event(sf_vdb_builder *b, sf_vev_kind kind, const char *version);
/* Add an explicitly affected version to the current affected package. */
int sf_vdb_rec_version(sf_vdb_builder *b, const char *version);
/* Drop the current range (e.g. it turned out invalid). */
void sf_vdb_rec_range_abort(sf_vdb_builder *b);
/* Finish the record. A record without any affected package that has a
 * range or a version is dropped and counted under "no usable affected
 * package"; returns SF_OK either way (or SF_ENOMEM). */
int sf_vdb_rec_commit(sf_vdb_builder *b);
void sf_vdb_rec_abort(sf_vdb_builder *b);

/* Count n skipped items under reason (a short fixed phrase). */
void sf_vdb_builder_skip(sf_vdb_builder *b, const char *reason, uint64_t n);
/* Begin a new source (path or URL) for per-source record counts. */
int sf_vdb_builder_source(sf_vdb_builder *b, const char *label, const char *kind);
/* Name the importer of the records that follow ("osv", "secdb",
 * "debian", "nodesec"); stored per record. */
void sf_vdb_builder_kind(sf_vdb_builder *b, const char *kind);
/* Records committed so far, and the count under reason (0 if none). */
uint64_t sf_vdb_builder_records(const sf_vdb_builder *b);
uint64_t sf_vdb_builder_skipped(const sf_vdb_builder *b, const char *reason);
/* Build time to write (default: now); for reproducible builds. */
void sf_vdb_builder_set_time(sf_vdb_builder *b, int64_t unix_seconds);

/* Serialise into a malloc'd buffer (caller frees). */
int sf_vdb_builder_serialize(sf_vdb_builder *b, void **out, size_t *len, sf_error *err);
/* Write atomically: temp file in the same directory, fsync, rename, fsync
 * of the directory. */
int sf_vdb_builder_write(sf_vdb_builder *b, const char *path, sf_error *err);

/*
 * Per-CVE facts (vdb_cve.c), kept apart from the advisories: NVD's record
 * (dates, status, CWEs, every CVSS metric), CISA KEV and EPSS. Findings
 * pick them up by CVE id or alias at match time.
 *
 * An NVD record: sf_vdb_cve_begin, then cwe/cvss calls, then commit (or
 * abort). A CVE imported twice keeps the record with the later
 * lastModified (ties: the later import). KEV and EPSS entries attach to
 * the CVE whether or not NVD knows it.
 */
int sf_vdb_cve_begin(sf_vdb_builder *b, const char *id, const char *published,
                     const char *modified, const char *status);
int sf_vdb_cve_cwe(sf_vdb_builder *b, const char *cwe);
/* One CVSS metric: version "2.0" / "3.0" / "3.1" / "4.0", type Primary
 * (primary != 0) or Secondary, source as given, NVD's stated baseScore
 * (< 0 when absent). The score kept is computed from the vector; a vector
 * this build cannot score keeps the stated one; a mismatch is counted. */
int sf_vdb_cve_cvss(sf_vdb_builder *b, const char *version, const char *vector,
                    const char *source, int primary, double stated);
int sf_vdb_cve_commit(sf_vdb_builder *b);
void sf_vdb_cve_abort(sf_vdb_builder *b);
/* CISA KEV: dates as given ("2025-08-25"), ransomware = "Known" campaign use. */
int sf_vdb_cve_kev(sf_vdb_builder *b, const char *id, const char *date_added,
                   const char *due_date, int ransomware);
/* EPSS: probability and percentile in [0, 1], the model's score_date. */
int sf_vdb_cve_epss(sf_vdb_builder *b, const char *id, double score, double percentile,
                    const char *date);

typedef struct sf_vdb_cve_stats {
    uint64_t total, with_cvss, with_kev, with_epss;
} sf_vdb_cve_stats;
void sf_vdb_builder_cve_stats(sf_vdb_builder *b, sf_vdb_cve_stats *out);

/* Source formats the importers understand. */
typedef enum sf_vdb_fmt {
    SF_VFMT_UNKNOWN = 0,
    SF_VFMT_OSV,        /* one OSV record, or an array of them */
    SF_VFMT_GHSA_EXTRACT, /* {"advisories": [OSV-like records]} */
    SF_VFMT_SECDB,      /* Alpine secdb (whole release or vuln-list per package) */
    SF_VFMT_DEBTRACKER, /* Debian security tracker DSA/DLA/DTSA list */
    SF_VFMT_NODESEC,    /* Node.js security-wg vuln/npm record */
    SF_VFMT_NODESEC_CORE, /* security-wg core/deps records (not npm packages) */
    SF_VFMT_YAML,       /* YAML (OSV in YAML): unsupported, counted */
    SF_VFMT_NVD,        /* NVD API 2.0: a page {"vulnerabilities":[{"cve":...}]} or one record */
    SF_VFMT_KEV,        /* CISA known_exploited_vulnerabilities.json */
    SF_VFMT_EPSS        /* FIRST EPSS daily CSV (cve,epss,percentile) */
} sf_vdb_fmt;

/* Guess the format of one document from its name and first bytes. */
sf_vdb_fmt sf_vdb_sniff(const char *name, const char *data, size_t len);
/* Import one document (name: file or archive entry name, for sniffing and
 * messages). Dirty content is counted, not returned; only SF_ENOMEM is. */
int sf_vdb_import_buf(sf_vdb_builder *b, const char *name, const char *data, size_t len,
                      sf_error *err);
/* Import a file, directory or archive. SF_ENOTFOUND/SF_EIO/SF_ELIMIT for
 * an unreadable source; bad documents inside are counted. */
int sf_vdb_import_path(sf_vdb_builder *b, const char *path, sf_error *err);

/* Normalise a dirty advisory id token into out ("CVE 2018-16859" and
 * "CVE_2019-2426" -> "CVE-....", "cve-..." upper-cased). Returns 1 when
 * it changed, 0 when it was already clean, -1 when it is not an id. */
int sf_vdb_normalize_id(const char *in, size_t inlen, char *out, size_t outlen);

#endif
