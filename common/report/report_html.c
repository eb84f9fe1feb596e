/*
 * report_html: the HTML report, one self-contained file (inline CSS and
 * SVG, no script, no external fetch) so it can be mailed, archived or
 * opened from a CI artifact. Charts are SVG generated here: findings by
 * severity per registry as stacked bars, and the top CVEs by number of
 * images, coloured by severity. Every string from results is escaped.
 * Links are plain anchors, never fetched: each vulnerability id goes to
 * its canonical advisory page (vuln/advisory.h), each worst image to its
 * own section (id "img-<digest>") listing its findings, with the distro
 * tracker's page of each CVE for the image's OS.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fleet/report.h"
#include "sf_version.h"
#include "vuln/advisory.h"

/* Severity colours, indexed by sf_sev, chosen to stay distinct for the
 * common colour-vision deficiencies. */
static const char *const SEV_COLOR[SF_SEV_N] = {
    [SF_SEV_CRITICAL] = "#8e0b2f", [SF_SEV_HIGH] = "#e4572e", [SF_SEV_MEDIUM] = "#f3a712",
    [SF_SEV_LOW] = "#4c9bd6",      [SF_SEV_UNKNOWN] = "#a3a3a3"};
static const char *const SEV_LABEL[SF_SEV_N] = {
    [SF_SEV_CRITICAL] = "Critical", [SF_SEV_HIGH] = "High", [SF_SEV_MEDIUM] = "Medium",
    [SF_SEV_LOW] = "Low",           [SF_SEV_UNKNOWN] = "Unknown"};

#define CHART_ROWS 15
#define LABEL_W 230
#define BAR_W 520
#define ROW_H 26
/* Findings listed per image in its section; the rest are counted. A
 * mailed report stays a few hundred KiB with SF_REPORT_TOP images. */
#define IMG_FINDINGS 100

