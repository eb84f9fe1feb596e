/*
 * wregs: see wregs.h. The allow-list is fixed at start; the client table
 * is a small array under one mutex (lookups are a strcmp over at most
 * WREGS_MAX hosts, nothing next to a scan).
 */
#include "wregs.h"
#include "base/limits.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "registry/netpol.h"

#define WREGS_MAX SF_LIM_WORKER_REGISTRIES
#define WREGS_MAX_PATTERNS SF_LIM_WORKER_PATTERNS

typedef struct regent {
    char *host;
    sf_reg *reg;
    int refs;            /* scans using it now */
    unsigned long used;  /* tick of the last acquire */
} regent;

struct sf_wregs {
    const sf_wconf *cfg;
    sf_netpol *pol;
    char *pat[WREGS_MAX_PATTERNS];
    size_t npat;
    pthread_mutex_t mu;
    regent regs[WREGS_MAX];
    size_t nregs;
    unsigned long tick;
};

/* Add "host[:port]" taken from a URL or host text (scheme and path cut,
 * lowercased) to the allow-list. */
static int add_host(sf_wregs *p, const char *text)
{
    const char *h = strstr(text, "://");
    h = h ? h + 3 : text;
    size_t n = strcspn(h, "/");
    if (n == 0)
        return SF_OK;
    if (p->npat == WREGS_MAX_PATTERNS)
        return SF_ELIMIT;
    char *s = sf_strndup(h, n);
    if (!s)
        return SF_ENOMEM;
    for (char *c = s; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (strcmp(s, "index.docker.io") == 0 || strcmp(s, "registry-1.docker.io") == 0)
        memcpy(s, "docker.io", sizeof "docker.io");
    p->pat[p->npat++] = s;
    return SF_OK;
}

/* Hosts of the Docker config's `auths`: registries this worker holds
 * credentials for. */
static int add_docker_hosts(sf_wregs *p, const char *path, sf_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return sf_error_set(err, SF_ECONFIG, "docker config %s: %s", path, je.text);
    const char *k;
    json_t *v;
    int rc = SF_OK;
    json_object_foreach(json_object_get(root, "auths"), k, v)
    {
        if ((rc = add_host(p, k)))
            break;
    }
    json_decref(root);
    return rc ? sf_error_set(err, rc, "docker config %s: too many registries", path) : SF_OK;
}

static int build_allow(sf_wregs *p, const sf_wconf *c, sf_error *err)
{
    int rc = SF_OK;
    if (c->registry_allow.n) {
        for (size_t i = 0; !rc && i < c->registry_allow.n; i++)
            if (!(p->pat[p->npat] = sf_strdup(c->registry_allow.v[i])))
                rc = SF_ENOMEM;
            else
                p->npat++;
        return rc ? sf_error_set(err, rc, "out of memory") : SF_OK;
    }
    for (size_t i = 0; !rc && i < c->insecure_registries.n; i++)
        rc = add_host(p, c->insecure_registries.v[i]);
    for (size_t i = 0; !rc && i < c->registries.n; i++)
        rc = add_host(p, c->registries.v[i]);
    if (rc)
        return sf_error_set(err, rc, "allow-list: out of memory");
    if (c->docker_config)
        rc = add_docker_hosts(p, c->docker_config, err);
    return rc;
}

int sf_wregs_new(sf_wregs **out, const sf_wconf *cfg, sf_error *err)
{
    *out = NULL;
    sf_wregs *p = calloc(1, sizeof *p);
    if (!p)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    p->cfg = cfg;
    pthread_mutex_init(&p->mu, NULL);
    int rc = sf_netpol_new(&p->pol, (const char *const *)cfg->registry_allow_addresses.v,
                           cfg->registry_allow_addresses.n, err);
    if (!rc)
        rc = build_allow(p, cfg, err);
    if (rc) {
        sf_wregs_free(p);
        return rc == SF_ENOMEM ? rc : sf_error_set(err, SF_ECONFIG, "registry allow-list");
    }
    if (p->npat == 0)
        SF_WARN("worker", "no registry allowed: every job will fail; set --registry-allow, "
                          "--registry or --insecure-registry");
    for (size_t i = 0; i < p->npat; i++)
        SF_INFO("worker", "registry allowed|pattern=%s", p->pat[i]);
    *out = p;
    return SF_OK;
}

void sf_wregs_free(sf_wregs *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nregs; i++) {
        sf_reg_free(p->regs[i].reg);
        free(p->regs[i].host);
    }
    for (size_t i = 0; i < p->npat; i++)
        free(p->pat[i]);
    sf_netpol_free(p->pol);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int sf_wregs_allowed(const sf_wregs *p, const char *host)
{
    if (!sf_netpol_valid_hostport(host))
        return 0;
    for (size_t i = 0; i < p->npat; i++)
        if (sf_netpol_host_match(p->pat[i], host))
            return 1;
    return 0;
}

const char *const *sf_wregs_patterns(const sf_wregs *p, size_t *n)
{
    *n = p->npat;
    return (const char *const *)p->pat;
}

static int insecure(const sf_wconf *c, const char *host)
{
    for (size_t i = 0; i < c->insecure_registries.n; i++)
        if (strcasecmp(c->insecure_registries.v[i], host) == 0)
            return 1;
    return 0;
}

/* A free slot: a new one, or the least recently used idle client's. */
static regent *free_slot(sf_wregs *p)
{
    if (p->nregs < WREGS_MAX)
        return &p->regs[p->nregs++];
    regent *lru = NULL;
    for (size_t i = 0; i < p->nregs; i++)
        if (p->regs[i].refs == 0 && (!lru || p->regs[i].used < lru->used))
            lru = &p->regs[i];
    if (lru) {
        SF_DEBUG("worker", "registry client evicted|registry=%s", lru->host);
        sf_reg_free(lru->reg);
        free(lru->host);
        memset(lru, 0, sizeof *lru);
    }
    return lru;
}

static int open_client(sf_wregs *p, const char *host, regent *e, sf_error *err)
{
    char url[512];
    int sec = !insecure(p->cfg, host);
    snprintf(url, sizeof url, "%s://%s", sec ? "https" : "http", host);
    sf_reg_opts o = {.url = url, .insecure = !sec, .docker_config = p->cfg->docker_config,
                     .max_retries = -1, .netpol = p->pol,
                     .strict_realm = (int)p->cfg->registry_strict_realm,
                     .min_rate_bps = p->cfg->transfer_min_rate > 0
                                         ? p->cfg->transfer_min_rate * 1024 : -1,
                     .deadline_base_ms = p->cfg->transfer_deadline_base * 1000};
    int rc = sf_reg_new(&e->reg, &o, err);
    if (!rc && !(e->host = sf_strdup(host)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    return rc;
}

int sf_wregs_acquire(sf_wregs *p, const char *host, sf_reg **out, sf_error *err)
{
    *out = NULL;
    if (!sf_wregs_allowed(p, host ? host : ""))
        return sf_error_set(err, SF_EAUTH,
                            "registry %.100s is not allowed by this worker (--registry-allow)",
                            host && sf_netpol_valid_hostport(host) ? host : "(malformed name)");
    int rc = SF_OK;
    pthread_mutex_lock(&p->mu);
    regent *e = NULL;
    for (size_t i = 0; i < p->nregs && !e; i++)
        if (strcasecmp(p->regs[i].host, host) == 0)
            e = &p->regs[i];
    if (!e && !(e = free_slot(p))) {
        rc = sf_error_set(err, SF_ELIMIT, "all %d registry clients are busy", WREGS_MAX);
        goto done;
    }
    if (!e->reg && (rc = open_client(p, host, e, err))) {
        sf_reg_free(e->reg);
        free(e->host);
        *e = p->regs[--p->nregs]; /* give the slot back */
        goto done;
    }
    e->refs++;
    e->used = ++p->tick;
    *out = e->reg;
done:
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void sf_wregs_release(sf_wregs *p, sf_reg *reg)
{
    if (!reg)
        return;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nregs; i++)
        if (p->regs[i].reg == reg && p->regs[i].refs > 0)
            p->regs[i].refs--;
    pthread_mutex_unlock(&p->mu);
}

size_t sf_wregs_count(sf_wregs *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->nregs;
    pthread_mutex_unlock(&p->mu);
    return n;
}
