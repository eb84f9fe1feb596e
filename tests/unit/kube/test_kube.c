/* Unit tests of scanfarm-inventory's parsers and pure parts: v1 Pod and
 * watch-event parsing (kube_pod), kubeconfig and in-cluster credentials
 * (kube_cfg), the running view's stored value and summary (running), the
 * option table and its generated doc (kinv_conf). No services. */
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

#include "kinv_conf.h"
#include "kube/kube_api.h"
#include "kube/kube_cfg.h"
#include "kube/kube_pod.h"
#include "fleet/running.h"
#include "testutil.h"

#define D1 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define D2 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char *seed(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fuzz/corpus/kpod/%s", name);
    char *s = sf_t_read_file(sf_t_src(rel), len);
    assert_non_null(s);
    return s;
}

static void test_kube_pod__deployment_pod(void **state)
{
    (void)state;
    size_t len;
    char *s = seed("pod_deploy.json", &len);
    sf_kpod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kpod_parse(s, len, &p, &e), SF_OK);
    assert_string_equal(p->ns, "prod");
    assert_string_equal(p->name, "payments-7d4b9c-x2k");
    assert_string_equal(p->rv, "1042");
    assert_string_equal(p->node, "node-a");
    assert_string_equal(p->owner.kind, "ReplicaSet");
    assert_string_equal(p->owner.name, "payments-7d4b9c");
    assert_false(p->finished);
    assert_int_equal(p->nctrs, 3);
    /* spec order: containers, then init containers */
    assert_string_equal(p->ctrs[0].name, "app");
    assert_int_equal(p->ctrs[0].kind, SF_KPOD_CONTAINER);
    assert_string_equal(p->ctrs[0].image, "nginx:1.25"); /* the tag, as written */
    assert_string_equal(p->ctrs[0].digest, D2);         /* the digest, from docker-pullable:// */
    assert_string_equal(p->ctrs[0].repo, "docker.io/library/nginx");
    assert_true(p->ctrs[0].started_ms == 1796119209000LL);
    assert_string_equal(p->ctrs[1].name, "sidecar");
    assert_true(p->ctrs[1].started_ms == 1796119210250LL);
    assert_string_equal(p->ctrs[2].name, "migrate");
    assert_int_equal(p->ctrs[2].kind, SF_KPOD_INIT);
    assert_string_equal(p->ctrs[2].digest, D1);
    assert_string_equal(p->ctrs[2].repo, "registry.example.com/payments/migrate");
    assert_int_equal(p->ctrs[2].started_ms, 0); /* terminated */
    sf_kpod_free(p);
    free(s);
}

static void test_kube_pod__pending_and_ephemeral(void **state)
{
    (void)state;
    size_t len;
    char *s = seed("pod_pending.json", &len);
    sf_kpod *p = NULL;
    assert_int_equal(sf_kpod_parse(s, len, &p, NULL), SF_OK);
    assert_int_equal(p->nctrs, 2);
    assert_string_equal(p->ctrs[0].digest, ""); /* imageID "" while creating */
    assert_null(p->ctrs[0].image_id);
    assert_string_equal(p->ctrs[0].repo, "localhost:5000/shop/web");
    assert_int_equal(p->ctrs[1].kind, SF_KPOD_EPHEMERAL);
    assert_string_equal(p->ctrs[1].digest, D1);
    assert_true(p->ctrs[1].started_ms == 1796119200000LL); /* +01:00 applied */
    assert_string_equal(p->owner.kind, "StatefulSet");
    sf_kpod_free(p);
    free(s);
}

