/* testutil: see testutil.h. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

const char *sf_t_corpus(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", env_or("SF_CORPUS", "../shared/corpus"), rel);
    return path;
}

const char *sf_t_src(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", env_or("SF_SRC", "."), rel);
    return path;
}

int sf_t_write_temp(char *path, const char *text)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n;
    return close(fd) == 0 && ok ? 0 : -1;
}

char *sf_t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *sf_t_read_tar_member(const char *archive, const char *member, size_t *len)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    char *out = NULL;
    if (archive_read_open_filename(a, archive, 1 << 16) != ARCHIVE_OK)
        goto done;
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        while (name[0] == '.' && name[1] == '/')
            name += 2;
        while (name[0] == '/')
            name++;
        if (strcmp(name, member) != 0)
            continue;
        size_t sz = (size_t)archive_entry_size(e);
        out = malloc(sz + 1);
        if (!out)
            break;
        la_ssize_t r = archive_read_data(a, out, sz);
        if (r < 0 || (size_t)r != sz) {
            free(out);
            out = NULL;
            break;
        }
        out[sz] = '\0';
        if (len)
            *len = sz;
        break;
    }
done:
    archive_read_free(a);
    return out;
}

int sf_t_env_flag(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

int sf_t_finding_has_id(const sf_finding *f, const char *id)
{
    if (strcmp(f->id, id) == 0)
        return 1;
    for (size_t i = 0; i < f->naliases; i++)
        if (strcmp(f->aliases[i], id) == 0)
            return 1;
    return 0;
}

const char *sf_t_kafka(void) { return env_or("SF_STACK_KAFKA", "127.0.0.1:9092"); }
const char *sf_t_redis(void) { return env_or("SF_STACK_REDIS", "127.0.0.1:6379"); }
const char *sf_t_registry(void) { return env_or("SF_STACK_REGISTRY", "127.0.0.1:5000"); }

int sf_t_addr_up(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host)
        return 0;
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
        return 0;
    int up = 0;
    for (struct addrinfo *ai = res; ai && !up; ai = ai->ai_next) {
        int s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (s < 0)
            continue;
        up = connect(s, ai->ai_addr, ai->ai_addrlen) == 0;
        close(s);
    }
    freeaddrinfo(res);
    return up;
}

int sf_t_consume_idle(const char *brokers, const char *topic, const char *grp, int poll_ms,
                      size_t idle_polls, sf_t_msg_fn fn, void *arg, size_t *n, sf_error *err)
{
    sf_kcons *c = NULL;
    sf_kcons_opts ko = {.brokers = brokers, .group = grp, .topic = topic};
    size_t idle = 0;
    *n = 0;
    int rc = sf_kcons_new(&c, &ko, err);
    while (rc == SF_OK && idle < idle_polls) {
        sf_kmsg *m = NULL;
        rc = sf_kcons_poll(c, poll_ms, &m, err);
        if (rc != SF_OK)
            break;
        if (!m) {
            idle++;
            continue;
        }
        idle = 0;
        fn(m, arg);
        (*n)++;
        sf_kcons_done(c, m);
    }
    sf_kcons_close(c);
    return rc;
}

char *sf_t_cstr(const uint8_t *data, size_t size, size_t max)
{
    char *s = size <= max ? malloc(size + 1) : NULL;
    if (!s)
        return NULL;
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

long sf_t_log_field(const char *line, const char *name)
{
    char pat[64];
    snprintf(pat, sizeof pat, " %s=", name);
    const char *p = strstr(line, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

int sf_t_run_log_line(const char *cmd, const char *log, const char *needle, char *line,
                      size_t cap)
{
    char buf[8192];
    int st = system(cmd);
    line[0] = '\0';
    FILE *f = fopen(log, "r");
    while (f && fgets(buf, sizeof buf, f))
        if (strstr(buf, needle))
            snprintf(line, cap, "%s", buf);
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Write PEM of x (or of pk) to path through path.tmp and a rename. */
static int pem_to(const char *path, X509 *x, EVP_PKEY *pk)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    return ok == 1 && rename(tmp, path) == 0 ? 0 : -1;
}

int sf_t_make_cert(const char *cert, const char *key, const char *cn)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    int rc = -1;
    if (!pk || !x)
        goto done;
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pk);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    if (X509_sign(x, pk, EVP_sha256()) > 0 && pem_to(key, NULL, pk) == 0 &&
        pem_to(cert, x, NULL) == 0)
        rc = 0;
done:
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}

int sf_t_tls_new(sf_t_tls *t, const char *tmpl, const char *cn)
{
    snprintf(t->dir, sizeof t->dir, "%s", tmpl);
    if (!mkdtemp(t->dir))
        return -1;
    snprintf(t->cert, sizeof t->cert, "%s/tls.crt", t->dir);
    snprintf(t->key, sizeof t->key, "%s/tls.key", t->dir);
    return sf_t_make_cert(t->cert, t->key, cn);
}

void sf_t_tls_free(sf_t_tls *t)
{
    unlink(t->cert), unlink(t->key), rmdir(t->dir);
}

/* ---- JSON writers under allocation failure ---- */

static size_t oom_allocs, oom_fail_at;

static void *oom_malloc(size_t n) { return ++oom_allocs == oom_fail_at ? NULL : malloc(n); }

size_t sf_t_json_oom_sweep(int (*fn)(void *ctx), void *ctx)
{
    for (size_t k = 1; k < 1000000; k++) {
        oom_allocs = 0;
        oom_fail_at = k;
        json_set_alloc_funcs(oom_malloc, free);
        int rc = fn(ctx);
        json_set_alloc_funcs(malloc, free);
        if (oom_allocs < k) { /* nothing failed: every point is swept */
            if (rc != SF_OK)
                fail_msg("JSON writer failed (%d) with no allocation failing", rc);
            return k - 1;
        }
        if (rc == SF_OK)
            fail_msg("allocation %zu of the JSON writer failed, yet it reported success", k);
    }
    fail_msg("JSON writer: more than a million allocations");
    return 0;
}
