/*
 * Rematch against real DB files on the real stack. DB1 is compiled from
 * the corpus' Alpine v3.10 secdb; DB2 is DB1 plus one advisory for zlib in
 * Alpine v3.10. The fleet: the corpus' Alpine 3.10.3 base in two
 * repositories and 3.10.9 in one (zlib 1.2.11-r1 each: affected), 3.9.6
 * and 3.12.12 in one each (other ecosystems: not affected), with results
 * produced by the real matcher over DB1. `scanfarm rematch --db DB2`
 * must announce exactly 3 deltas, each adding exactly that advisory, and
 * contact no registry (it has no registry address at all).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agg.h"
#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_result.h"
#include "cache/keys.h"
#include "fleet/running.h"
#include "testutil.h"
#include "vuln/match.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"

#define BROKERS sf_t_kafka()

static char prefix[64], topic[64], rtopic[64], dir[128], db1p[160], db2p[160];
static sf_kv *kv;

static const struct {
    const char *image, *ref;
    int affected;
} FLEET[] = {
    {"alpine-minirootfs-3.10.3-x86_64.tar.gz", "reg.io/payments/api:1", 1},
    {"alpine-minirootfs-3.10.3-x86_64.tar.gz", "reg.io/web/front:2", 1},
    {"alpine-minirootfs-3.10.9-x86_64.tar.gz", "127.0.0.1:5000/agg/worker:3", 1},
    {"alpine-minirootfs-3.9.6-x86_64.tar.gz", "reg.io/legacy/cron:1", 0},
    {"alpine-minirootfs-3.12.12-x86_64.tar.gz", "docker.io/library/alpine:3.12", 0},
};
#define NFLEET (sizeof FLEET / sizeof FLEET[0])

static int build_db(const char *path, int64_t when, int extra, sf_error *e)
{
    sf_vdb_builder *b = NULL;
    int rc = sf_vdb_builder_new(&b);
    sf_vdb_builder_set_time(b, when);
    if (rc == SF_OK)
        rc = sf_vdb_import_path(
            b, sf_t_corpus("vulndb/alpine-vuln-list-subset/secdb-v3.10-main.subset.json"), e);
    if (rc == SF_OK && extra) {
        rc = sf_vdb_rec_begin(b, "CVE-2099-0001");
        if (rc == SF_OK)
            rc = sf_vdb_rec_severity(b, "HIGH");
        if (rc == SF_OK)
            rc = sf_vdb_rec_affected(b, "Alpine:v3.10", "zlib");
        if (rc == SF_OK)
            rc = sf_vdb_rec_range(b, SF_VRNG_ECOSYSTEM);
        if (rc == SF_OK)
            rc = sf_vdb_rec_event(b, SF_VEV_INTRODUCED, "0");
        if (rc == SF_OK)
            rc = sf_vdb_rec_event(b, SF_VEV_FIXED, "1.2.11-r3");
        if (rc == SF_OK)
            rc = sf_vdb_rec_commit(b);
    }
    if (rc == SF_OK)
        rc = sf_vdb_builder_write(b, path, e);
    sf_vdb_builder_free(b);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1};
    sf_kprod_opts po = {.brokers = BROKERS};
    sf_kprod *prod = NULL;
    sf_error e = SF_ERROR_INIT;
    int pid = (int)getpid();
    snprintf(prefix, sizeof prefix, "agg-rmdb-%d", pid);
    snprintf(topic, sizeof topic, "agg-test-findings-db-%d", pid);
    snprintf(rtopic, sizeof rtopic, "agg-test-results-db-%d", pid);
    snprintf(dir, sizeof dir, "/tmp/agg-rmdb-%d", pid);
    snprintf(db1p, sizeof db1p, "%s/db1.sfdb", dir);
    snprintf(db2p, sizeof db2p, "%s/db2.sfdb", dir);
    mkdir(dir, 0700);
    if (sf_kv_new(&kv, &o, NULL) != SF_OK || sf_kv_ping(kv, 0, NULL) != SF_OK ||
        sf_kprod_new(&prod, &po, &e) != SF_OK ||
        sf_kprod_create_topic(prod, topic, 1, 1, 20000, &e) != SF_OK ||
        sf_kprod_create_topic(prod, rtopic, 1, 1, 20000, &e) != SF_OK) {
        fprintf(stderr, "SKIP: stack not reachable (%s)\n", e.msg);
        sf_kv_free(kv);
        kv = NULL;
    }
    sf_kprod_free(prod);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (kv) {
        char cmd[256];
        snprintf(cmd, sizeof cmd,
                 "redis-cli --scan --pattern '%s:*' 2>/dev/null | xargs -r redis-cli DEL "
                 ">/dev/null 2>&1",
                 prefix);
        if (system(cmd) != 0)
            fprintf(stderr, "note: could not remove %s:* keys\n", prefix);
    }
    unlink(db1p);
    unlink(db2p);
    rmdir(dir);
    sf_kv_free(kv);
    return 0;
}

/* A real result: the corpus' installed packages of image, matched by db. */
static char *make_result(json_t *inst, const char *image, const char *ref, char dc,
                         const sf_vdb *db)
{
    json_t *c = NULL, *x;
    size_t i;
    json_array_foreach(inst, i, x) {
        if (!strcmp(json_string_value(json_object_get(x, "image")), image))
            c = x;
    }
    assert_non_null(c);
    sf_result r;
    sf_result_init(&r);
    char digest[72];
    memcpy(digest, "sha256:", 7);
    memset(digest + 7, dc, 64);
    digest[71] = '\0';
    r.run_id = strdup("rmdb-run");
    r.digest = strdup(digest);
    r.platform = strdup("linux/amd64");
    r.refs = calloc(1, sizeof *r.refs);
    r.refs[0] = strdup(ref);
    r.nrefs = 1;
    r.has_os = 1;
    r.os.id = strdup("alpine");
    r.os.version_id = strdup(json_string_value(json_object_get(c, "alpine_release")));
    json_t *pk = json_object_get(c, "packages");
    r.pkgs = calloc(json_array_size(pk), sizeof *r.pkgs);
    json_array_foreach(pk, i, x) {
        sf_pkg *p = &r.pkgs[r.npkgs++];
        p->type = SF_PT_APK;
        p->name = strdup(json_string_value(json_object_get(x, "name")));
        p->version = strdup(json_string_value(json_object_get(x, "version")));
        p->src_name = strdup(json_string_value(json_object_get(x, "origin")));
        p->layer = 0;
    }
    r.db_version = strdup(sf_vdb_version(db));
    r.scanned_at = strdup("2026-03-01T10:00:00.000Z");
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_match_packages(db, &r.os, r.pkgs, r.npkgs, &r.vulns, &e), SF_OK);
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_result_encode(&r, &b, &e), SF_OK);
    sf_result_clear(&r);
    return sf_buf_steal(&b, NULL);
}

