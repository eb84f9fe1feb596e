/* kconf: see kconf.h. */
#include "bus/kconf.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/secret.h"

int sf_kconf_set(rd_kafka_conf_t *conf, const char *what, const char *key, const char *val,
                 sf_error *err)
{
    char es[256];
    if (rd_kafka_conf_set(conf, key, val, es, sizeof es) != RD_KAFKA_CONF_OK)
        return sf_error_set(err, SF_ECONFIG, "%s %s: %s", what, key, es);
    return SF_OK;
}

int sf_kconf_set_pairs(rd_kafka_conf_t *conf, const char *what, const char *const (*kv)[2],
                       size_t n, sf_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = sf_kconf_set(conf, what, kv[i][0], kv[i][1], err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

/* ---- the first-class options ---- */

typedef struct kopt {
    const char *flag; /* without "--" */
    const char *prop; /* librdkafka property; NULL = --kafka-prop key=value */
    const char *env;  /* environment variable or NULL */
    int file;         /* the value names a file holding the property's value */
    const char *help;
} kopt;

/* Each first-class option once: flag, option key, property, environment
 * variable, whether the value names a file, --help metavar, help. */
#define SF_KOPTS(X)                                                                              \
    X("kafka-prop", "kafka_prop", NULL, NULL, 0, "KEY=VALUE",                                    \
      "any librdkafka property as key=value (repeatable; environment "                           \
      "SCANFARM_KAFKA_PROP_<KEY> with <KEY> = the key uppercased, '.' -> '_'; config file "      \
      "\"kafka\" map); a secret's <key>.file=PATH reads it from PATH")                            \
    X("kafka-security-protocol", "kafka_security_protocol", "security.protocol",                 \
      "SCANFARM_KAFKA_SECURITY_PROTOCOL", 0, "PROTOCOL",                                         \
      "plaintext, ssl, sasl_plaintext or sasl_ssl (security.protocol)")                          \
    X("kafka-sasl-mechanism", "kafka_sasl_mechanism", "sasl.mechanism",                          \
      "SCANFARM_KAFKA_SASL_MECHANISM", 0, "MECHANISM",                                           \
      "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (sasl.mechanism)")                     \
    X("kafka-sasl-username", "kafka_sasl_username", "sasl.username",                             \
      "SCANFARM_KAFKA_SASL_USERNAME", 0, "USER", "SASL user name (sasl.username)")               \
    X("kafka-sasl-password-file", "kafka_sasl_password_file", "sasl.password",                   \
      "SCANFARM_KAFKA_SASL_PASSWORD_FILE", 1, "FILE",                                            \
      "file holding the SASL password (sasl.password; never a flag value: the process list "     \
      "shows flags)")                                                                            \
    X("kafka-ca-file", "kafka_ca_file", "ssl.ca.location", "SCANFARM_KAFKA_CA_FILE", 0, "FILE",  \
      "PEM bundle of CAs that verify the brokers (ssl.ca.location; default: the system's)")

#define KOPT_ENTRY(flag, key, prop, env, file, arg, help) {flag, prop, env, file, help},
static const kopt KOPTS[] = {SF_KOPTS(KOPT_ENTRY)};
#define NKOPTS (sizeof KOPTS / sizeof KOPTS[0])

#define ENV_PREFIX "SCANFARM_KAFKA_PROP_"

int sf_kconf_secret(const char *key)
{
    static const char *const exact[] = {"ssl.key.pem", "sasl.oauthbearer.config"};
    char low[256];
    size_t n = strlen(key);
    if (n >= sizeof low)
        return 1; /* no such property; do not risk showing it */
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)key[i]);
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(low, exact[i]) == 0)
            return 1;
    return strstr(low, "password") || strstr(low, "secret");
}

/* ---- the set ---- */

static int find_key(const sf_kprops *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->key[i], key) == 0)
            return (int)i;
    return -1;
}

