/*
 * cvss: base score and severity of a CVSS vector string, computed with
 * the specification's own formulas, so findings carry a score even when
 * an advisory only gives the vector.
 *
 *   CVSS v3.0 / v3.1 ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"):
 *     FIRST's base equations; v3.1 uses its float-safe Roundup, v3.0 the
 *     plain ceiling to one decimal. Temporal and environmental metrics
 *     may be present and are validated but do not change the base score.
 *     Severity None / Low / Medium / High / Critical.
 *   CVSS v2 ("AV:N/AC:L/Au:N/C:P/I:P/A:P", optionally in parentheses or
 *     after "CVSS:2.0/"): the v2 base equation; severity by NVD's v2 bands
 *     Low (0-3.9) / Medium / High (7.0-10), no Critical in v2.
 *   CVSS v4.0 ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"):
 *     the specification's MacroVector table and severity-distance
 *     interpolation (cvss4.c); threat and environmental metrics are
 *     applied as the specification says (this is CVSS-B/-BT/-BE/-BTE by
 *     whatever the vector holds), supplemental metrics validated only.
 *     Severity bands as v3.
 */
#ifndef SF_CVSS_H
#define SF_CVSS_H

#include <stddef.h>

/*
 * Score vector. On SF_OK *score is the base score (0.0-10.0) and severity
 * (if non-NULL and sevlen > 0) holds its name, truncated to sevlen.
 * SF_EPARSE for malformed vectors (unknown or repeated metric, bad value,
 * missing base metric), SF_EUNSUPPORTED for unknown versions,
 * SF_EINVAL for NULL arguments. Pure function, thread-safe.
 */
int sf_cvss_score(const char *vector, double *score, char *severity, size_t sevlen);

/* CVSS v4.0 score of a "CVSS:4.0/..." vector (cvss4.c). SF_EPARSE when
 * malformed. */
int sf_cvss4_score(const char *vector, double *score);

/* CVSS v3.1 Roundup (specification Appendix A): smallest number with one
 * decimal >= x, immune to float noise (4.000000000000001 -> 4.0). */
double sf_cvss_roundup31(double x);

/* Severity name of a v3 score: "None", "Low", "Medium", "High", "Critical". */
const char *sf_cvss_severity3(double score);

#endif
