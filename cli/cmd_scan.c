/*
 * cmd_scan: `scanfarm scan <ref>` — scan one image on this machine, no
 * Kafka or Redis: resolve, stream and analyse every layer, assemble,
 * match against the vulnerability DB when one is given, and print a
 * readable summary, the scanfarm.result/v1 JSON, or a CycloneDX SBOM.
 *
 * Exit codes (cli.h): 0 scanned and no gate tripped, 1 (or --exit-code N)
 * a reported finding trips --fail-on, 2 the scan failed (for any
 * platform), 64 bad usage. What is reported and what trips is
 * scan_gate.c's (--severity, --ignore-unfixed, --fail-on, --exit-code).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/scan.h"
#include "bus/msg_result.h"
#include "cli_opts.h"
#include "scan_gate.h"
#include "report/scan_out.h"
#include "scan_progress.h"
#include "report/scan_supp.h"
#include "report/scan_table.h"
#include "vuln/vdb.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MAX_PLATFORMS 16

/* The options as given (the option table's fields). */
typedef struct scan_cfg {
    char *format, *sbom, *output, *ignore_file, *db, *severity, *fail_on, *exit_code;
    char *insecure_registry;
    sf_strlist vex, platform;
    int ignore_unfixed, insecure, parallel;
    long min_rate_kib, deadline_base;
} scan_cfg;

typedef struct scan_args {
    const char *ref;
    int format;         /* sf_scan_fmt (--sbom F is --format F) */
    const char *output; /* -o FILE, NULL = stdout */
    const char *ignore_file;         /* NULL = ./.scanfarmignore if present */
    const char *vex[MAX_PLATFORMS];  /* --vex FILE, repeatable */
    size_t nvex;
    const char *db_path;
    const char *platforms[MAX_PLATFORMS];
    size_t nplatforms;
    int insecure;
    sf_scan_gate gate; /* --severity, --ignore-unfixed, --fail-on, --exit-code */
    const char *insecure_registry; /* host[:port][,host[:port]...] */
    int parallel;
    long min_rate_kib;   /* --transfer-min-rate, KiB/s (0 = no deadline) */
    long deadline_base;  /* --transfer-deadline-base, seconds */
} scan_args;

#define O(f) offsetof(scan_cfg, f)
static const sf_opt SCAN_OPTS[] = {
    {"format", SF_OT_STR, O(format), "table", NULL, 0, 0, 0,
     "table | json (scanfarm.result/v1, an array when several platforms) | sarif (SARIF "
     "2.1.0) | cyclonedx (CycloneDX 1.5) | spdx-json (SPDX 2.3); a multi-arch image gives one "
     "document of each kind", "FORMAT"},
    {"sbom", SF_OT_STR, O(sbom), NULL, NULL, 0, 0, 0, "cyclonedx or spdx-json: the same as --format",
     "FORMAT"},
    {"output", SF_OT_STR, O(output), NULL, NULL, 0, 0, 0,
     "write the output to FILE instead of stdout", "FILE", NULL, 'o'},
    {"ignore_file", SF_OT_STR, O(ignore_file), NULL, NULL, 0, 0, 0,
     "suppressions, one per line: ID [PACKAGE|PURL] [exp:YYYY-MM-DD] reason: TEXT (default "
     "./.scanfarmignore)", "FILE"},
    {"vex", SF_OT_LIST, O(vex), NULL, NULL, 0, 0, MAX_PLATFORMS,
     "OpenVEX or CycloneDX VEX: not_affected / fixed statements suppress findings "
     "(repeatable)", "FILE"},
    {"platform", SF_OT_LIST, O(platform), NULL, NULL, 0, 0, MAX_PLATFORMS,
     "os/arch[/variant], e.g. linux/arm64/v8; repeatable or comma-separated (default: every "
     "linux platform)", "PLATFORM"},
    {"db", SF_OT_STR, O(db), NULL, "SCANFARM_DB", 0, 0, 0,
     "vulnerability DB; without one, packages are listed but not matched", "FILE"},
    {"severity", SF_OT_STR, O(severity), NULL, NULL, 0, 0, 0,
     "report only these severities, e.g. HIGH,CRITICAL (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)",
     "LIST"},
    {"ignore_unfixed", SF_OT_BOOL, O(ignore_unfixed), "false", NULL, 0, 0, 0,
     "report only findings with a fixed version"},
    {"fail_on", SF_OT_STR, O(fail_on), NULL, NULL, 0, 0, 0,
     "exit 1 when a reported finding is at or above a severity (UNKNOWN|LOW|MEDIUM|HIGH|"
     "CRITICAL; UNKNOWN and LOW also catch unrated findings), is in CISA KEV (KEV), or has "
     "EPSS >= x (EPSS>=0.5); e.g. --fail-on HIGH,KEV", "LIST"},
    {"exit_code", SF_OT_STR, O(exit_code), NULL, NULL, 0, 0, 0,
     "exit N instead of 1 when --fail-on trips; without --fail-on, exit N when any finding is "
     "reported", "N"},
    {"insecure_registry", SF_OT_STR, O(insecure_registry), NULL, NULL, 0, 0, 0,
     "plain HTTP / no TLS verification when the image's registry is host[:port] H "
     "(comma-separated list; always on for localhost and 127.0.0.1)", "H"},
    {"insecure", SF_OT_BOOL, O(insecure), "false", NULL, SF_OPT_HIDDEN, 0, 0,
     "the older spelling: insecure whatever the registry"},
    {"parallel", SF_OT_INT, O(parallel), "2", NULL, 0, 1, 16, "layers analysed at once"},
    {"transfer_min_rate", SF_OT_LONG, O(min_rate_kib), "256", NULL, 0, 0, 1048576,
     "KiB/s every registry transfer must average: a request gets --transfer-deadline-base plus "
     "its size at this rate (0 = no deadline)", "KIB"},
    {"transfer_deadline_base", SF_OT_LONG, O(deadline_base), "60", NULL, 0, 1, 1048576,
     "seconds every request gets on top", "SECONDS"},
};
#undef O
static const sf_opt_group SCAN_GROUPS[] = {{NULL, SCAN_OPTS, sizeof SCAN_OPTS / sizeof SCAN_OPTS[0], 0}};
static const sf_opt_spec SCAN_SPEC = {
    .prog = "scanfarm scan",
    .usage = "[options] <ref>",
    .summary = "Scan one image on this machine (no Kafka or Redis).\n\n"
               "  <ref>  registry/repo:tag | registry/repo@sha256:... | oci:<dir>[:tag] |\n"
               "         docker-archive:<file>  (a `docker save` tar, optionally gzipped)",
    .epilog = "exit codes: 0 ok, 1 (or --exit-code N) --fail-on tripped, 2 error, 64 usage",
    .groups = SCAN_GROUPS,
    .ngroups = 1,
    .max_args = 1,
};