static int put(sf_kprops *p, const char *key, const char *val, sf_error *err)
{
    char *v = sf_strdup(val);
    if (!v)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int at = find_key(p, key);
    if (at >= 0) {
        sf_secret_free(p->val[at]);
        p->val[at] = v;
        return SF_OK;
    }
    if (p->n >= SF_LIM_KAFKA_PROPS) {
        sf_secret_free(v);
        return sf_error_set(err, SF_ECONFIG, "more than %d kafka properties", SF_LIM_KAFKA_PROPS);
    }
    char **nk = realloc(p->key, (p->n + 1) * sizeof *nk);
    if (nk)
        p->key = nk;
    char **nv = nk ? realloc(p->val, (p->n + 1) * sizeof *nv) : NULL;
    if (nv)
        p->val = nv;
    char *k = nv ? sf_strdup(key) : NULL;
    if (!k) {
        sf_secret_free(v);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    p->key[p->n] = k;
    p->val[p->n++] = v;
    return SF_OK;
}

int sf_kprops_set(sf_kprops *p, const char *key, const char *val, const char *src,
                  sf_error *err)
{
    size_t kl = strlen(key);
    if (!kl || kl >= 256 || strpbrk(key, "= \t\r\n"))
        return sf_error_set(err, SF_ECONFIG, "%s: bad kafka property name '%.64s'", src, key);
    if (kl > 5 && strcmp(key + kl - 5, ".file") == 0) {
        char base[256], *secret = NULL;
        memcpy(base, key, kl - 5);
        base[kl - 5] = '\0';
        if (sf_kconf_secret(base)) {
            char what[320];
            snprintf(what, sizeof what, "%s %s", src, key);
            int rc = sf_secret_read_file(val, what, &secret, err);
            if (rc == SF_OK)
                rc = put(p, base, secret, err);
            sf_secret_free(secret);
            return rc;
        }
    }
    return put(p, key, val, err);
}

int sf_kprops_set_kv(sf_kprops *p, const char *kv, const char *src, sf_error *err)
{
    char key[256];
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key)
        return sf_error_set(err, SF_ECONFIG, "%s: expected key=value, got '%.64s'", src,
                            sf_kconf_secret(kv) ? "***" : kv);
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    return sf_kprops_set(p, key, eq + 1, src, err);
}

static int set_first_class(sf_kprops *p, const kopt *o, const char *v, const char *src,
                           sf_error *err)
{
    char key[96];
    if (!o->prop)
        return sf_kprops_set_kv(p, v, src, err);
    snprintf(key, sizeof key, "%s%s", o->prop, o->file ? ".file" : "");
    return sf_kprops_set(p, key, v, src, err);
}

/* SCANFARM_KAFKA_PROP_SASL_MECHANISM=x -> "sasl.mechanism" */
static int env_prop(sf_kprops *p, const char *e, sf_error *err)
{
    char key[256];
    const char *eq = strchr(e, '=');
    size_t pl = sizeof ENV_PREFIX - 1;
    if (!eq || (size_t)(eq - e) <= pl || (size_t)(eq - e) - pl >= sizeof key)
        return SF_OK;
    size_t n = (size_t)(eq - e) - pl;
    for (size_t i = 0; i < n; i++)
        key[i] = e[pl + i] == '_' ? '.' : (char)tolower((unsigned char)e[pl + i]);
    key[n] = '\0';
    return sf_kprops_set(p, key, eq + 1, "environment " ENV_PREFIX "*", err);
}

int sf_kprops_env(sf_kprops *p, char *const *envp, sf_error *err)
{
    int rc = SF_OK;
    for (size_t k = 0; rc == SF_OK && k < NKOPTS; k++) {
        size_t el = KOPTS[k].env ? strlen(KOPTS[k].env) : 0;
        for (size_t i = 0; rc == SF_OK && el && envp && envp[i]; i++)
            if (strncmp(envp[i], KOPTS[k].env, el) == 0 && envp[i][el] == '=' && envp[i][el + 1])
                rc = set_first_class(p, &KOPTS[k], envp[i] + el + 1, KOPTS[k].env, err);
    }
    for (size_t i = 0; rc == SF_OK && envp && envp[i]; i++)
        if (strncmp(envp[i], ENV_PREFIX, sizeof ENV_PREFIX - 1) == 0)
            rc = env_prop(p, envp[i], err);
    return rc;
}

