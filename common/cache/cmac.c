/*
 * cmac: see cmac.h. HMAC-SHA256 through OpenSSL's EVP_MAC (the one
 * library that holds our crypto; HMAC_CTX is deprecated in OpenSSL 3).
 * The comparison is constant-time (CRYPTO_memcmp) so a writer of Redis
 * cannot learn a MAC byte by byte from timing.
 */
#include "cache/cmac.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

#define MAGIC "SFM1"
#define MAGIC_LEN 4
#define MAC_LEN 32
#define DOMAIN "scanfarm-cache-mac/v1"

struct sf_cmac {
    EVP_MAC *mac;
    unsigned char *secret;
    size_t len;
};

int sf_cmac_new(sf_cmac **out, const void *secret, size_t len, sf_error *err)
{
    *out = NULL;
    if (len < SF_LIM_CACHE_SECRET_MIN || len > SF_LIM_CACHE_SECRET_MAX)
        return sf_error_set(err, SF_ECONFIG,
                            "cache secret must be %d to %d bytes (got %zu)",
                            SF_LIM_CACHE_SECRET_MIN, SF_LIM_CACHE_SECRET_MAX, len);
    sf_cmac *m = calloc(1, sizeof *m);
    if (!m || !(m->secret = malloc(len))) {
        free(m);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    memcpy(m->secret, secret, len);
    m->len = len;
    if (!(m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL))) {
        sf_cmac_free(m);
        return sf_error_set(err, SF_EINTERNAL, "OpenSSL has no HMAC");
    }
    *out = m;
    return SF_OK;
}

void sf_cmac_free(sf_cmac *m)
{
    if (!m)
        return;
    if (m->secret) {
        OPENSSL_cleanse(m->secret, m->len);
        free(m->secret);
    }
    EVP_MAC_free(m->mac);
    free(m);
}

/* Read a secret file into buf (cap bytes); *n = its length. */
static int read_secret_file(const char *path, unsigned char *buf, size_t cap, size_t *n,
                            sf_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_error_set(err, SF_EIO, "cache secret file %s: %s", path, strerror(errno));
    *n = fread(buf, 1, cap, f);
    int bad = ferror(f), more = !bad && fgetc(f) != EOF;
    fclose(f);
    if (bad)
        return sf_error_set(err, SF_EIO, "cache secret file %s: read error", path);
    if (more)
        return sf_error_set(err, SF_ECONFIG, "cache secret file %s is over %d bytes", path,
                            SF_LIM_CACHE_SECRET_MAX);
    return SF_OK;
}

int sf_cmac_load(sf_cmac **out, const char *file, const char *value, sf_error *err)
{
    *out = NULL;
    int has_file = file && *file, has_value = value && *value;
    if (!has_file && !has_value)
        return SF_OK;
    if (has_file && has_value)
        return sf_error_set(err, SF_ECONFIG, "set either the cache secret or its file, not both");
    if (!has_file)
        return sf_cmac_new(out, value, strlen(value), err);
    unsigned char buf[SF_LIM_CACHE_SECRET_MAX];
    size_t n = 0;
    int rc = read_secret_file(file, buf, sizeof buf, &n, err);
    if (rc == SF_OK) {
        if (n && buf[n - 1] == '\n')
            n--;
        if (n && buf[n - 1] == '\r')
            n--;
        rc = sf_cmac_new(out, buf, n, err);
    }
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

static void be32(unsigned char out[4], size_t v)
{
    out[0] = (unsigned char)(v >> 24);
    out[1] = (unsigned char)(v >> 16);
    out[2] = (unsigned char)(v >> 8);
    out[3] = (unsigned char)v;
}

/* mac = HMAC(secret, frame(key, version, payload)). */
static int compute(const sf_cmac *m, const char *key, const char *version, const void *payload,
                   size_t len, unsigned char mac[MAC_LEN])
{
    if (!version)
        version = "";
    size_t klen = strlen(key), vlen = strlen(version), got = 0;
    unsigned char kl[4], vl[4];
    be32(kl, klen);
    be32(vl, vlen);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(m->mac);
    int ok = c && EVP_MAC_init(c, m->secret, m->len, params) &&
             EVP_MAC_update(c, (const unsigned char *)DOMAIN, sizeof DOMAIN) &&
             EVP_MAC_update(c, kl, 4) && EVP_MAC_update(c, (const unsigned char *)key, klen) &&
             EVP_MAC_update(c, vl, 4) &&
             EVP_MAC_update(c, (const unsigned char *)version, vlen) &&
             EVP_MAC_update(c, payload, len) && EVP_MAC_final(c, mac, &got, MAC_LEN) &&
             got == MAC_LEN;
    EVP_MAC_CTX_free(c);
    return ok ? SF_OK : SF_EINTERNAL;
}

int sf_cmac_seal(const sf_cmac *m, const char *key, const char *version, const void *payload,
                 size_t len, sf_buf *out)
{
    unsigned char mac[MAC_LEN];
    int rc = compute(m, key, version, payload, len, mac);
    if (rc == SF_OK)
        rc = sf_buf_append(out, MAGIC, MAGIC_LEN);
    if (rc == SF_OK)
        rc = sf_buf_append(out, mac, MAC_LEN);
    if (rc == SF_OK)
        rc = sf_buf_append(out, payload, len);
    return rc;
}

static int is_sealed(const void *data, size_t len)
{
    return len >= SF_CMAC_OVERHEAD && memcmp(data, MAGIC, MAGIC_LEN) == 0;
}

int sf_cmac_open(const sf_cmac *m, const char *key, const char *version, const void *data,
                 size_t len, const void **payload, size_t *plen)
{
    *payload = NULL;
    *plen = 0;
    if (!is_sealed(data, len))
        return SF_EAUTH;
    const unsigned char *p = data;
    unsigned char want[MAC_LEN];
    if (compute(m, key, version, p + SF_CMAC_OVERHEAD, len - SF_CMAC_OVERHEAD, want) != SF_OK ||
        CRYPTO_memcmp(want, p + MAGIC_LEN, MAC_LEN) != 0)
        return SF_EAUTH;
    *payload = p + SF_CMAC_OVERHEAD;
    *plen = len - SF_CMAC_OVERHEAD;
    return SF_OK;
}

void sf_cmac_strip(const void *data, size_t len, const void **payload, size_t *plen)
{
    if (is_sealed(data, len)) {
        *payload = (const unsigned char *)data + SF_CMAC_OVERHEAD;
        *plen = len - SF_CMAC_OVERHEAD;
    } else {
        *payload = data;
        *plen = len;
    }
}