static void test_kube_pod__image_forms(void **state)
{
    (void)state;
    char repo[512], d[SF_DIGEST_MAX];
    static const struct {
        const char *in, *repo, *digest;
    } t[] = {
        {"docker-pullable://nginx@" D1, "docker.io/library/nginx", D1},
        {"docker.io/library/nginx@" D1, "docker.io/library/nginx", D1},
        {"quay.io/org/app:v1@" D1, "quay.io/org/app", D1},
        {"localhost:5000/a/b:tag", "localhost:5000/a/b", ""},
        {"bitnami/redis", "docker.io/bitnami/redis", ""},
        {"sha256:" "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "", ""},
        {"docker://sha256:" "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "", ""},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_int_equal(sf_kpod_split_image(t[i].in, repo, sizeof repo, d, sizeof d, NULL),
                         SF_OK);
        assert_string_equal(repo, t[i].repo);
        assert_string_equal(d, t[i].digest);
    }
    assert_int_equal(sf_kpod_split_image("nginx@sha256:00", repo, sizeof repo, d, sizeof d, NULL),
                     SF_EPARSE);
    assert_int_equal(sf_kpod_split_image("", repo, sizeof repo, d, sizeof d, NULL), SF_EPARSE);
}

static void test_kube_pod__watch_events(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        sf_kev_type type;
        long code;
        const char *rv;
    } t[] = {{"ev_added.json", SF_KEV_ADDED, 0, "1042"},
             {"ev_deleted.json", SF_KEV_DELETED, 0, "7"},
             {"ev_bookmark.json", SF_KEV_BOOKMARK, 0, "12345"},
             {"ev_gone.json", SF_KEV_ERROR, 410, NULL}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t len;
        char *s = seed(t[i].file, &len);
        sf_kev ev;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_kev_parse(s, len, &ev, &e), SF_OK);
        assert_int_equal(ev.type, t[i].type);
        assert_int_equal(ev.code, t[i].code);
        if (t[i].rv)
            assert_string_equal(ev.rv, t[i].rv);
        assert_true((ev.pod != NULL) == (t[i].type <= SF_KEV_DELETED));
        if (t[i].code)
            assert_string_equal(ev.reason, "Expired");
        sf_kev_clear(&ev);
        free(s);
    }
}

static void test_kube_pod__list_page(void **state)
{
    (void)state;
    size_t len;
    char *s = seed("list.json", &len);
    sf_kpod_list l;
    assert_int_equal(sf_kpod_list_parse(s, len, &l, NULL), SF_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.rv, "1050");
    assert_non_null(l.cont);
    sf_kpod_list_clear(&l);
    free(s);
    char *o = seed("owner_rs.json", &len);
    sf_kpod_owner ow;
    assert_int_equal(sf_kpod_owner_parse(o, len, &ow, NULL), SF_OK);
    assert_string_equal(ow.kind, "Deployment");
    assert_string_equal(ow.name, "payments");
    sf_kpod_owner_clear(&ow);
    char plat[64];
    const char *node = "{\"kind\":\"Node\",\"status\":{\"nodeInfo\":{\"operatingSystem\":"
                       "\"linux\",\"architecture\":\"arm64\"}}}";
    assert_int_equal(sf_knode_platform_parse(node, strlen(node), plat, sizeof plat, NULL), SF_OK);
    assert_string_equal(plat, "linux/arm64");
    const char *badnode = "{\"status\":{\"nodeInfo\":{\"operatingSystem\":\"li/nux\","
                          "\"architecture\":\"arm64\"}}}";
    assert_int_equal(sf_knode_platform_parse(badnode, strlen(badnode), plat, sizeof plat, NULL),
                     SF_EPARSE);
    free(o);
    long code;
    char reason[32];
    const char *st = "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Gone\"}";
    assert_int_equal(sf_kstatus_parse(st, strlen(st), &code, reason, sizeof reason, NULL), SF_OK);
    assert_int_equal(code, 410);
    assert_string_equal(reason, "Gone");
}

