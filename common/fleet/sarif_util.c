/* sarif_util: see sarif_util.h. */
#include "fleet/sarif_util.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/buf.h"

static void append_escaped(sf_buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '/';
        if (plain)
            sf_buf_append(b, p, 1);
        else
            sf_buf_printf(b, "%%%02X", c);
    }
}

void sf_sarif_help_uri(const char *id, char *out, size_t n)
{
    const char *base = strncmp(id, "CVE-", 4) == 0    ? "https://nvd.nist.gov/vuln/detail/"
                       : strncmp(id, "GHSA-", 5) == 0 ? "https://github.com/advisories/"
                                                      : "https://osv.dev/vulnerability/";
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_buf_puts(&b, base);
    append_escaped(&b, id);
    snprintf(out, n, "%s", b.data ? b.data : base);
    sf_buf_free(&b);
}

int sf_sarif_rule_help(json_t *rule, const char *id, const char *summary, const char *pkg,
                       const char *fixed)
{
    char uri[512], fix[512];
    sf_sarif_help_uri(id, uri, sizeof uri);
    if (!pkg)
        snprintf(fix, sizeof fix, "The advisory names the affected and fixed versions.");
    else if (fixed)
        snprintf(fix, sizeof fix, "Upgrade %s to %s or later.", pkg, fixed);
    else
        snprintf(fix, sizeof fix, "No fixed version of %s is known yet.", pkg);
    sf_buf text, md;
    sf_buf_init(&text, 0);
    sf_buf_init(&md, 0);
    sf_buf_printf(&text, "%s\n%s\nDetails: %s", summary ? summary : id, fix, uri);
    sf_buf_printf(&md, "**%s**%s%s\n\n%s\n\nDetails: [%s](%s)", id, summary ? ": " : "",
                  summary ? summary : "", fix, uri, uri);
    json_t *help = text.data && md.data ? json_pack("{s:o, s:o}", "text", sf_jutil_str(text.data),
                                                    "markdown", sf_jutil_str(md.data))
                                        : NULL;
    sf_buf_free(&text);
    sf_buf_free(&md);
    if (!help || json_object_set_new(rule, "helpUri", json_string(uri)) != 0) {
        json_decref(help);
        return -1;
    }
    return json_object_set_new(rule, "help", help) == 0 ? 0 : -1;
}

json_t *sf_sarif_uri(const char *ref)
{
    sf_buf b;
    sf_buf_init(&b, 0);
    for (const char *p = ref; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ':' || c == '%' || c == '#' || c == '?' || c == ' ' || c < 0x20 || c >= 0x7f)
            sf_buf_printf(&b, "%%%02X", c);
        else
            sf_buf_append(&b, p, 1);
    }
    json_t *s = json_string(b.data ? b.data : "");
    sf_buf_free(&b);
    return s;
}

const char *sf_sarif_level(int rank)
{
    return rank >= 3 ? "error" : rank == 2 ? "warning" : "note";
}
