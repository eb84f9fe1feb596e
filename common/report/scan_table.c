/* scan_table: see scan_table.h. */
#include "report/scan_table.h"

#include <string.h>

#include "report/tty.h"

static void print_counts(const sf_result *r, FILE *out)
{
    /* Packages per ecosystem (OS packages under the distro's). */
    const char *names[16];
    size_t counts[16], n = 0;
    char eco[64] = "";
    if (r->has_os)
        sf_osinfo_osv_ecosystem(&r->os, eco, sizeof eco);
    for (size_t i = 0; i < r->npkgs; i++) {
        const sf_pkg *p = &r->pkgs[i];
        const char *e = sf_pkg_type_is_os(p->type) ? (eco[0] ? eco : sf_pkg_type_name(p->type))
                                                   : sf_pkg_type_osv_ecosystem(p->type);
        if (!e)
            e = sf_pkg_type_name(p->type);
        size_t k = 0;
        while (k < n && strcmp(names[k], e) != 0)
            k++;
        if (k == n && n < 16) {
            names[n] = e;
            counts[n++] = 0;
        }
        if (k < n)
            counts[k]++;
    }
    fprintf(out, "Packages:  %zu", r->npkgs);
    for (size_t k = 0; k < n; k++)
        fprintf(out, "%s%s %zu", k ? ", " : " (", names[k], counts[k]);
    fprintf(out, "%s\n", n ? ")" : "");
}

static void print_findings(const sf_result *r, FILE *out)
{
    size_t by[SF_SEV_N] = {0};
    for (size_t i = 0; i < r->vulns.n; i++)
        by[sf_severity_rank(r->vulns.items[i].severity, 0)]++;
    fprintf(out, "Findings:  %zu (CRITICAL %zu, HIGH %zu, MEDIUM %zu, LOW %zu, UNKNOWN %zu)\n",
           r->vulns.n, by[SF_SEV_CRITICAL], by[SF_SEV_HIGH], by[SF_SEV_MEDIUM], by[SF_SEV_LOW],
           by[SF_SEV_UNKNOWN]);
    if (!r->vulns.n)
        return;
    fprintf(out, "\n  %-9s %-20s %-3s %-5s %-24s %-22s %-22s\n", "SEVERITY", "ID", "KEV", "EPSS",
           "PACKAGE", "INSTALLED", "FIXED");
    for (size_t i = 0; i < r->vulns.n; i++) {
        const sf_finding *f = &r->vulns.items[i];
        char epss[16] = "-";
        if (f->epss >= 0)
            snprintf(epss, sizeof epss, "%.3f", f->epss);
        const char *sev = f->severity ? f->severity : "UNKNOWN";
        fprintf(out, "  %s%-9s%s %-20s %-3s %-5s %-24s %-22s %-22s\n", sf_tty_sev(out, sev), sev,
               sf_tty_reset(out), f->id, f->kev ? "yes" : "-", epss,
               f->pkg_name ? f->pkg_name : "", f->installed ? f->installed : "",
               f->fixed ? f->fixed : "(no fix)");
    }
}

void sf_scan_table_print(const sf_result *r, const char *ref, FILE *out)
{
    fprintf(out, "Image:     %s\n", ref);
    fprintf(out, "Digest:    %s\n", r->digest ? r->digest : "-");
    if (r->index_digest)
        fprintf(out, "Index:     %s\n", r->index_digest);
    fprintf(out, "Platform:  %s\n", r->platform ? r->platform : "-");
    if (r->error_code != SF_OK) {
        fprintf(out, "Error:     %s (%s): %s\n\n", sf_err_name(r->error_code),
               sf_err_kind_name(sf_err_kind(r->error_code)), r->error ? r->error : "");
        return;
    }
    if (r->has_os)
        fprintf(out, "OS:        %s (%s %s)\n", r->os.pretty_name ? r->os.pretty_name : "-",
               r->os.id ? r->os.id : "?", r->os.version_id ? r->os.version_id : "");
    else
        fprintf(out, "OS:        not detected\n");
    fprintf(out, "Layers:    %zu\n", r->nlayers);
    print_counts(r, out);
    for (size_t i = 0; i < r->nnotes; i++)
        if (!r->notes[i].path) /* not about a file: the DB's coverage (dbcover.h) */
            fprintf(out, "%sWarning:%s   %s\n", sf_tty_warn(out), sf_tty_reset(out),
                   r->notes[i].note ? r->notes[i].note : "");
        else
            fprintf(out, "Note:      %s: %s (%s, layer %d)\n", r->notes[i].path,
               r->notes[i].note ? r->notes[i].note : "not parsed", r->notes[i].analyzer,
               r->notes[i].layer);
    if (r->db_version)
        print_findings(r, out);
    else
        fprintf(out, "Findings:  not matched (no --db / SCANFARM_DB)\n");
    fprintf(out, "Time:      %.0f ms\n\n", r->timings.total_ms);
}
