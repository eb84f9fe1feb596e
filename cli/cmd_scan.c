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

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/scan.h"
#include "bus/msg_result.h"
#include "scan_gate.h"
#include "scan_out.h"
#include "scan_progress.h"
#include "scan_supp.h"
#include "tty.h"
#include "vuln/vdb.h"

#define MAX_PLATFORMS 16

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
    char *platform_buf;
    int insecure;
    sf_scan_gate gate; /* --severity, --ignore-unfixed, --fail-on, --exit-code */
    const char *insecure_registry; /* host[:port][,host[:port]...] */
    int parallel;
    long min_rate_kib;   /* --transfer-min-rate, KiB/s (0 = no deadline) */
    long deadline_base;  /* --transfer-deadline-base, seconds */
} scan_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: scanfarm scan [options] <ref>\n\n"
            "  <ref>  registry/repo:tag | registry/repo@sha256:... | oci:<dir>[:tag] |\n"
            "         docker-archive:<file>  (a `docker save` tar, optionally gzipped)\n\n"
            "options:\n"
            "  --format F             table (default) | json (scanfarm.result/v1, an array\n"
            "                         when several platforms) | sarif (SARIF 2.1.0) |\n"
            "                         cyclonedx (CycloneDX 1.5) | spdx-json (SPDX 2.3);\n"
            "                         a multi-arch image gives one document of each kind\n"
            "  --sbom cyclonedx|spdx-json  the same as --format\n"
            "  -o, --output FILE      write the output to FILE instead of stdout\n"
            "  --ignore-file FILE     suppressions, one per line: ID [PACKAGE|PURL]\n"
            "                         [exp:YYYY-MM-DD] reason: TEXT (default ./.scanfarmignore)\n"
            "  --vex FILE             OpenVEX or CycloneDX VEX: not_affected / fixed\n"
            "                         statements suppress findings (repeatable)\n"
            "  --platform P           os/arch[/variant], e.g. linux/arm64/v8; repeatable or\n"
            "                         comma-separated (default: every linux platform)\n"
            "  --db FILE              vulnerability DB (default $SCANFARM_DB); without one,\n"
            "                         packages are listed but not matched\n"
            "  --severity LIST        report only these severities, e.g. HIGH,CRITICAL\n"
            "                         (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)\n"
            "  --ignore-unfixed       report only findings with a fixed version\n"
            "  --fail-on LIST         exit 1 when a reported finding is at or above a severity\n"
            "                         (UNKNOWN|LOW|MEDIUM|HIGH|CRITICAL; UNKNOWN and LOW also\n"
            "                         catch unrated findings), is in CISA KEV (KEV), or has\n"
            "                         EPSS >= x (EPSS>=0.5); e.g. --fail-on HIGH,KEV\n"
            "  --exit-code N          exit N instead of 1 when --fail-on trips; without\n"
            "                         --fail-on, exit N when any finding is reported\n"
            "  --insecure-registry H  plain HTTP / no TLS verification when the image's\n"
            "                         registry is host[:port] H (comma-separated list; always\n"
            "                         on for localhost and 127.0.0.1)\n"
            "  --parallel N           layers analysed at once (default 2)\n"
            "  --transfer-min-rate K  KiB/s every registry transfer must average: a request\n"
            "                         gets --transfer-deadline-base plus its size at this\n"
            "                         rate (default 256; 0 = no deadline)\n"
            "  --transfer-deadline-base S  seconds every request gets on top (default 60)\n"
            "  --help\n\n"
            "exit codes: 0 ok, 1 (or --exit-code N) --fail-on tripped, 2 error, 64 usage\n");
}

static int add_platforms(scan_args *a, const char *arg)
{
    size_t n = strlen(arg);
    char *copy = malloc(n + 1);
    if (!copy)
        return -1;
    memcpy(copy, arg, n + 1);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (a->nplatforms == MAX_PLATFORMS) {
            free(copy);
            return -1;
        }
        a->platforms[a->nplatforms++] = tok;
    }
    a->platform_buf = copy; /* the tokens point into it */
    return 0;
}

