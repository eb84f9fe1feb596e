/* attempts: see attempts.h. */
#include "cache/attempts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scan_ctx {
    const char *self;
    sf_attempts_seen *out;
    char modes[SF_ATTEMPTS_MAX_DEAD];
    char owners[SF_ATTEMPTS_MAX_DEAD][SF_KEY_PART_MAX + 1];
    int n;
} scan_ctx;

static int on_field(void *ctx, const char *field, const char *value)
{
    scan_ctx *c = ctx;
    if (strcmp(field, "iso") == 0)
        c->out->iso = strtoll(value, NULL, 10);
    else if (strcmp(field, "shr") == 0)
        c->out->shr = strtoll(value, NULL, 10);
    else if (strncmp(field, "o:", 2) == 0 && c->n < SF_ATTEMPTS_MAX_DEAD &&
             strcmp(field + 2, c->self) != 0 && strlen(field + 2) <= SF_KEY_PART_MAX) {
        snprintf(c->owners[c->n], sizeof c->owners[0], "%s", field + 2);
        c->modes[c->n++] = value[0];
    }
    return SF_OK;
}

static int job_key(char key[SF_KEY_MAX], const char *prefix, const char *digest, const char *run,
                   sf_error *err)
{
    return sf_keys_attempts(key, prefix, digest, run && *run ? run : "norun", err);
}

int sf_attempts_inspect(sf_kv *kv, const char *prefix, const char *self, const char *digest,
                        const char *run, sf_attempts_seen *out, sf_error *err)
{
    char key[SF_KEY_MAX], hb[SF_KEY_MAX], field[SF_KEY_PART_MAX + 8];
    scan_ctx c = {.self = self, .out = out};
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = job_key(key, prefix, digest, run, err)) != SF_OK ||
        (rc = sf_kv_hgetall(kv, digest, key, on_field, &c, err)) != SF_OK) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    for (int i = 0; i < c.n; i++) {
        int alive = 1, removed = 0;
        sf_error e = SF_ERROR_INIT; /* one record's trouble does not stop the others */
        if (sf_keys_worker(hb, prefix, c.owners[i], &e) != SF_OK ||
            sf_kv_exists(kv, c.owners[i], hb, &alive, &e) != SF_OK || alive)
            continue;
        snprintf(field, sizeof field, "o:%s", c.owners[i]);
        if (sf_kv_hdel(kv, digest, key, field, &removed, &e) != SF_OK || !removed)
            continue;
        int alone = c.modes[i] == 'i';
        if (sf_kv_hincrby(kv, digest, key, alone ? "iso" : "shr", 1, NULL, &e) != SF_OK)
            continue;
        *(alone ? &out->iso : &out->shr) += 1;
        snprintf(out->dead[out->ndead], sizeof out->dead[0], "%s", c.owners[i]);
        out->dead_alone[out->ndead++] = (char)alone;
    }
    return SF_OK;
}

int sf_attempts_start(sf_kv *kv, const char *prefix, const char *self, const char *digest,
                      const char *run, int alone, long long ttl_ms, sf_error *err)
{
    char key[SF_KEY_MAX], field[SF_KEY_PART_MAX + 80];
    int rc = job_key(key, prefix, digest, run, err);
    snprintf(field, sizeof field, "o:%s", self);
    return rc != SF_OK ? rc : sf_kv_hset(kv, digest, key, field, alone ? "i" : "s", ttl_ms, err);
}

int sf_attempts_end(sf_kv *kv, const char *prefix, const char *self, const char *digest,
                    const char *run, int success, sf_error *err)
{
    char key[SF_KEY_MAX], field[SF_KEY_PART_MAX + 80];
    int rc = job_key(key, prefix, digest, run, err);
    if (rc != SF_OK)
        return rc;
    if (success)
        return sf_kv_del(kv, digest, key, err);
    snprintf(field, sizeof field, "o:%s", self);
    return sf_kv_hdel(kv, digest, key, field, NULL, err);
}

int sf_attempts_heartbeat(sf_kv *kv, const char *prefix, const char *self, long long ttl_ms,
                          sf_error *err)
{
    char key[SF_KEY_MAX];
    int rc = sf_keys_worker(key, prefix, self, err);
    return rc != SF_OK ? rc : sf_kv_set(kv, self, key, "1", 1, ttl_ms, err);
}