static void test_kube_pod__rejects_bad_input(void **state)
{
    (void)state;
    static const char *bad_pods[] = {
        "", "[]", "{}", "{\"kind\":\"Pod\"}",
        "{\"kind\":\"Node\",\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"}}",
        "{\"metadata\":{\"name\":\"a\"}}",
        "{\"metadata\":{\"name\":\"a\",\"namespace\":7}}",
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"},\"spec\":{\"containers\":{}}}",
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"},\"spec\":{\"containers\":[{}]}}",
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"},\"spec\":[]}",
        ("{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\",\"ownerReferences\":[{\"controller\":"
         "true}]}}"), /* one string, split (parenthesised: clang -Wstring-concatenation) */
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"},\"metadata\":{}}", /* duplicate key */
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"}",                   /* truncated */
    };
    for (size_t i = 0; i < sizeof bad_pods / sizeof bad_pods[0]; i++) {
        sf_kpod *p = (sf_kpod *)1;
        sf_error e = SF_ERROR_INIT;
        int rc = sf_kpod_parse(bad_pods[i], strlen(bad_pods[i]), &p, &e);
        assert_true(rc == SF_EPARSE || rc == SF_ELIMIT);
        assert_null(p);
        assert_true(e.msg[0] != '\0');
    }
    static const char *bad_events[] = {
        "{\"type\":\"ADDED\"}", "{\"type\":\"SYNC\",\"object\":{}}",
        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}",
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Pod\"}}",
        "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\"}}", "not json",
    };
    for (size_t i = 0; i < sizeof bad_events / sizeof bad_events[0]; i++) {
        sf_kev ev;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_kev_parse(bad_events[i], strlen(bad_events[i]), &ev, &e), SF_EPARSE);
        assert_null(ev.pod);
        assert_true(e.msg[0] != '\0');
    }
    /* more containers than the cap */
    sf_buf b;
    sf_buf_init(&b, 1u << 20);
    sf_buf_puts(&b, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"},\"spec\":{\"containers\":[");
    for (int i = 0; i < 300; i++)
        sf_buf_printf(&b, "%s{\"name\":\"c%d\",\"image\":\"x\"}", i ? "," : "", i);
    sf_buf_puts(&b, "]}}");
    sf_kpod *p = NULL;
    assert_int_equal(sf_kpod_parse(b.data, b.len, &p, NULL), SF_ELIMIT);
    sf_buf_free(&b);
}

static void test_kube_running__value_round_trip(void **state)
{
    (void)state;
    size_t len;
    char *s = seed("pod_deploy.json", &len);
    sf_kpod *p = NULL;
    assert_int_equal(sf_kpod_parse(s, len, &p, NULL), SF_OK);
    sf_kpod_owner dep = {.kind = "Deployment", .name = "payments"};
    sf_buf b;
    sf_buf_init(&b, 1u << 20);
    assert_int_equal(sf_running_pod_value(p, &dep, &b, NULL), SF_OK);
    sf_running r = {0};
    assert_int_equal(sf_running_parse(&r, "prod-eu", "prod/payments-7d4b9c-x2k", b.data, b.len,
                                      NULL),
                     SF_OK);
    assert_int_equal(r.n, 3);
    sf_running_sort(&r);
    size_t f;
    assert_int_equal(sf_running_find(&r, D2, &f), 2);
    assert_string_equal(r.v[f].owner_kind, "Deployment");
    assert_string_equal(r.v[f].ns, "prod");
    assert_string_equal(r.v[f].cluster, "prod-eu");
    assert_int_equal(sf_running_find(&r, D1, &f), 1);
    assert_string_equal(r.v[f].kind, "init");
    /* two containers of one pod are one pod */
    sf_buf sum;
    sf_buf_init(&sum, 4096);
    assert_int_equal(sf_running_summary(&r, D2, NULL, NULL, &sum), SF_OK);
    assert_string_equal(sum.data, "1 pod in prod/payments");
    /* a platform image counts as running when its index runs, on a node
     * of its platform (unknown node platform: every platform) */
    assert_int_equal(sf_running_count_image(&r, "sha256:00", D2, "linux/arm64"), 2);
    sf_running_clear(&r);
    p->platform = sf_strdup("linux/amd64");
    sf_buf_reset(&b);
    assert_int_equal(sf_running_pod_value(p, &dep, &b, NULL), SF_OK);
    assert_int_equal(sf_running_parse(&r, "c", "prod/p", b.data, b.len, NULL), SF_OK);
    sf_running_sort(&r);
    assert_int_equal(sf_running_count_image(&r, "sha256:00", D2, "linux/arm64/v8"), 0);
    assert_int_equal(sf_running_count_image(&r, "sha256:00", D2, "linux/amd64"), 2);
    assert_int_equal(sf_running_count_image(&r, D2, NULL, "linux/arm64"), 2); /* its own digest */
    sf_buf_free(&sum);
    sf_running_clear(&r);
    /* a finished pod runs nothing: its field must go */
    p->finished = 1;
    sf_buf_reset(&b);
    assert_int_equal(sf_running_pod_value(p, NULL, &b, NULL), SF_ENOTFOUND);
    sf_buf_free(&b);
    sf_kpod_free(p);
    free(s);
}

