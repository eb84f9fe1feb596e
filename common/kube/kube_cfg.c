/*
 * kube_cfg: see kube_cfg.h. The kubeconfig is first turned into a jansson
 * tree (JSON directly, YAML through sf_yaml_to_json, which makes every
 * scalar a string), then the named lists (contexts, clusters, users) are
 * searched by name.
 */
#include "kube/kube_cfg.h"

#include <openssl/evp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/yaml2json.h"

static void wipe_free(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

void sf_kcfg_clear(sf_kcfg *c)
{
    if (!c)
        return;
    free(c->context);
    free(c->server);
    free(c->ca_pem);
    wipe_free(c->token);
    free(c->token_file);
    free(c->cert_pem);
    wipe_free(c->key_pem);
    memset(c, 0, sizeof *c);
}

int sf_kcfg_read_file(const char *path, size_t max, char **out, size_t *len, sf_error *err)
{
    sf_buf b;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_error_set(err, SF_ECONFIG, "cannot open %.200s", path);
    sf_buf_init(&b, max);
    int rc = sf_buf_read_file(&b, f);
    fclose(f);
    if (!rc)
        rc = sf_buf_append(&b, "", 1);
    if (rc) {
        if (b.data)
            explicit_bzero(b.data, b.len);
        sf_buf_free(&b);
        return sf_error_set(err, SF_ECONFIG, "%.200s: unreadable or too large", path);
    }
    *out = sf_buf_steal(&b, len);
    if (len)
        (*len)--; /* the NUL */
    return SF_OK;
}

/* Standard base64 (padding optional, whitespace refused) into a
 * NUL-terminated heap string. */
static int b64(const char *in, char **out, const char *what, sf_error *err)
{
    size_t n = strlen(in);
    *out = NULL;
    if (n > SF_LIM_KUBE_FILE_BYTES)
        return sf_error_set(err, SF_ECONFIG, "kubeconfig: %s too large", what);
    char *padded = malloc(n + 4), *dec = malloc(n / 4 * 3 + 8);
    int rc = SF_OK;
    if (!padded || !dec) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(padded, in, n);
    while (n % 4)
        padded[n++] = '=';
    int got = EVP_DecodeBlock((unsigned char *)dec, (unsigned char *)padded, (int)n);
    if (got < 0) {
        rc = sf_error_set(err, SF_ECONFIG, "kubeconfig: %s is not base64", what);
        goto done;
    }
    /* EVP_DecodeBlock counts '=' padding as decoded zero bytes */
    for (size_t i = n; i > 0 && padded[i - 1] == '=' && got > 0; i--)
        got--;
    dec[got] = '\0';
    *out = dec;
    dec = NULL;
done:
    if (padded)
        explicit_bzero(padded, n);
    free(padded);
    if (dec)
        explicit_bzero(dec, n / 4 * 3 + 8);
    free(dec);
    return rc;
}

/* The entry named name in list (kubeconfig's [{name, <field>: {...}}]). */
static json_t *named(json_t *doc, const char *list, const char *field, const char *name)
{
    json_t *l = json_object_get(doc, list), *e;
    size_t i;
    json_array_foreach(l, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strcmp(n, name) == 0)
            return json_object_get(e, field);
    }
    return NULL;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A -data field (base64) or a file field (path, relative to base). */
static int data_or_file(json_t *o, const char *field, const char *base, char **out,
                        sf_error *err)
{
    char key[64], path[4096];
    snprintf(key, sizeof key, "%s-data", field);
    *out = NULL;
    if (str(o, key))
        return b64(str(o, key), out, key, err);
    const char *f = str(o, field);
    if (!f || !*f)
        return SF_OK;
    if (f[0] == '/')
        snprintf(path, sizeof path, "%s", f);
    else
        snprintf(path, sizeof path, "%s/%s", base ? base : ".", f);
    return sf_kcfg_read_file(path, SF_LIM_KUBE_FILE_BYTES, out, NULL, err);
}

static int truthy(json_t *v)
{
    const char *s = json_string_value(v);
    return json_is_true(v) || (s && (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0));
}

static int read_user(sf_kcfg *c, json_t *user, const char *base, sf_error *err)
{
    char path[4096];
    if (json_object_get(user, "exec") || json_object_get(user, "auth-provider"))
        return sf_error_set(err, SF_ECONFIG,
                            "kubeconfig: exec and auth-provider users are not supported "
                            "(use a token, a token file or a client certificate)");
    if (str(user, "token") && !(c->token = sf_strdup(str(user, "token"))))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    const char *tf = str(user, "tokenFile");
    if (!c->token && tf && *tf) {
        snprintf(path, sizeof path, "%s%s%s", tf[0] == '/' ? "" : (base ? base : "."),
                 tf[0] == '/' ? "" : "/", tf);
        if (!(c->token_file = sf_strdup(path)))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    int rc = data_or_file(user, "client-certificate", base, &c->cert_pem, err);
    if (!rc)
        rc = data_or_file(user, "client-key", base, &c->key_pem, err);
    if (!rc && !c->cert_pem != !c->key_pem)
        rc = sf_error_set(err, SF_ECONFIG, "kubeconfig: a client certificate needs its key");
    return rc;
}

static int from_doc(sf_kcfg *c, json_t *doc, const char *context, const char *base,
                    sf_error *err)
{
    const char *ctx = context && *context ? context : str(doc, "current-context");
    if (!ctx || !*ctx)
        return sf_error_set(err, SF_ECONFIG, "kubeconfig: no current-context and none named");
    json_t *cx = named(doc, "contexts", "context", ctx);
    if (!json_is_object(cx))
        return sf_error_set(err, SF_ECONFIG, "kubeconfig: no context \"%.64s\"", ctx);
    const char *cn = str(cx, "cluster"), *un = str(cx, "user");
    json_t *cl = cn ? named(doc, "clusters", "cluster", cn) : NULL;
    json_t *us = un ? named(doc, "users", "user", un) : NULL;
    if (!json_is_object(cl) || !str(cl, "server"))
        return sf_error_set(err, SF_ECONFIG, "kubeconfig: context \"%.64s\" has no cluster "
                                             "with a server", ctx);
    if (!(c->context = sf_strdup(ctx)) || !(c->server = sf_strdup(str(cl, "server"))))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    c->insecure = truthy(json_object_get(cl, "insecure-skip-tls-verify"));
    int rc = data_or_file(cl, "certificate-authority", base, &c->ca_pem, err);
    if (!rc && json_is_object(us))
        rc = read_user(c, us, base, err);
    return rc;
}

int sf_kcfg_parse(sf_kcfg *out, const char *text, size_t len, const char *context,
                  const char *base_dir, sf_error *err)
{
    json_t *doc = NULL;
    json_error_t je;
    int rc;
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        i++;
    if (i < len && text[i] == '{') {
        if (!(doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)))
            return sf_error_set(err, SF_ECONFIG, "kubeconfig:%d: %s", je.line, je.text);
    } else if ((rc = sf_yaml_to_json(text, len, &doc, err)) != SF_OK) {
        return rc == SF_EUNSUPPORTED ? SF_ECONFIG : rc;
    }
    rc = json_is_object(doc) ? from_doc(out, doc, context, base_dir, err)
                             : sf_error_set(err, SF_ECONFIG, "kubeconfig: not a mapping");
    json_decref(doc);
    if (rc)
        sf_kcfg_clear(out);
    return rc;
}

int sf_kcfg_load(sf_kcfg *out, const char *path, const char *context, sf_error *err)
{
    char *text = NULL, dir[4096];
    size_t len = 0;
    memset(out, 0, sizeof *out);
    int rc = sf_kcfg_read_file(path, SF_LIM_KUBE_FILE_BYTES, &text, &len, err);
    if (rc)
        return rc;
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    rc = sf_kcfg_parse(out, text, len, context, slash == path ? "/" : dir, err);
    wipe_free(text);
    return rc;
}

int sf_kcfg_in_cluster(sf_kcfg *out, const char *sa_dir, sf_error *err)
{
    char path[4096], url[512];
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    memset(out, 0, sizeof *out);
    if (!host || !*host)
        return sf_error_set(err, SF_ECONFIG, "in-cluster: KUBERNETES_SERVICE_HOST is not set");
    const char *dir = sa_dir ? sa_dir : SF_KCFG_SA_DIR;
    /* an IPv6 service address needs brackets in a URL */
    snprintf(url, sizeof url, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
             port && *port ? port : "443");
    snprintf(path, sizeof path, "%s/ca.crt", dir);
    int rc = sf_kcfg_read_file(path, SF_LIM_KUBE_FILE_BYTES, &out->ca_pem, NULL, err);
    if (!rc && (!(out->context = sf_strdup("")) || !(out->server = sf_strdup(url))))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/token", dir);
    if (!rc && !(out->token_file = sf_strdup(path)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc)
        sf_kcfg_clear(out);
    return rc;
}

int sf_kcfg_bearer(const sf_kcfg *c, char *out, size_t outlen, sf_error *err)
{
    char *tok = NULL;
    int rc = SF_OK;
    out[0] = '\0';
    if (c->token_file) {
        if ((rc = sf_kcfg_read_file(c->token_file, 64 * 1024, &tok, NULL, err)) != SF_OK)
            return rc;
        tok[strcspn(tok, "\r\n")] = '\0';
    }
    const char *t = tok ? tok : c->token;
    if (t && *t) {
        int n = snprintf(out, outlen, "Bearer %s", t);
        if (n < 0 || (size_t)n >= outlen) {
            explicit_bzero(out, outlen);
            rc = sf_error_set(err, SF_ECONFIG, "token too long");
        }
    }
    wipe_free(tok);
    return rc;
}