/* One full result republished for an affected image: the new advisory
 * is in the list, and the summary counts what the list holds. */
static void check_republished_one(const sf_kmsg *m, void *arg)
{
    (void)arg;
    json_t *d = json_loads(m->value, 0, NULL);
    assert_non_null(d);
    json_t *vulns = json_object_get(d, "vulnerabilities"), *x, *sum = json_object_get(d, "summary");
    size_t i, has_new = 0, fixable = 0;
    json_int_t bysev = 0;
    json_array_foreach(vulns, i, x) {
        has_new += strcmp(json_string_value(json_object_get(x, "id")), "CVE-2099-0001") == 0;
        fixable += json_is_string(json_object_get(x, "fixed"));
    }
    const char *k;
    json_object_foreach(json_object_get(sum, "by_severity"), k, x) bysev += json_integer_value(x);
    assert_int_equal(has_new, 1);
    assert_int_equal(json_integer_value(json_object_get(sum, "vulnerabilities")),
                     json_array_size(vulns));
    assert_int_equal(bysev, json_array_size(vulns));
    assert_int_equal(json_integer_value(json_object_get(sum, "fixable")), fixable);
    assert_true(json_is_string(json_object_get(d, "rematched_from")));
    json_decref(d);
}

/* The full results republished: one for each of the 3 affected images. */
static void check_republished(void)
{
    sf_error e = SF_ERROR_INIT;
    char grp[96];
    size_t results = 0;
    snprintf(grp, sizeof grp, "%s-rread", prefix);
    assert_int_equal(sf_t_consume_idle(BROKERS, rtopic, grp, 500, 12, check_republished_one, NULL,
                                       &results, &e), SF_OK);
    assert_int_equal(results, 3);
}