static int parse_args(int argc, char **argv, scan_args *a)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"sbom", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'}, {"ignore-file", required_argument, NULL, 'I'},
        {"vex", required_argument, NULL, 'V'},
        {"platform", required_argument, NULL, 'p'}, {"db", required_argument, NULL, 'd'},
        {"fail-on", required_argument, NULL, 'F'}, {"insecure", no_argument, NULL, 'k'},
        {"insecure-registry", required_argument, NULL, 'R'},
        {"parallel", required_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
        {"transfer-min-rate", required_argument, NULL, 'M'},
        {"transfer-deadline-base", required_argument, NULL, 'B'},
        {"severity", required_argument, NULL, 'S'}, {"exit-code", required_argument, NULL, 'x'},
        {"ignore-unfixed", no_argument, NULL, 'u'}, {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    sf_scan_gate_init(&a->gate);
    a->format = SF_SCAN_FMT_TABLE;
    a->db_path = getenv("SCANFARM_DB");
    a->parallel = 2;
    a->min_rate_kib = 256;
    a->deadline_base = 60;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "hko:", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if ((a->format = sf_scan_fmt_parse(optarg)) < 0)
                return fprintf(stderr, "scanfarm scan: --format "
                                       "table|json|sarif|cyclonedx|spdx-json\n"), -1;
            break;
        case 's':
            a->format = sf_scan_fmt_parse(optarg);
            if (a->format != SF_SCAN_FMT_CYCLONEDX && a->format != SF_SCAN_FMT_SPDX_JSON)
                return fprintf(stderr, "scanfarm scan: --sbom cyclonedx|spdx-json\n"), -1;
            break;
        case 'o':
            a->output = optarg;
            break;
        case 'I':
            a->ignore_file = optarg;
            break;
        case 'V':
            if (a->nvex == MAX_PLATFORMS)
                return fprintf(stderr, "scanfarm scan: at most %d --vex\n", MAX_PLATFORMS), -1;
            a->vex[a->nvex++] = optarg;
            break;
        case 'p':
            if (a->platform_buf || add_platforms(a, optarg) != 0)
                return fprintf(stderr, "scanfarm scan: give platforms as one comma-separated "
                                       "--platform list (at most %d)\n", MAX_PLATFORMS), -1;
            break;
        case 'd':
            a->db_path = optarg;
            break;
        case 'F':
            if (sf_scan_gate_fail_on(&a->gate, optarg) != 0)
                return -1;
            break;
        case 'S':
            if (sf_scan_gate_severity(&a->gate, optarg) != 0)
                return -1;
            break;
        case 'x':
            if (sf_scan_gate_exit_code(&a->gate, optarg) != 0)
                return -1;
            break;
        case 'u':
            a->gate.ignore_unfixed = 1;
            break;
        case 'k': /* the older spelling: insecure whatever the registry */
            a->insecure = 1;
            break;
        case 'R':
            a->insecure_registry = optarg;
            break;
        case 'j': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 16)
                return fprintf(stderr, "scanfarm scan: --parallel 1..16\n"), -1;
            a->parallel = (int)v;
            break;
        }
        case 'M':
        case 'B': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < (c == 'M' ? 0 : 1) || v > 1048576)
                return fprintf(stderr, "scanfarm scan: --%s %s..1048576\n",
                               c == 'M' ? "transfer-min-rate" : "transfer-deadline-base",
                               c == 'M' ? "0" : "1"),
                       -1;
            *(c == 'M' ? &a->min_rate_kib : &a->deadline_base) = v;
            break;
        }
        case 'h':
            usage(stdout);
            return 1;
        default:
            return -1;
        }
    }
    if (optind != argc - 1)
        return fprintf(stderr, "scanfarm scan: exactly one image reference expected\n"), -1;
    a->ref = argv[optind];
    if (a->db_path && !*a->db_path)
        a->db_path = NULL;
    return 0;
}

/* ------------------------------------------------------------ table output */

