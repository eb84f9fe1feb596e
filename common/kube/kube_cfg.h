/*
 * kube_cfg: how to reach one Kubernetes API server. Two sources:
 *
 *  - a kubeconfig (YAML or JSON; YAML through yaml2json): the current
 *    context or a named one -> its cluster (server, certificate-authority
 *    or -data, insecure-skip-tls-verify) and user (token, tokenFile,
 *    client-certificate/-key or their -data). Relative file paths are
 *    relative to the kubeconfig's folder, as kubectl reads them. exec and
 *    auth-provider plugins are refused with a clear error (they would run
 *    programs named by the file).
 *  - in-cluster: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT and the
 *    service account's token and CA bundle
 *    (/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}).
 *
 * Files are read into memory (PEM text for libcurl's blob options), except
 * a token file, which is read again before each connection because
 * projected service-account tokens rotate. Tokens and private keys are
 * secret: they are never logged, and are wiped when freed.
 */
#ifndef SF_KUBE_CFG_H
#define SF_KUBE_CFG_H

#include <stddef.h>

#include "base/err.h"

/* Default folder of the in-cluster service-account files. */
#define SF_KCFG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

typedef struct sf_kcfg {
    char *context;    /* context used ("" for in-cluster) */
    char *server;     /* "https://host:port" */
    char *ca_pem;     /* PEM CA bundle; NULL = the system's */
    int insecure;     /* insecure-skip-tls-verify */
    char *token;      /* secret; NULL when token_file or none */
    char *token_file; /* read before each connection */
    char *cert_pem;   /* client certificate (PEM) */
    char *key_pem;    /* secret: client key (PEM) */
} sf_kcfg;

/*
 * Parse kubeconfig text. context NULL/"" = current-context. base_dir is
 * where relative paths start (NULL = "."). SF_ECONFIG with a message on a
 * missing context/cluster/user, an unreadable file or a plugin.
 */
int sf_kcfg_parse(sf_kcfg *out, const char *text, size_t len, const char *context,
                  const char *base_dir, sf_error *err);
/* The same from a file. */
int sf_kcfg_load(sf_kcfg *out, const char *path, const char *context, sf_error *err);

/* In-cluster configuration from the environment and sa_dir (NULL =
 * SF_KCFG_SA_DIR). SF_ECONFIG when not inside a cluster. */
int sf_kcfg_in_cluster(sf_kcfg *out, const char *sa_dir, sf_error *err);

/* "Bearer <token>" into out (re-reading token_file); "" when the user has
 * no token (client certificates). The result is secret. */
int sf_kcfg_bearer(const sf_kcfg *c, char *out, size_t outlen, sf_error *err);

/* Wipe secrets, free everything, zero c. */
void sf_kcfg_clear(sf_kcfg *c);

/* Read a whole small file (at most max bytes) into *out (NUL-terminated). */
int sf_kcfg_read_file(const char *path, size_t max, char **out, size_t *len, sf_error *err);

#endif