int sf_kprops_json(sf_kprops *p, const json_t *obj, const char *src, sf_error *err)
{
    const char *k;
    json_t *v;
    char num[64];
    if (!json_is_object(obj))
        return sf_error_set(err, SF_ECONFIG, "%s kafka: must be a map of properties", src);
    json_object_foreach((json_t *)obj, k, v)
    {
        const char *s = num;
        if (json_is_string(v))
            s = json_string_value(v);
        else if (json_is_integer(v))
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        else if (json_is_boolean(v))
            s = json_is_true(v) ? "true" : "false";
        else
            return sf_error_set(err, SF_ECONFIG, "%s kafka.%.64s: expected text, a number or "
                                "a boolean", src, k);
        int rc = sf_kprops_set(p, k, s, src, err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

int sf_kprops_doc(sf_kprops *p, json_t *doc, char **brokers, const char *src, sf_error *err)
{
    json_t *map = json_object_get(doc, "kafka");
    if (!json_is_object(map))
        return SF_OK;
    int rc = sf_kprops_json(p, map, src, err);
    json_t *bs = json_object_get(map, "bootstrap.servers");
    if (rc == SF_OK && json_is_string(bs)) {
        char *d = sf_strdup(json_string_value(bs));
        if (!d)
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        else
            free(*brokers), *brokers = d;
    }
    json_object_del(doc, "kafka");
    return rc;
}

/* "key=value" whose key is a secret given directly (not as key.file). */
static int cli_secret(const char *kv)
{
    char key[256];
    size_t n = strcspn(kv, "=");
    if (n >= sizeof key)
        return 0;
    memcpy(key, kv, n);
    key[n] = '\0';
    return sf_kconf_secret(key) && !(n > 5 && strcmp(key + n - 5, ".file") == 0);
}

int sf_kprops_flag(sf_kprops *p, int argc, char **argv, int *i, int set, sf_error *err)
{
    const char *a = argv[*i];
    if (strncmp(a, "--kafka-", 8) != 0)
        return 0;
    for (size_t k = 0; k < NKOPTS; k++) {
        size_t fl = strlen(KOPTS[k].flag);
        if (strncmp(a + 2, KOPTS[k].flag, fl) != 0 || (a[2 + fl] && a[2 + fl] != '='))
            continue;
        const char *v = a[2 + fl] == '=' ? a + 3 + fl : NULL;
        if (!v) {
            if (*i + 1 >= argc)
                return sf_error_set(err, SF_ECONFIG, "--%s needs a value", KOPTS[k].flag);
            v = argv[++*i];
        }
        if (set && !KOPTS[k].prop && cli_secret(v))
            return sf_error_set(err, SF_ECONFIG, "--kafka-prop %.*s: a secret is not a flag "
                                "value (the process list shows flags): use %.*s.file=PATH or "
                                "the environment", (int)strcspn(v, "="), v,
                                (int)strcspn(v, "="), v);
        int rc = set ? set_first_class(p, &KOPTS[k], v, "option", err) : SF_OK;
        return rc == SF_OK ? 1 : rc;
    }
    return 0;
}

/* An option-engine row's setter: the row's place among KOPTS. */
static int kopt_set(void *field, const sf_opt *o, const char *v, const char *src,
                    sf_error *err)
{
    const kopt *k = &KOPTS[o - SF_KCONF_OPTS];
    if (src[0] == '-' && !k->prop && cli_secret(v))
        return sf_error_set(err, SF_ECONFIG, "--kafka-prop %.*s: a secret is not a flag "
                            "value (the process list shows flags): use %.*s.file=PATH or "
                            "the environment", (int)strcspn(v, "="), v, (int)strcspn(v, "="), v);
    return set_first_class(field, k, v, src, err);
}

#define KROW_ENTRY(flag, key, prop, env, file, arg, help)                                       \
    {key, SF_OT_FUNC, 0, NULL, env, SF_OPT_NOFILE, 0, 0, help, arg, NULL, 0, kopt_set},
const sf_opt SF_KCONF_OPTS[SF_KCONF_NOPTS] = {SF_KOPTS(KROW_ENTRY)};
_Static_assert(SF_KCONF_NOPTS == NKOPTS, "one row per first-class Kafka option");

int sf_kprops_apply(const sf_kprops *p, rd_kafka_conf_t *conf, const char *what,
                    sf_error *err)
{
    for (size_t i = 0; p && i < p->n; i++) {
        int rc = sf_kconf_set(conf, what, p->key[i], p->val[i], err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

int sf_kprops_check(const sf_kprops *p, sf_error *err)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (!c)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int rc = sf_kprops_apply(p, c, "kafka", err);
    rd_kafka_conf_destroy(c);
    return rc;
}

json_t *sf_kprops_dump_json(const sf_kprops *p)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < p->n; i++)
        json_object_set_new(o, p->key[i],
                            json_string(sf_kconf_secret(p->key[i]) ? "***" : p->val[i]));
    return o;
}

int sf_kprops_dump_text(const sf_kprops *p, const char *prefix, sf_buf *out)
{
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < p->n; i++)
        rc = sf_buf_printf(out, "%s%s = %s\n", prefix, p->key[i],
                           sf_kconf_secret(p->key[i]) ? "<redacted>" : p->val[i]);
    return rc;
}

int sf_kprops_copy(sf_kprops *dst, const sf_kprops *src)
{
    sf_error e;
    sf_kprops_clear(dst);
    for (size_t i = 0; i < src->n; i++)
        if (put(dst, src->key[i], src->val[i], &e) != SF_OK)
            return e.code;
    return SF_OK;
}

void sf_kprops_clear(sf_kprops *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->key[i]);
        sf_secret_free(p->val[i]);
    }
    free(p->key);
    free(p->val);
    memset(p, 0, sizeof *p);
}