const sf_opt_spec *sf_cmd_scan_spec(void)
{
    return &SCAN_SPEC;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "scanfarm scan: %s\n", msg);
    sf_opt_usage(&SCAN_SPEC, stderr);
    return -1;
}

/* The options into a: formats, gates and lists checked. 0, 1 (printed
 * --help and the like) or -1 (usage error, printed). */
static int parse_args(int argc, char **argv, scan_cfg *c, scan_args *a)
{
    sf_opt_cmd cmd;
    int ex;
    memset(a, 0, sizeof *a);
    sf_scan_gate_init(&a->gate);
    if (sf_cli_opts_load(&SCAN_SPEC, c, sizeof *c, argc, argv, &cmd, &ex))
        return ex ? -2 : 1;
    if ((a->format = sf_scan_fmt_parse(c->format)) < 0)
        return usage_error("--format table|json|sarif|cyclonedx|spdx-json");
    if (c->sbom) {
        a->format = sf_scan_fmt_parse(c->sbom);
        if (a->format != SF_SCAN_FMT_CYCLONEDX && a->format != SF_SCAN_FMT_SPDX_JSON)
            return usage_error("--sbom cyclonedx|spdx-json");
    }
    if ((c->fail_on && sf_scan_gate_fail_on(&a->gate, c->fail_on) != 0) ||
        (c->severity && sf_scan_gate_severity(&a->gate, c->severity) != 0) ||
        (c->exit_code && sf_scan_gate_exit_code(&a->gate, c->exit_code) != 0))
        return -1;
    a->gate.ignore_unfixed = c->ignore_unfixed;
    for (size_t i = 0; i < c->vex.n; i++)
        a->vex[a->nvex++] = c->vex.v[i];
    for (size_t i = 0; i < c->platform.n; i++)
        a->platforms[a->nplatforms++] = c->platform.v[i];
    a->output = c->output;
    a->ignore_file = c->ignore_file;
    a->db_path = c->db && *c->db ? c->db : NULL;
    a->insecure = c->insecure;
    a->insecure_registry = c->insecure_registry;
    a->parallel = c->parallel;
    a->min_rate_kib = c->min_rate_kib;
    a->deadline_base = c->deadline_base;
    if (cmd.nargs != 1)
        return usage_error("exactly one image reference expected");
    a->ref = cmd.args[0];
    return 0;
}

/* ------------------------------------------------------------ main */

