/*
 * scan_gate: what `scanfarm scan` reports and when it fails, apart from
 * how it scans (docs/severity.md, "scan gates"):
 *
 *   --severity LIST     report only these severities (Trivy spelling:
 *                       UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL; NONE counts as LOW)
 *   --ignore-unfixed    report only findings with a fixed version
 *   --fail-on LIST      exit non-zero when a reported finding is at or above
 *                       a severity (UNKNOWN = any finding, rated or not;
 *                       LOW also catches UNKNOWN: an unrated flaw is not
 *                       known to be below LOW), is in CISA KEV (KEV), or has
 *                       an EPSS probability at or above x (EPSS>=x)
 *   --exit-code N       the code used when --fail-on trips (default 1);
 *                       alone, N whenever any finding is reported (Trivy)
 *
 * Filters apply before output and before the gate, so what fails the run
 * is what was printed.
 */
#ifndef SF_SCAN_GATE_H
#define SF_SCAN_GATE_H

#include <stddef.h>

#include "bus/msg_result.h"

typedef struct sf_scan_gate {
    unsigned severities; /* bit (1 << rank) per severity to report, rank as
                            sf_severity_rank (UNKNOWN 0 .. CRITICAL 4); 0 = all */
    int ignore_unfixed;
    int fail_rank;       /* --fail-on severity rank + 1 (1 = UNKNOWN), 0 = none */
    int fail_kev;
    double fail_epss;    /* threshold in [0, 1], < 0 = none */
    int exit_code;       /* --exit-code N, -1 = not given */
} sf_scan_gate;

void sf_scan_gate_init(sf_scan_gate *g);
/* Parse the option values (the flag's spelling in messages). 0 or -1
 * with a message on stderr. */
int sf_scan_gate_severity(sf_scan_gate *g, const char *list);
int sf_scan_gate_fail_on(sf_scan_gate *g, const char *list);
int sf_scan_gate_exit_code(sf_scan_gate *g, const char *arg);
/* 1 when finding f is reported under g. */
int sf_scan_gate_keeps(const sf_scan_gate *g, const sf_finding *f);
/* Drop the findings g does not report from r (freed in place). */
void sf_scan_gate_filter(const sf_scan_gate *g, sf_result *r);
/* 1 when finding f trips the gate. */
int sf_scan_gate_trips(const sf_scan_gate *g, const sf_finding *f);
/* The exit code for r's reported findings: 0, or the gate's code when one
 * trips. */
int sf_scan_gate_exit(const sf_scan_gate *g, const sf_result *r);

#endif