/* ---- the process-wide set ---- */

static sf_kprops G_PROPS;

int sf_kconf_install(const sf_kprops *p, sf_error *err)
{
    if (sf_kprops_copy(&G_PROPS, p) != SF_OK)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    return SF_OK;
}

int sf_kconf_apply_global(rd_kafka_conf_t *conf, const char *what, sf_error *err)
{
    return sf_kprops_apply(&G_PROPS, conf, what, err);
}

extern char **environ;

int sf_kconf_from_args(int *argc, char **argv, sf_error *err)
{
    sf_kprops env = {0}, cli = {0};
    int rc = SF_OK, w = 1;
    for (int i = 1; rc == SF_OK && i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < *argc)
                argv[w++] = argv[i++];
            break;
        }
        int got = sf_kprops_flag(&cli, *argc, argv, &i, 1, err);
        if (got < 0)
            rc = got;
        else if (!got)
            argv[w++] = argv[i];
    }
    if (rc == SF_OK) {
        *argc = w;
        argv[w] = NULL;
        rc = sf_kprops_env(&env, environ, err);
    }
    for (size_t i = 0; rc == SF_OK && i < cli.n; i++)
        rc = put(&env, cli.key[i], cli.val[i], err);
    if (rc == SF_OK)
        rc = sf_kprops_check(&env, err);
    if (rc == SF_OK)
        rc = sf_kconf_install(&env, err);
    sf_kprops_clear(&env);
    sf_kprops_clear(&cli);
    return rc;
}

/* ---- fail fast on refused credentials ---- */

/* What a preflight client saw: the first authentication or TLS refusal. */
typedef struct preflight {
    int code;
    char msg[200];
} preflight;

static void preflight_error_cb(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    (void)rk;
    preflight *pf = opaque;
    if (!pf->code && (code == RD_KAFKA_RESP_ERR__AUTHENTICATION || code == RD_KAFKA_RESP_ERR__SSL)) {
        pf->code = code;
        snprintf(pf->msg, sizeof pf->msg, "%s", reason);
    }
}

/* librdkafka's own log lines repeat what the error callback reports. */
static void preflight_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static int secured(void)
{
    for (size_t i = 0; i < G_PROPS.n; i++)
        if (strcmp(G_PROPS.key[i], "security.protocol") == 0)
            return strcasecmp(G_PROPS.val[i], "plaintext") != 0;
    return 0;
}

/* Brokers whose credentials were accepted once (no second round trip). */
static pthread_mutex_t PF_MU = PTHREAD_MUTEX_INITIALIZER;
static char PF_OK[512];

static int preflight_run(rd_kafka_t *rk, preflight *pf, sf_error *err)
{
    for (int waited = 0; waited < SF_KCONF_PREFLIGHT_MS; waited += 250) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, 250);
        if (md)
            rd_kafka_metadata_destroy(md);
        rd_kafka_poll(rk, 0);
        if (pf->code)
            return sf_error_set(err, SF_ECONFIG, "kafka: brokers refused the connection: %s",
                                pf->msg);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return SF_OK;
    }
    return SF_ETIMEOUT;
}

int sf_kconf_preflight(const char *brokers, sf_error *err)
{
    char es[256];
    preflight pf = {0};
    int rc = SF_OK;
    if (!brokers || !secured())
        return SF_OK;
    pthread_mutex_lock(&PF_MU);
    if (strcmp(PF_OK, brokers) == 0)
        goto done;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rc = c ? sf_kconf_set(c, "kafka", "bootstrap.servers", brokers, err) : SF_ENOMEM;
    if (rc == SF_OK)
        rc = sf_kconf_apply_global(c, "kafka", err);
    if (rc != SF_OK) {
        if (c)
            rd_kafka_conf_destroy(c);
        goto done;
    }
    rd_kafka_conf_set_opaque(c, &pf);
    rd_kafka_conf_set_error_cb(c, preflight_error_cb);
    rd_kafka_conf_set_log_cb(c, preflight_log_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
    if (!rk) {
        rd_kafka_conf_destroy(c);
        rc = sf_error_set(err, SF_ECONFIG, "kafka: %s", es);
        goto done;
    }
    rc = preflight_run(rk, &pf, err);
    rd_kafka_destroy(rk);
    if (rc == SF_OK)
        snprintf(PF_OK, sizeof PF_OK, "%s", brokers);
    if (rc == SF_ETIMEOUT) /* unreachable is not refused: the client retries as before */
        rc = SF_OK;
done:
    pthread_mutex_unlock(&PF_MU);
    return rc;
}
