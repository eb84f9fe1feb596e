/*
 * vdb_int: the on-disk layout of the compiled vulnerability DB, shared by
 * the writer (vdb_build.c), the reader (vdb.c) and the matcher (match.c).
 * Nothing outside common/vuln includes this.
 *
 * File layout (little-endian, every section 8-byte aligned, all integers
 * unsigned 32-bit unless noted; references are indexes into the named
 * section, strings are byte offsets into the string table):
 *
 *   [0, 256)        header (sf_vdb_hdr): magic, format, sizes, the sha256
 *                   of the whole file (read with the sha256 field as
 *                   zeros, so header and padding are covered too), build
 *                   time, section table
 *   strings         NUL-terminated strings, each stored once (interned)
 *   records         sf_vdb_rec[nrec]: one advisory (id, summary,
 *                   severity, CVSS vector, aliases as a slice of u32s)
 *   pkgs            sf_vdb_pkg[npkg]: the index, sorted by (ecosystem,
 *                   normalised name) in strcmp order, unique; each owns a
 *                   slice of affs. Looked up by binary search.
 *   affs            sf_vdb_aff[naff]: "record R affects this package", with
 *                   a slice of ranges and a slice of listed versions
 *   ranges          sf_vdb_rng[nrng]: type + slice of events
 *   events          u32 each: (kind << 30) | string offset; kind is an
 *                   sf_vev_kind (introduced/fixed/last_affected/limit)
 *   u32s            string offsets: alias lists, version lists, CWE lists
 *   cves            sf_vdb_cve[ncve]: per-CVE facts from NVD, CISA KEV and
 *                   EPSS, sorted by id (strcmp), unique; binary-searched
 *   cvss            sf_vdb_cvss[ncvss]: every CVSS metric NVD lists for a
 *                   CVE (each CVE owns a slice), with its score
 *
 * A reader validates every slice and offset once on open (a corrupt or
 * hostile file is rejected with SF_EDB, never read out of bounds), so the
 * lookups afterwards index without further checks. The meta string (JSON:
 * sources, per-ecosystem record counts, skipped counts by reason) lives in
 * the string table and is only parsed by `scanfarm db info`.
 */
#ifndef SF_VDB_INT_H
#define SF_VDB_INT_H

#include <stddef.h>
#include <stdint.h>

#define SF_VDB_MAGIC "SFVDB\r\n\x1a"
#define SF_VDB_FORMAT 3u /* 2: NuGet names keyed lower-case; 3: CVE table (NVD, KEV,
                            EPSS) and the vendor severity of a record */
#define SF_VDB_ENDIAN 0x01020304u
#define SF_VDB_HDR_SIZE 256u
/* Strings must fit in 30 bits: the top two bits of an event hold its kind. */
#define SF_VDB_STR_MAX ((1u << 30) - 1)

enum {
    SF_VSEC_STRINGS = 0,
    SF_VSEC_RECORDS,
    SF_VSEC_PKGS,
    SF_VSEC_AFFS,
    SF_VSEC_RANGES,
    SF_VSEC_EVENTS,
    SF_VSEC_U32S,
    SF_VSEC_CVES,
    SF_VSEC_CVSS,
    SF_VSEC_COUNT
};

typedef struct sf_vdb_sec {
    uint64_t off;   /* byte offset from the start of the file */
    uint64_t count; /* elements (bytes for the string table) */
} sf_vdb_sec;

typedef struct sf_vdb_hdr {
    char magic[8];        /* SF_VDB_MAGIC */
    uint32_t format;      /* SF_VDB_FORMAT; readers refuse others */
    uint32_t endian;      /* SF_VDB_ENDIAN as written by the builder's CPU */
    uint64_t file_size;   /* whole file, header included */
    uint8_t sha256[32];   /* of the whole file with this field zeroed */
    int64_t built;        /* build time, unix seconds UTC */
    uint32_t meta;        /* string offset of the meta JSON */
    uint32_t reserved0;
    sf_vdb_sec sec[SF_VSEC_COUNT];
    uint8_t pad[SF_VDB_HDR_SIZE - 8 - 4 - 4 - 8 - 32 - 8 - 4 - 4 -
                SF_VSEC_COUNT * sizeof(sf_vdb_sec)];
} sf_vdb_hdr;

_Static_assert(sizeof(sf_vdb_hdr) == SF_VDB_HDR_SIZE, "header is 256 bytes");

/* Record flags. */
#define SF_VREC_F_EOL 0x1u /* Debian <end-of-life>: unfixed because unsupported */