static void print_counts(const sf_result *r)
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
    printf("Packages:  %zu", r->npkgs);
    for (size_t k = 0; k < n; k++)
        printf("%s%s %zu", k ? ", " : " (", names[k], counts[k]);
    printf("%s\n", n ? ")" : "");
}

static void print_findings(const sf_result *r)
{
    size_t by[5] = {0};
    for (size_t i = 0; i < r->vulns.n; i++)
        by[sf_severity_rank(r->vulns.items[i].severity, 0)]++;
    printf("Findings:  %zu (CRITICAL %zu, HIGH %zu, MEDIUM %zu, LOW %zu, UNKNOWN %zu)\n",
           r->vulns.n, by[4], by[3], by[2], by[1], by[0]);
    if (!r->vulns.n)
        return;
    printf("\n  %-9s %-20s %-3s %-5s %-24s %-22s %-22s\n", "SEVERITY", "ID", "KEV", "EPSS",
           "PACKAGE", "INSTALLED", "FIXED");
    for (size_t i = 0; i < r->vulns.n; i++) {
        const sf_finding *f = &r->vulns.items[i];
        char epss[16] = "-";
        if (f->epss >= 0)
            snprintf(epss, sizeof epss, "%.3f", f->epss);
        const char *sev = f->severity ? f->severity : "UNKNOWN";
        printf("  %s%-9s%s %-20s %-3s %-5s %-24s %-22s %-22s\n", sf_tty_sev(stdout, sev), sev,
               sf_tty_reset(stdout), f->id, f->kev ? "yes" : "-", epss,
               f->pkg_name ? f->pkg_name : "", f->installed ? f->installed : "",
               f->fixed ? f->fixed : "(no fix)");
    }
}

static void print_table(const sf_result *r, const char *ref)
{
    printf("Image:     %s\n", ref);
    printf("Digest:    %s\n", r->digest ? r->digest : "-");
    if (r->index_digest)
        printf("Index:     %s\n", r->index_digest);
    printf("Platform:  %s\n", r->platform ? r->platform : "-");
    if (r->error_code != SF_OK) {
        printf("Error:     %s (%s): %s\n\n", sf_err_name(r->error_code),
               sf_err_kind_name(sf_err_kind(r->error_code)), r->error ? r->error : "");
        return;
    }
    if (r->has_os)
        printf("OS:        %s (%s %s)\n", r->os.pretty_name ? r->os.pretty_name : "-",
               r->os.id ? r->os.id : "?", r->os.version_id ? r->os.version_id : "");
    else
        printf("OS:        not detected\n");
    printf("Layers:    %zu\n", r->nlayers);
    print_counts(r);
    for (size_t i = 0; i < r->nnotes; i++)
        if (!r->notes[i].path) /* not about a file: the DB's coverage (dbcover.h) */
            printf("%sWarning:%s   %s\n", sf_tty_warn(stdout), sf_tty_reset(stdout),
                   r->notes[i].note ? r->notes[i].note : "");
        else
            printf("Note:      %s: %s (%s, layer %d)\n", r->notes[i].path,
               r->notes[i].note ? r->notes[i].note : "not parsed", r->notes[i].analyzer,
               r->notes[i].layer);
    if (r->db_version)
        print_findings(r);
    else
        printf("Findings:  not matched (no --db / SCANFARM_DB)\n");
    printf("Time:      %.0f ms\n\n", r->timings.total_ms);
}

/* ------------------------------------------------------------ main */

static int emit(const sf_scan_report *rep, const scan_args *a, const sf_suppressed *sup,
                sf_error *err)
{
    size_t n = sf_scan_report_count(rep);
    if (a->format == SF_SCAN_FMT_TABLE) {
        for (size_t i = 0; i < n; i++) {
            print_table(sf_scan_report_result(rep, i), a->ref);
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
    int p = parse_args(argc, argv, &a);
    if (p != 0) {
        free(a.platform_buf);
        if (p < 0)
            usage(stderr);
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
    free(a.platform_buf);
    return code;
}