static const char CSS[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "background:#f5f6f8;color:#1d2330}"
    "header{background:#1d2330;color:#fff;padding:22px 40px}"
    "header h1{margin:0;font-size:24px;font-weight:600}header p{margin:6px 0 0;color:#b8c0cc}"
    "main{padding:24px 40px;max-width:1200px}"
    ".cards{display:flex;gap:16px;flex-wrap:wrap;margin-bottom:24px}"
    ".card{background:#fff;border-radius:10px;padding:16px 20px;flex:1;min-width:120px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.08)}"
    ".card .v{font-size:30px;font-weight:700}.card .l{color:#5b6475;font-size:13px}"
    "section{background:#fff;border-radius:10px;padding:18px 22px;margin-bottom:24px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.08)}"
    "h2{font-size:17px;margin:0 0 12px}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6e8ec}"
    "th{color:#5b6475;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".sev{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-size:11px}"
    "code{font-size:12px;white-space:nowrap}a{color:#1a56a8}h3{font-size:14px;margin:18px 0 6px}"
    ".wrap{overflow-x:auto}.grid{display:grid;grid-template-columns:1fr 1fr;gap:24px}"
    "@media(max-width:1100px){.grid{grid-template-columns:1fr}}";

static int card(sf_buf *o, const char *label, const char *value, const char *color)
{
    return sf_buf_printf(o, "<div class=\"card\"><div class=\"v\" style=\"color:%s\">%s</div>"
                            "<div class=\"l\">%s</div></div>",
                         color, value, label);
}

static int cards(sf_buf *o, const sf_report *r)
{
    char v[64];
    int rc = sf_buf_puts(o, "<div class=\"cards\">");
    snprintf(v, sizeof v, "%zu", r->images);
    rc = rc ? rc : card(o, "images scanned", v, "#1d2330");
    snprintf(v, sizeof v, "%zu", r->findings);
    rc = rc ? rc : card(o, "findings", v, "#1d2330");
    snprintf(v, sizeof v, "%zu", r->sev[SF_SEV_CRITICAL]);
    rc = rc ? rc : card(o, "critical", v, SEV_COLOR[SF_SEV_CRITICAL]);
    snprintf(v, sizeof v, "%zu", r->sev[SF_SEV_HIGH]);
    rc = rc ? rc : card(o, "high", v, SEV_COLOR[SF_SEV_HIGH]);
    snprintf(v, sizeof v, "%.0f%%", r->findings ? 100.0 * (double)r->fixable / (double)r->findings : 0);
    rc = rc ? rc : card(o, "fixable", v, "#2e7d32");
    snprintf(v, sizeof v, "%.0f%%", 100.0 * sf_report_unknown_share(r));
    rc = rc ? rc : card(o, "severity unknown", v, SEV_COLOR[SF_SEV_UNKNOWN]);
    snprintf(v, sizeof v, "%zu", r->nkev);
    rc = rc ? rc : card(o, "exploited (KEV)", v, r->nkev ? "#b00020" : "#1d2330");
    snprintf(v, sizeof v, "%zu", r->errors);
    rc = rc ? rc : card(o, "images failed", v, r->errors ? "#b00020" : "#1d2330");
    return rc ? rc : sf_buf_puts(o, "</div>");
}

static int legend(sf_buf *o, int y)
{
    int rc = SF_OK, x = LABEL_W;
    for (int i = 0; i < SF_SEV_N && rc == SF_OK; i++, x += 95) {
        sf_sev s = sf_sev_at(i); /* most severe first */
        rc = sf_buf_printf(o, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" rx=\"2\" "
                              "fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>",
                           x, y, SEV_COLOR[s], x + 17, y + 11, SEV_LABEL[s]);
    }
    return rc;
}

/* A row's name, right-aligned left of its bar (y: the row's top). */
static int row_name(sf_buf *o, int y, const char *name)
{
    int rc = sf_buf_printf(o, "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"end\">",
                           LABEL_W - 8, y + 15);
    rc = rc ? rc : sf_report_html_escape(o, name);
    return rc ? rc : sf_buf_puts(o, "</text>");
}

/* What a chart shows of item i of r: the number its bar's length is
 * scaled by, and the row itself (name and bar, at top y, bar lengths
 * relative to max). */
typedef size_t (*chart_value_fn)(const sf_report *r, size_t i);
typedef int (*chart_row_fn)(sf_buf *o, const sf_report *r, size_t i, int y, size_t max);

/* A bar chart of the first CHART_ROWS of n items, the severity legend
 * above the bars (aria_label: what it shows). */
static int chart(sf_buf *o, const sf_report *r, const char *aria_label, size_t n,
                 chart_value_fn value, chart_row_fn row)
{
    size_t rows = n < CHART_ROWS ? n : CHART_ROWS, max = 1;
    for (size_t i = 0; i < rows; i++)
        max = value(r, i) > max ? value(r, i) : max;
    int h = 34 + (int)rows * ROW_H + 10;
    int rc = sf_buf_printf(o, "<svg role=\"img\" aria-label=\"%s\" "
                              "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                              "xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\">",
                           aria_label, LABEL_W + BAR_W + 70, h, LABEL_W + BAR_W + 70, h);
    rc = rc ? rc : legend(o, 4);
    for (size_t i = 0; i < rows && rc == SF_OK; i++)
        rc = row(o, r, i, 30 + (int)i * ROW_H, max);
    return rc ? rc : sf_buf_puts(o, "</svg>");
}

static size_t reg_findings(const sf_report *r, size_t i) { return r->regs[i].findings; }

/* Stacked bars: one row per registry, segments per severity. */
static int reg_row(sf_buf *o, const sf_report *r, size_t i, int y, size_t max)
{
    const sf_report_reg *g = &r->regs[i];
    double x = LABEL_W;
    int rc = row_name(o, y, g->name);
    for (int k = 0; k < SF_SEV_N && rc == SF_OK; k++) {
        sf_sev s = sf_sev_at(k); /* most severe first */
        double w = (double)BAR_W * (double)g->sev[s] / (double)max;
        if (g->sev[s] == 0)
            continue;
        rc = sf_buf_printf(o, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" "
                              "fill=\"%s\"><title>%s: %zu</title></rect>",
                           x, y + 2, w < 1 ? 1 : w, SEV_COLOR[s], SEV_LABEL[s], g->sev[s]);
        x += w;
    }
    return rc ? rc : sf_buf_printf(o, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" "
                                      "fill=\"#5b6475\">%zu</text>",
                                   x + 6, y + 15, g->findings);
}

static size_t cve_images(const sf_report *r, size_t i) { return r->cves[i].images; }

/* Horizontal bars: images per CVE, coloured by its severity. */
static int cve_row(sf_buf *o, const sf_report *r, size_t i, int y, size_t max)
{
    const sf_report_cve *c = &r->cves[i];
    double w = (double)BAR_W * (double)c->images / (double)max;
    int rc = row_name(o, y, c->id);
    rc = rc ? rc : sf_buf_printf(o, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
                                    "height=\"18\" rx=\"2\" fill=\"%s\"><title>",
                                 LABEL_W, y + 2, w < 1 ? 1 : w, SEV_COLOR[c->sev]);
    rc = rc ? rc : sf_report_html_escape(o, c->id);
    return rc ? rc : sf_buf_printf(o, ": %zu images, fix available in %zu</title></rect>"
                                      "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" "
                                      "fill=\"#5b6475\">%zu</text>",
                                   c->images, c->fixable_images, LABEL_W + w + 6, y + 15,
                                   c->images);
}

static int sev_badge(sf_buf *o, int s)
{
    return sf_buf_printf(o, "<span class=\"sev\" style=\"background:%s\">%s</span>", SEV_COLOR[s],
                         SEV_LABEL[s]);
}

/* id as a link to its advisory page when it has one, else as text. */
static int vuln_id(sf_buf *o, const char *id)
{
    char url[SF_ADVISORY_URL_MAX];
    if (!sf_advisory_url(id, url, sizeof url)) {
        int rc = sf_buf_puts(o, "<code>");
        rc = rc ? rc : sf_report_html_escape(o, id);
        return rc ? rc : sf_buf_puts(o, "</code>");
    }
    int rc = sf_buf_puts(o, "<a href=\"");
    rc = rc ? rc : sf_report_html_escape(o, url);
    rc = rc ? rc : sf_buf_puts(o, "\"><code>");
    rc = rc ? rc : sf_report_html_escape(o, id);
    return rc ? rc : sf_buf_puts(o, "</code></a>");
}

static int img_anchor(sf_buf *o, const sf_agg_view *v)
{
    int rc = sf_buf_puts(o, "img-");
    return rc ? rc : sf_report_html_escape(o, v->digest);
}

static int table_worst(sf_buf *o, const sf_report *r)
{
    int rc = sf_buf_puts(o, "<table><tr><th>image</th><th>platform</th><th>OS</th>"
                            "<th class=\"n\">critical</th>"
                            "<th class=\"n\">high</th><th class=\"n\">medium</th>"
                            "<th class=\"n\">low</th><th class=\"n\">unknown</th>"
                            "<th class=\"n\">total</th><th class=\"n\">fixable</th></tr>");
    for (size_t i = 0; i < r->nimgs && i < SF_REPORT_TOP && rc == SF_OK; i++) {
        const sf_agg_view *v = r->imgs[i];
        if (!v->nvulns)
            break;
        rc = sf_buf_puts(o, "<tr><td><a href=\"#");
        rc = rc ? rc : img_anchor(o, v);
        rc = rc ? rc : sf_buf_puts(o, "\"><code>");
        rc = rc ? rc : sf_report_html_escape(o, v->nrefs ? v->refs[0] : v->digest);
        rc = rc ? rc : sf_buf_puts(o, "</code></a>");
        if (rc == SF_OK && v->nrefs > 1)
            rc = sf_buf_printf(o, " <small>+%zu tag%s</small>", v->nrefs - 1,
                               v->nrefs == 2 ? "" : "s");
        rc = rc ? rc : sf_buf_puts(o, "</td><td>");
        rc = rc ? rc : sf_report_html_escape(o, v->platform ? v->platform : "");
        rc = rc ? rc : sf_buf_puts(o, "</td><td>");
        rc = rc ? rc : sf_report_html_escape(o, v->os ? v->os : "");
        rc = rc ? rc : sf_buf_printf(o, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                                        "<td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                                        "<td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                                        "<td class=\"n\">%zu</td></tr>",
                                     v->sev[SF_SEV_CRITICAL], v->sev[SF_SEV_HIGH],
                                     v->sev[SF_SEV_MEDIUM], v->sev[SF_SEV_LOW],
                                     v->sev[SF_SEV_UNKNOWN], v->nvulns, v->fixable);
    }
    return rc ? rc : sf_buf_puts(o, "</table>");
}

static int table_cves(sf_buf *o, const sf_report *r)
{
    int rc = sf_buf_puts(o, "<table><tr><th>vulnerability</th><th>severity</th>"
                            "<th class=\"n\">CVSS</th><th class=\"n\">images</th>"
                            "<th class=\"n\">fix available</th></tr>");
    for (size_t i = 0; i < r->ncves && i < SF_REPORT_TOP && rc == SF_OK; i++) {
        const sf_report_cve *c = &r->cves[i];
        rc = sf_buf_puts(o, "<tr><td>");
        rc = rc ? rc : vuln_id(o, c->id);
        rc = rc ? rc : sf_buf_puts(o, "</td><td>");
        rc = rc ? rc : sev_badge(o, c->sev);
        if (rc == SF_OK && c->cvss >= 0)
            rc = sf_buf_printf(o, "</td><td class=\"n\">%.1f", c->cvss);
        else if (rc == SF_OK)
            rc = sf_buf_puts(o, "</td><td class=\"n\">–");
        rc = rc ? rc : sf_buf_printf(o, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                                        "</tr>",
                                     c->images, c->fixable_images);
    }
    return rc ? rc : sf_buf_puts(o, "</table>");
}

/* Every CVE CISA KEV lists, highest priority first. */
static int table_exploited(sf_buf *o, const sf_report *r)
{
    if (!r->nkev)
        return sf_buf_puts(o, "<p>No finding is of a CVE in the CISA Known Exploited "
                              "Vulnerabilities catalog (import it with <code>scanfarm db "
                              "import</code> to check).</p>");
    int rc = sf_buf_puts(o, "<table><tr><th>vulnerability</th><th>severity</th>"
                            "<th class=\"n\">CVSS</th><th class=\"n\">EPSS</th>"
                            "<th class=\"n\">images</th><th class=\"n\">fix available</th></tr>");
    for (size_t i = 0; i < r->ncves && r->by_priority[i].kev && rc == SF_OK; i++) {
        const sf_report_cve *c = &r->by_priority[i];
        rc = sf_buf_puts(o, "<tr><td>");
        rc = rc ? rc : vuln_id(o, c->id);
        rc = rc ? rc : sf_buf_puts(o, "</td><td>");
        rc = rc ? rc : sev_badge(o, c->sev);
        rc = rc ? rc : sf_buf_printf(o, "</td><td class=\"n\">%.1f</td><td class=\"n\">%.3f"
                                        "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                                        "</tr>",
                                     c->cvss < 0 ? 0 : c->cvss, c->epss < 0 ? 0 : c->epss,
                                     c->images, c->fixable_images);
    }
    return rc ? rc : sf_buf_puts(o, "</table>");
}

static int table_regs(sf_buf *o, const sf_report *r)
{
    int rc = sf_buf_puts(o, "<table><tr><th>registry</th><th class=\"n\">images</th>"
                            "<th class=\"n\">vulnerable</th><th class=\"n\">failed</th>"
                            "<th class=\"n\">critical</th><th class=\"n\">high</th>"
                            "<th class=\"n\">medium</th><th class=\"n\">low</th>"
                            "<th class=\"n\">unknown</th><th class=\"n\">findings</th>"
                            "<th class=\"n\">fixable</th></tr>");
    for (size_t i = 0; i < r->nregs && rc == SF_OK; i++) {
        const sf_report_reg *g = &r->regs[i];
        rc = sf_buf_puts(o, "<tr><td><code>");
        rc = rc ? rc : sf_report_html_escape(o, g->name);
        rc = rc ? rc : sf_buf_printf(o, "</code></td><td class=\"n\">%zu</td><td class=\"n\">%zu"
                                        "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                                        "<td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                                        "<td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                                        "<td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>",
                                     g->images, g->vulnerable, g->errors, g->sev[SF_SEV_CRITICAL],
                                     g->sev[SF_SEV_HIGH], g->sev[SF_SEV_MEDIUM], g->sev[SF_SEV_LOW],
                                     g->sev[SF_SEV_UNKNOWN], g->findings, g->fixable);
    }
    return rc ? rc : sf_buf_puts(o, "</table>");
}

/* " · tracker": the distro's page of a CVE, for the image's OS. */
static int tracker_link(sf_buf *o, const char *id, const char *os)
{
    char url[SF_ADVISORY_URL_MAX];
    if (!sf_advisory_tracker_url(id, os, url, sizeof url))
        return SF_OK;
    int rc = sf_buf_puts(o, " <small><a href=\"");
    rc = rc ? rc : sf_report_html_escape(o, url);
    return rc ? rc : sf_buf_puts(o, "\">tracker</a></small>");
}

/* One worst image's findings, most severe first, fixed version shown. */
static int image_section(sf_buf *o, const sf_agg_view *v)
{
    int rc = sf_buf_puts(o, "<h3 id=\"");
    rc = rc ? rc : img_anchor(o, v);
    rc = rc ? rc : sf_buf_puts(o, "\"><code>");
    rc = rc ? rc : sf_report_html_escape(o, v->nrefs ? v->refs[0] : v->digest);
    rc = rc ? rc : sf_buf_puts(o, "</code> <small>");
    rc = rc ? rc : sf_report_html_escape(o, v->digest);
    rc = rc ? rc : sf_buf_puts(o, "</small></h3><div class=\"wrap\"><table><tr>"
                                  "<th>vulnerability</th><th>severity</th><th>package</th>"
                                  "<th>installed</th><th>fixed in</th></tr>");
    size_t shown = 0;
    for (int k = 0; k < SF_SEV_N && rc == SF_OK; k++)
        for (size_t i = 0; i < v->nvulns && shown < IMG_FINDINGS && rc == SF_OK; i++) {
            const sf_agg_vuln *f = &v->vulns[i];
            if (f->sev != (int)sf_sev_at(k)) /* most severe first */
                continue;
            shown++;
            rc = sf_buf_puts(o, "<tr><td>");
            rc = rc ? rc : vuln_id(o, f->id);
            rc = rc ? rc : tracker_link(o, f->id, v->os);
            rc = rc ? rc : sf_buf_puts(o, "</td><td>");
            rc = rc ? rc : sev_badge(o, f->sev);
            rc = rc ? rc : sf_buf_puts(o, "</td><td><code>");
            rc = rc ? rc : sf_report_html_escape(o, f->pkg);
            rc = rc ? rc : sf_buf_puts(o, "</code></td><td><code>");
            rc = rc ? rc : sf_report_html_escape(o, f->installed);
            rc = rc ? rc : sf_buf_puts(o, "</code></td><td><code>");
            rc = rc ? rc : sf_report_html_escape(o, f->fixed ? f->fixed : "–");
            rc = rc ? rc : sf_buf_puts(o, "</code></td></tr>");
        }
    rc = rc ? rc : sf_buf_puts(o, "</table></div>");
    if (rc == SF_OK && shown < v->nvulns)
        rc = sf_buf_printf(o, "<p>… and %zu more findings (<code>scanfarm query image</code> "
                              "lists them all).</p>",
                           v->nvulns - shown);
    return rc;
}

static int image_sections(sf_buf *o, const sf_report *r)
{
    int rc = sf_buf_puts(o, "<section><h2>Findings of the worst images</h2>");
    for (size_t i = 0; i < r->nimgs && i < SF_REPORT_TOP && rc == SF_OK; i++) {
        if (!r->imgs[i]->nvulns)
            break;
        rc = image_section(o, r->imgs[i]);
    }
    return rc ? rc : sf_buf_puts(o, "</section>");
}

int sf_report_html(const sf_report *r, sf_buf *o)
{
    char when[64];
    time_t t = (time_t)(r->generated_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    int rc = sf_buf_printf(o, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                              "<meta name=\"viewport\" content=\"width=device-width\">"
                              "<title>scanfarm fleet report</title><style>%s</style></head>"
                              "<body><header><h1>Fleet vulnerability report",
                           CSS);
    if (rc == SF_OK && r->run[0]) {
        rc = sf_buf_puts(o, " — run ");
        rc = rc ? rc : sf_report_html_escape(o, r->run);
    }
    rc = rc ? rc : sf_buf_printf(o, "</h1><p>%zu images, %zu with findings · generated %s by "
                                    "scanfarm %s</p></header><main>",
                                 r->images, r->vulnerable, when, SF_VERSION_FULL);
    rc = rc ? rc : sf_buf_printf(o, "<section><h2>Exploited in the wild (CISA KEV): %zu CVEs, "
                                    "%zu findings</h2>",
                                 r->nkev, r->kev_findings);
    rc = rc ? rc : table_exploited(o, r);
    rc = rc ? rc : sf_buf_puts(o, "</section>");
    rc = rc ? rc : cards(o, r);
    rc = rc ? rc : sf_report_running_html(o, r);
    rc = rc ? rc : sf_buf_puts(o, "<section><h2>Findings by severity per registry</h2>");
    rc = rc ? rc : chart(o, r, "findings by severity per registry", r->nregs, reg_findings,
                         reg_row);
    rc = rc ? rc : sf_buf_puts(o, "</section><section><h2>Top vulnerabilities by number of "
                                  "images</h2>");
    rc = rc ? rc : chart(o, r, "top CVEs by number of images", r->ncves, cve_images, cve_row);
    rc = rc ? rc : sf_buf_puts(o, "</section><section><h2>Worst images</h2>");
    rc = rc ? rc : table_worst(o, r);
    rc = rc ? rc : sf_buf_puts(o, "</section><div class=\"grid\"><section><h2>Top "
                                  "vulnerabilities</h2>");
    rc = rc ? rc : table_cves(o, r);
    rc = rc ? rc : sf_buf_puts(o, "</section><section><h2>Registries</h2>");
    rc = rc ? rc : table_regs(o, r);
    rc = rc ? rc : sf_buf_puts(o, "</section></div>");
    rc = rc ? rc : image_sections(o, r);
    return rc ? rc : sf_buf_puts(o, "</main></body></html>\n");
}