static char *tmpdir(void)
{
    static char d[2][32];
    static int n;
    char *t = d[n++ % 2];
    snprintf(t, 32, "/tmp/sf-kube-XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_kube_cfg__kubeconfig_contexts(void **state)
{
    (void)state;
    char *d = tmpdir(), path[512];
    put(d, "ca.pem", "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n");
    put(d, "tok", "file-token\n");
    /* base64 of "CERT" and "KEY" */
    put(d, "config",
        "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
        "clusters:\n"
        "- name: c-dev\n  cluster:\n    server: https://127.0.0.1:6443\n"
        "    certificate-authority: ca.pem\n"
        "- name: c-prod\n  cluster:\n    server: https://prod.example:443\n"
        "    insecure-skip-tls-verify: true\n"
        "users:\n"
        "- name: u-dev\n  user:\n    token: s3cr3t\n"
        "- name: u-prod\n  user:\n    client-certificate-data: Q0VSVA==\n"
        "    client-key-data: S0VZ\n"
        "- name: u-file\n  user:\n    tokenFile: tok\n"
        "- name: u-exec\n  user:\n    exec:\n      command: aws\n"
        "contexts:\n"
        "- name: dev\n  context: {cluster: c-dev, user: u-dev}\n"
        "- name: prod\n  context: {cluster: c-prod, user: u-prod}\n"
        "- name: filetok\n  context: {cluster: c-dev, user: u-file}\n"
        "- name: plugin\n  context: {cluster: c-dev, user: u-exec}\n");
    snprintf(path, sizeof path, "%s/config", d);
    sf_kcfg c;
    sf_error e = SF_ERROR_INIT;
    char auth[256];
    assert_int_equal(sf_kcfg_load(&c, path, NULL, &e), SF_OK);
    assert_string_equal(c.context, "dev");
    assert_string_equal(c.server, "https://127.0.0.1:6443");
    assert_non_null(strstr(c.ca_pem, "BEGIN CERTIFICATE"));
    assert_int_equal(sf_kcfg_bearer(&c, auth, sizeof auth, &e), SF_OK);
    assert_string_equal(auth, "Bearer s3cr3t");
    sf_kcfg_clear(&c);
    assert_int_equal(sf_kcfg_load(&c, path, "prod", &e), SF_OK);
    assert_int_equal(c.insecure, 1);
    assert_string_equal(c.cert_pem, "CERT");
    assert_string_equal(c.key_pem, "KEY");
    assert_int_equal(sf_kcfg_bearer(&c, auth, sizeof auth, &e), SF_OK);
    assert_string_equal(auth, "");
    sf_kcfg_clear(&c);
    assert_int_equal(sf_kcfg_load(&c, path, "filetok", &e), SF_OK);
    assert_int_equal(sf_kcfg_bearer(&c, auth, sizeof auth, &e), SF_OK);
    assert_string_equal(auth, "Bearer file-token");
    sf_kcfg_clear(&c);
    assert_int_equal(sf_kcfg_load(&c, path, "plugin", &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "exec"));
    sf_error_clear(&e);
    assert_int_equal(sf_kcfg_load(&c, path, "nope", &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "no context"));
    /* the token never appears in an error message */
    sf_error_clear(&e);
    const char *bad = "{\"current-context\":\"x\",\"contexts\":[{\"name\":\"x\",\"context\":"
                      "{\"cluster\":\"q\",\"user\":\"u\"}}],\"users\":[{\"name\":\"u\",\"user\":"
                      "{\"token\":\"TOPSECRET\"}}]}";
    assert_int_equal(sf_kcfg_parse(&c, bad, strlen(bad), NULL, d, &e), SF_ECONFIG);
    assert_null(strstr(e.msg, "TOPSECRET"));
    static const char *broken[] = {"", "- a\n- b\n", "{", "current-context: x\n",
                                   "{\"current-context\":\"x\",\"contexts\":[{\"name\":\"x\","
                                   "\"context\":{\"cluster\":\"c\"}}],\"clusters\":[{\"name\":"
                                   "\"c\",\"cluster\":{\"server\":\"https://a\","
                                   "\"certificate-authority-data\":\"!!!\"}}]}"};
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        sf_error e2 = SF_ERROR_INIT;
        assert_int_not_equal(sf_kcfg_parse(&c, broken[i], strlen(broken[i]), NULL, d, &e2), SF_OK);
        assert_true(e2.msg[0] != '\0');
        assert_null(c.server);
    }
}

static void test_kube_cfg__in_cluster(void **state)
{
    (void)state;
    char *d = tmpdir();
    sf_kcfg c;
    sf_error e = SF_ERROR_INIT;
    char auth[256];
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(sf_kcfg_in_cluster(&c, d, &e), SF_ECONFIG);
    put(d, "ca.crt", "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n");
    put(d, "token", "sa-token-1");
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(sf_kcfg_in_cluster(&c, d, &e), SF_OK);
    assert_string_equal(c.server, "https://10.96.0.1:443");
    assert_int_equal(sf_kcfg_bearer(&c, auth, sizeof auth, &e), SF_OK);
    assert_string_equal(auth, "Bearer sa-token-1");
    put(d, "token", "sa-token-2\n"); /* rotated: read again */
    assert_int_equal(sf_kcfg_bearer(&c, auth, sizeof auth, &e), SF_OK);
    assert_string_equal(auth, "Bearer sa-token-2");
    sf_kcfg_clear(&c);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    assert_int_equal(sf_kcfg_in_cluster(&c, d, &e), SF_OK);
    assert_string_equal(c.server, "https://[fd00::1]:443");
    sf_kcfg_clear(&c);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_kube_conf__options_and_docs(void **state)
{
    (void)state;
    sf_kinvcfg c;
    sf_error e = SF_ERROR_INIT;
    sf_opt_cmd action;
    char *argv[] = {"scanfarm-inventory", "--kubeconfig", "/k", "--context", "prod",
                    "--redis", "127.0.0.1:6379", "--namespaces", "a,b", "--once"};
    assert_int_equal(sf_kinvcfg_load(&c, 10, argv, &action, &e), SF_OK);
    assert_int_equal(c.nclusters, 1);
    assert_string_equal(c.clusters[0].name, "prod");
    assert_int_equal(c.namespaces.n, 2);
    assert_int_equal(c.once, 1);
    assert_int_equal(c.watch_timeout_s, 300);
    sf_kinvcfg_free(&c);
    char *noredis[] = {"scanfarm-inventory", "--kubeconfig", "/k"};
    assert_int_equal(sf_kinvcfg_load(&c, 3, noredis, &action, &e), SF_ECONFIG);
    sf_kinvcfg_free(&c);
    char *badname[] = {"x", "--kubeconfig", "/k", "--cluster", "a:b", "--redis", "r:1"};
    assert_int_equal(sf_kinvcfg_load(&c, 7, badname, &action, &e), SF_ECONFIG);
    sf_kinvcfg_free(&c);
    /* clusters from a YAML file, one from the flags too; names unique */
    char *d = tmpdir(), cfgp[600];
    put(d, "inv.yaml", "redis: [\"127.0.0.1:6379\"]\nnamespaces: [prod]\nclusters:\n"
                       "- {name: eu, kubeconfig: /k/eu, context: eu-admin}\n"
                       "- {name: us, in_cluster: true, namespaces: [a, b]}\n");
    snprintf(cfgp, sizeof cfgp, "%s/inv.yaml", d);
    char *withfile[] = {"x", "--config", cfgp, "--kubeconfig", "/k/local", "--cluster", "lab"};
    assert_int_equal(sf_kinvcfg_load(&c, 7, withfile, &action, &e), SF_OK);
    assert_int_equal(c.nclusters, 3);
    assert_string_equal(c.clusters[0].name, "eu");
    assert_string_equal(c.clusters[0].context, "eu-admin");
    assert_int_equal(c.clusters[1].in_cluster, 1);
    assert_int_equal(c.clusters[1].namespaces.n, 2);
    assert_string_equal(c.clusters[2].name, "lab");
    assert_int_equal(c.namespaces.n, 1);
    char *dump = sf_kinvcfg_dump(&c);
    assert_non_null(strstr(dump, "\"eu-admin\""));
    free(dump);
    sf_kinvcfg_free(&c);
    char *dup[] = {"x", "--config", cfgp, "--kubeconfig", "/k/local", "--cluster", "eu"};
    sf_error_clear(&e);
    assert_int_equal(sf_kinvcfg_load(&c, 7, dup, &action, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "two clusters"));
    sf_kinvcfg_free(&c);
    put(d, "bad.yaml", "redis: [r:1]\nclusters:\n- {name: x, kubeconfg: /typo}\n");
    snprintf(cfgp, sizeof cfgp, "%s/bad.yaml", d);
    char *typo[] = {"x", "--config", cfgp};
    sf_error_clear(&e);
    assert_int_equal(sf_kinvcfg_load(&c, 3, typo, &action, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "kubeconfg"));
    sf_kinvcfg_free(&c);

    char *md = sf_kinvcfg_markdown(), path[1024];
    snprintf(path, sizeof path, "%s/docs/inventory-config.md", getenv("SF_SRC"));
    size_t n;
    char *doc = sf_t_read_file(path, &n);
    assert_non_null(doc);
    if (!strstr(doc, md))
        fail_msg("docs/inventory-config.md drifted from the option tables; regenerate the "
                 "block between the generated markers from sf_kinvcfg_markdown()");
    free(doc);
    free(md);
}

/* Namespace and object names (RFC 1123 subdomains): what may go in a path. */
static void test_kube_api__name_ok(void **state)
{
    (void)state;
    char long_name[300];
    assert_true(sf_kapi_name_ok("kube-system"));
    assert_true(sf_kapi_name_ok("web-7d4b9c.x"));
    assert_false(sf_kapi_name_ok("Web"));
    assert_false(sf_kapi_name_ok("a/b"));
    assert_false(sf_kapi_name_ok("a_b"));
    assert_false(sf_kapi_name_ok(""));
    assert_false(sf_kapi_name_ok(NULL));
    memset(long_name, 'a', 253);
    long_name[253] = '\0';
    assert_true(sf_kapi_name_ok(long_name));
    long_name[253] = 'a';
    long_name[254] = '\0';
    assert_false(sf_kapi_name_ok(long_name));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kube_pod__deployment_pod),
        cmocka_unit_test(test_kube_pod__pending_and_ephemeral),
        cmocka_unit_test(test_kube_pod__image_forms),
        cmocka_unit_test(test_kube_pod__watch_events),
        cmocka_unit_test(test_kube_pod__list_page),
        cmocka_unit_test(test_kube_pod__rejects_bad_input),
        cmocka_unit_test(test_kube_api__name_ok),
        cmocka_unit_test(test_kube_running__value_round_trip),
        cmocka_unit_test(test_kube_cfg__kubeconfig_contexts),
        cmocka_unit_test(test_kube_cfg__in_cluster),
        cmocka_unit_test(test_kube_conf__options_and_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
