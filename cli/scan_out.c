/* scan_out: see scan_out.h. */
#include "scan_out.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analyze/sbom.h"
#include "scan_supp.h"

static const char *const FMT_NAMES[] = {
    [SF_SCAN_FMT_TABLE] = "table",         [SF_SCAN_FMT_JSON] = "json",
    [SF_SCAN_FMT_SARIF] = "sarif",         [SF_SCAN_FMT_CYCLONEDX] = "cyclonedx",
    [SF_SCAN_FMT_SPDX_JSON] = "spdx-json",
};

int sf_scan_fmt_parse(const char *s)
{
    for (size_t i = 0; i < sizeof FMT_NAMES / sizeof FMT_NAMES[0]; i++)
        if (s && strcmp(s, FMT_NAMES[i]) == 0)
            return (int)i;
    return -1;
}

static int results_json(const sf_result *const *rs, size_t n, sf_buf *out, sf_error *err)
{
    int rc = n > 1 ? sf_buf_puts(out, "[") : SF_OK;
    for (size_t i = 0; i < n && rc == SF_OK; i++) {
        if (i)
            rc = sf_buf_puts(out, ",");
        if (rc == SF_OK)
            rc = sf_result_encode(rs[i], out, err);
    }
    if (rc == SF_OK && n > 1)
        rc = sf_buf_puts(out, "]");
    return rc;
}

int sf_scan_out_render(sf_scan_fmt fmt, const sf_result *const *rs, size_t n, const char *ref,
                       const sf_suppressed *sup, sf_buf *out, sf_error *err)
{
    int rc;
    switch (fmt) {
    case SF_SCAN_FMT_JSON: rc = results_json(rs, n, out, err); break;
    case SF_SCAN_FMT_SARIF: rc = sf_scan_sarif(rs, n, ref, sup, out); break;
    case SF_SCAN_FMT_CYCLONEDX: rc = sf_sbom_cyclonedx_n(rs, n, ref, out, err); break;
    case SF_SCAN_FMT_SPDX_JSON: rc = sf_sbom_spdx(rs, n, ref, out, err); break;
    default: return sf_error_set(err, SF_EINVAL, "scan: no document for the table format");
    }
    if (rc == SF_OK && sf_scan_supp_annotate(fmt, rs, n, sup, out) != SF_OK)
        rc = sf_error_set(err, SF_ENOMEM, "scan: cannot add the suppressed findings");
    if (rc == SF_OK && (!out->len || out->data[out->len - 1] != '\n'))
        rc = sf_buf_puts(out, "\n");
    return rc;
}

int sf_scan_ref_in_hosts(const char *ref, const char *hosts)
{
    size_t hn = strcspn(ref, "/");
    if (!hosts || ref[hn] != '/' || strncmp(ref, "oci:", 4) == 0 ||
        strncmp(ref, "docker-archive:", 15) == 0)
        return 0;
    for (const char *p = hosts; *p;) {
        size_t n = strcspn(p, ",");
        if (n == hn && strncmp(p, ref, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

int sf_scan_out_open(const char *path, sf_error *err)
{
    if (!path || strcmp(path, "-") == 0)
        return SF_OK;
    if (!freopen(path, "w", stdout))
        return sf_error_set(err, SF_EIO, "cannot write %s: %s", path, strerror(errno));
    return SF_OK;
}

int sf_scan_out_close(sf_error *err)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return sf_error_set(err, SF_EIO, "writing the output failed: %s", strerror(errno));
    return SF_OK;
}