typedef struct sf_vdb_rec {
    uint32_t id;          /* string: advisory id ("CVE-...", "GHSA-...", "DSA-4711-1") */
    uint32_t summary;     /* string, 0 = none (offset 0 is always "") */
    uint32_t severity;    /* string: database_specific / source severity, 0 = none */
    uint32_t cvss;        /* string: CVSS vector as given (v3.x preferred), 0 = none */
    uint32_t alias_first; /* u32s slice: alias string offsets */
    uint32_t alias_count;
    uint32_t source;      /* string: source kind ("osv", "secdb", "debian", "nodesec") */
    uint32_t flags;       /* SF_VREC_F_* */
    uint32_t vendor_sev;  /* string: the distro's own rating (Debian urgency, Ubuntu
                             priority) upper-cased, 0 = none */
    uint32_t reserved;
} sf_vdb_rec;

/* CVE flags. */
#define SF_VCVE_F_NVD 0x1u        /* an NVD record was imported */
#define SF_VCVE_F_KEV 0x2u        /* listed in CISA KEV */
#define SF_VCVE_F_RANSOMWARE 0x4u /* KEV knownRansomwareCampaignUse "Known" */
#define SF_VCVE_F_EPSS 0x8u       /* an EPSS score was imported */

typedef struct sf_vdb_cve {
    uint32_t id;                     /* string "CVE-2021-3711" */
    uint32_t published, modified;    /* strings: NVD timestamps as given, 0 = none */
    uint32_t status;                 /* string: NVD vulnStatus ("Analyzed"), 0 = none */
    uint32_t cwe_first, cwe_count;   /* u32s slice: CWE ids ("CWE-416") */
    uint32_t cvss_first, cvss_count; /* cvss slice */
    uint32_t kev_added, kev_due;     /* strings: KEV dateAdded / dueDate */
    uint32_t flags;                  /* SF_VCVE_F_* */
    uint32_t epss_date;              /* string: EPSS score_date */
    float epss, epss_pct;            /* EPSS probability and percentile, 0..1 */
} sf_vdb_cve;

/* CVSS metric types (NVD "type"). */
#define SF_VCVSS_PRIMARY 1u
#define SF_VCVSS_SECONDARY 2u

typedef struct sf_vdb_cvss {
    uint32_t vector;   /* string: the vector as given */
    uint32_t source;   /* string: who scored ("nvd@nist.gov", a CNA), 0 = unknown */
    uint16_t version;  /* 20, 30, 31, 40 */
    uint16_t type;     /* SF_VCVSS_* */
    uint16_t score10;  /* base score x10: computed from the vector when this build
                          can, else the stated one */
    uint16_t stated10; /* NVD's stated baseScore x10, 0xffff = none */
} sf_vdb_cvss;

typedef struct sf_vdb_pkg {
    uint32_t eco;  /* string: normalised OSV ecosystem ("Alpine:v3.10", "npm") */
    uint32_t name; /* string: normalised package name */
    uint32_t aff_first;
    uint32_t aff_count;
} sf_vdb_pkg;

typedef struct sf_vdb_aff {
    uint32_t rec;       /* records index */
    uint32_t rng_first; /* ranges slice */
    uint32_t rng_count;
    uint32_t ver_first; /* u32s slice: explicitly listed affected versions */
    uint32_t ver_count;
} sf_vdb_aff;

typedef struct sf_vdb_rng {
    uint32_t type;     /* sf_vrng_type */
    uint32_t ev_first; /* events slice */
    uint32_t ev_count;
} sf_vdb_rng;

#define SF_VEV_KIND(e) ((e) >> 30)
#define SF_VEV_STR(e) ((e)&SF_VDB_STR_MAX)
#define SF_VEV_MAKE(kind, str) (((uint32_t)(kind) << 30) | (uint32_t)(str))

/* The reader's view of a mapped, validated file. */
struct sf_vdb_view {
    const char *str;
    uint64_t str_len;
    const sf_vdb_rec *rec;
    uint32_t nrec;
    const sf_vdb_pkg *pkg;
    uint32_t npkg;
    const sf_vdb_aff *aff;
    uint32_t naff;
    const sf_vdb_rng *rng;
    uint32_t nrng;
    const uint32_t *ev;
    uint32_t nev;
    const uint32_t *u32;
    uint32_t nu32;
    const sf_vdb_cve *cve;
    uint32_t ncve;
    const sf_vdb_cvss *cvss;
    uint32_t ncvss;
};

/* The CVE entry of id, or NULL (binary search). */
const sf_vdb_cve *sf_vdb__cve(const struct sf_vdb_view *v, const char *id);

/* sha256 of a whole file image with the header's sha256 field read as
 * zeros; 0 or -1. */
int sf_vdb_checksum(const void *file, size_t size, unsigned char out[32]);

struct sf_vdb;
/* The validated view of an open DB (borrowed, lives as long as db). */
const struct sf_vdb_view *sf_vdb__view(const struct sf_vdb *db);

#endif