/* One findings delta: the new advisory added on zlib, nothing removed,
 * for an image of the fleet the new DB affects. */
static void check_delta(const sf_kmsg *m, void *arg)
{
    (void)arg;
    json_t *d = json_loads(m->value, 0, NULL);
    json_t *added = json_object_get(d, "added");
    assert_int_equal(json_array_size(added), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(added, 0), "id")),
                        "CVE-2099-0001");
    assert_string_equal(json_string_value(json_object_get(json_array_get(added, 0), "package")),
                        "zlib");
    assert_int_equal(json_array_size(json_object_get(d, "removed")), 0);
    const char *ref = json_string_value(json_array_get(json_object_get(d, "refs"), 0));
    int known = 0;
    for (size_t i = 0; i < NFLEET; i++)
        known |= FLEET[i].affected && !strcmp(FLEET[i].ref, ref);
    assert_true(known);
    /* subscribers page on running images: only payments/api runs */
    json_t *running = json_object_get(d, "running");
    assert_true(json_is_boolean(running));
    assert_int_equal(json_is_true(running), strcmp(ref, "reg.io/payments/api:1") == 0);
    json_decref(d);
}

static void test_agg_rematch_db__one_advisory_three_deltas(void **state)
{
    (void)state;
    if (!kv)
        skip();
    sf_error e = SF_ERROR_INIT;
    sf_vdb *db1 = NULL;
    sf_agg *a = NULL;
    assert_int_equal(build_db(db1p, 1700000000, 0, &e), SF_OK);
    assert_int_equal(build_db(db2p, 1700086400, 1, &e), SF_OK);
    assert_int_equal(sf_vdb_open(&db1, db1p, &e), SF_OK);
    json_t *inst = json_load_file(sf_t_corpus("ground-truth/alpine-installed-packages.json"), 0,
                                  NULL);
    assert_non_null(inst);
    assert_int_equal(sf_agg_new(&a, kv, prefix, NULL), SF_OK);
    size_t old_findings = 0;
    for (size_t i = 0; i < NFLEET; i++) {
        char *doc = make_result(inst, FLEET[i].image, FLEET[i].ref, "1234a"[i], db1);
        sf_agg_outcome oc;
        old_findings += strstr(doc, "\"CVE-") != NULL;
        assert_int_equal(sf_agg_apply_result(a, doc, strlen(doc), &oc, &e), SF_OK);
        assert_int_equal(oc, SF_AGG_APPLIED);
        free(doc);
    }
    assert_true(old_findings >= 3); /* DB1 finds the real v3.10 advisories */
    json_decref(inst);
    sf_agg_free(a);
    sf_vdb_close(db1);

    /* the first image runs in a cluster (running.h) */
    const char *rf[] = {"prod/api-1"},
               *rv[] = {"{\"containers\":[{\"name\":\"api\",\"kind\":\"container\","
                        "\"image\":\"reg.io/payments/api:1\",\"digest\":\"sha256:"
                        "1111111111111111111111111111111111111111111111111111111111111111\","
                        "\"since\":1}]}"};
    assert_int_equal(sf_running_put(kv, prefix, "k1", rf, rv, 1, &e), SF_OK);

    /* the CLI, against the new DB file */
    char cmd[1024], out[512] = "";
    const char *bin = getenv("SF_BIN");
    snprintf(cmd, sizeof cmd,
             "%s/scanfarm rematch --db %s --kafka %s --redis %s --prefix %s "
             "--findings-topic %s --results-topic %s",
             bin ? bin : "bin", db2p, BROKERS, sf_t_redis(), prefix, topic, rtopic);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    assert_int_equal(pclose(f), 0);
    fprintf(stderr, "%s", out);
    assert_non_null(strstr(out, "5 images"));
    assert_non_null(strstr(out, "3 affected (+3 / -0 findings)"));

    char grp[96];
    size_t deltas = 0;
    snprintf(grp, sizeof grp, "%s-read", prefix);
    assert_int_equal(
        sf_t_consume_idle(BROKERS, topic, grp, 500, 12, check_delta, NULL, &deltas, &e), SF_OK);
    assert_int_equal(deltas, 3);
    check_republished();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_rematch_db__one_advisory_three_deltas),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