static int emit(const sf_scan_report *rep, const scan_args *a, const sf_suppressed *sup,
                sf_error *err)
{
    size_t n = sf_scan_report_count(rep);
    if (a->format == SF_SCAN_FMT_TABLE) {
        for (size_t i = 0; i < n; i++) {
            sf_scan_table_print(sf_scan_report_result(rep, i), a->ref, stdout);
            sf_scan_supp_print(sup, i, stdout);
        }
        return SF_OK;
    }
    const sf_result **rs = calloc(n ? n : 1, sizeof *rs);
    if (!rs)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        rs[i] = sf_scan_report_result(rep, i);
    sf_buf out;
    sf_buf_init(&out, 0);
    int rc = sf_scan_out_render(a->format, rs, n, a->ref, sup, &out, err);
    if (rc == SF_OK && fwrite(out.data, 1, out.len, stdout) != out.len)
        rc = sf_error_set(err, SF_EIO, "write failed");
    sf_buf_free(&out);
    free(rs);
    return rc;
}

static int exit_code(const sf_scan_report *rep, const scan_args *a)
{
    int code = SF_EXIT_OK;
    for (size_t i = 0; i < sf_scan_report_count(rep); i++) {
        const sf_result *r = sf_scan_report_result(rep, i);
        if (r->error_code != SF_OK) {
            fprintf(stderr, "scanfarm scan: %s%s%s: %s: %s\n", a->ref,
                    r->platform ? " " : "", r->platform ? r->platform : "",
                    sf_err_name(r->error_code), r->error ? r->error : "");
            code = SF_EXIT_ERROR;
        }
        if (code == SF_EXIT_OK)
            code = sf_scan_gate_exit(&a->gate, r);
    }
    return code;
}

int sf_cmd_scan(int argc, char **argv)
{
    scan_args a;
    scan_cfg cfg;
    int p = parse_args(argc, argv, &cfg, &a);
    if (p != 0) {
        sf_opt_free(&SCAN_SPEC, &cfg);
        return p > 0 ? SF_EXIT_OK : SF_EXIT_USAGE;
    }
    sf_vdb *db = NULL;
    sf_scan_report *rep = NULL;
    sf_supp *supp = NULL;
    sf_suppressed sup;
    sf_suppressed_init(&sup);
    sf_error err = SF_ERROR_INIT;
    int code = SF_EXIT_ERROR;
    if (sf_scan_supp_load(&supp, a.ignore_file, a.vex, a.nvex, &err) != SF_OK) {
        fprintf(stderr, "scanfarm scan: %s\n", err.msg);
        goto done;
    }
    if (a.db_path && sf_vdb_open(&db, a.db_path, &err) != SF_OK) {
        fprintf(stderr, "scanfarm scan: vulnerability DB %s: %s\n", a.db_path, err.msg);
        goto done;
    }
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    o.db = db;
    o.platforms = a.nplatforms ? a.platforms : NULL;
    o.nplatforms = a.nplatforms;
    o.max_layer_parallel = a.parallel;
    sf_reg_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.max_retries = -1;
    ro.min_rate_bps = a.min_rate_kib > 0 ? a.min_rate_kib * 1024 : -1;
    ro.deadline_base_ms = a.deadline_base * 1000;
    o.reg_opts = &ro;
    sf_progress *prog = sf_progress_new(stderr, a.ref); /* a terminal only */
    o.memo = sf_progress_memo(prog);
    sf_progress_say(prog, "resolving");
    int src = sf_scan_ref_insecure(a.ref, a.insecure || sf_scan_ref_in_hosts(a.ref,
                                                                              a.insecure_registry),
                                   &o, &rep, &err);
    sf_progress_free(prog);
    if (src != SF_OK) {
        fprintf(stderr, "scanfarm scan: %s: %s\n", a.ref, err.msg);
        goto done;
    }
    /* Suppressions first (VEX, .scanfarmignore), then the report is ours
     * alone: filter its findings in place, so the table, the JSON and the
     * gate all see what --severity and --ignore-unfixed report. */
    if (sf_scan_supp_apply(supp, rep, &sup) != SF_OK) {
        fprintf(stderr, "scanfarm scan: out of memory applying suppressions\n");
        goto done;
    }
    for (size_t i = 0; i < sf_scan_report_count(rep); i++)
        sf_scan_gate_filter(&a.gate, (sf_result *)sf_scan_report_result(rep, i));
    if (sf_scan_out_open(a.output, &err) != SF_OK || emit(rep, &a, &sup, &err) != SF_OK ||
        sf_scan_out_close(&err) != SF_OK) {
        fprintf(stderr, "scanfarm scan: %s\n", err.msg[0] ? err.msg : "cannot write the result");
        goto done;
    }
    code = exit_code(rep, &a);
done:
    sf_suppressed_clear(&sup);
    sf_supp_free(supp);
    sf_scan_report_free(rep);
    sf_vdb_close(db);
    sf_opt_free(&SCAN_SPEC, &cfg);
    return code;
}
