/*
 * severity: the one severity scale of the whole tree. A finding's
 * severity travels as a word ("CRITICAL", "HIGH", "MEDIUM", "LOW",
 * "UNKNOWN": scanfarm.result/v1, vuln/severity.h decides which); in
 * memory it is an sf_sev, ordered so that more severe is greater:
 *   UNKNOWN 0 < LOW 1 < MEDIUM 2 < HIGH 3 < CRITICAL 4.
 * Counters indexed by severity (size_t n[SF_SEV_N]) use the same index.
 * Reports list the most severe first: loop with sf_sev_at(i).
 *
 * Thread safety: pure functions.
 */
#ifndef SF_MODEL_SEVERITY_H
#define SF_MODEL_SEVERITY_H

typedef enum sf_sev {
    SF_SEV_UNKNOWN = 0,
    SF_SEV_LOW,
    SF_SEV_MEDIUM,
    SF_SEV_HIGH,
    SF_SEV_CRITICAL,
    SF_SEV_N
} sf_sev;

/* The word of sev ("UNKNOWN" for anything out of range). */
const char *sf_sev_name(int sev);

/* The severity of a word: case-insensitive, "MODERATE" counts as MEDIUM,
 * anything else (NULL too) is UNKNOWN. */
sf_sev sf_sev_parse(const char *s);

/* The i-th severity in report order, most severe first: i = 0 is
 * CRITICAL, i = SF_SEV_N - 1 is UNKNOWN. */
static inline sf_sev sf_sev_at(int i) { return (sf_sev)(SF_SEV_CRITICAL - i); }

/* Severity rank of a word: its sf_sev, case-insensitive, exact words only
 * (no MODERATE); anything else 0, or -1 when strict and s is not
 * "UNKNOWN" either (used to validate --fail-on). */
int sf_severity_rank(const char *s, int strict);

#endif
