/* digest: see digest.h. */
#include "base/digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sf_hasher {
    EVP_MD_CTX *ctx;
    char algo[8];
};

int sf_digest_validate(const char *s, sf_error *err)
{
    if (!s)
        return sf_error_set(err, SF_EPARSE, "digest missing");
    size_t hexlen;
    const char *hex;
    if (strncmp(s, "sha256:", 7) == 0) {
        hexlen = 64;
        hex = s + 7;
    } else if (strncmp(s, "sha512:", 7) == 0) {
        hexlen = 128;
        hex = s + 7;
    } else {
        return sf_error_set(err, SF_EPARSE, "unsupported digest algorithm");
    }
    for (size_t i = 0; i < hexlen; i++) {
        char c = hex[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return sf_error_set(err, SF_EPARSE, "malformed digest");
    }
    if (hex[hexlen] != '\0')
        return sf_error_set(err, SF_EPARSE, "malformed digest");
    return SF_OK;
}

int sf_hasher_new(sf_hasher **out, const char *like)
{
    *out = NULL;
    const EVP_MD *md;
    const char *algo;
    if (like && strncmp(like, "sha512", 6) == 0) {
        md = EVP_sha512();
        algo = "sha512";
    } else if (!like || strncmp(like, "sha256", 6) == 0) {
        md = EVP_sha256();
        algo = "sha256";
    } else {
        return SF_EUNSUPPORTED;
    }
    sf_hasher *h = calloc(1, sizeof *h);
    if (!h)
        return SF_ENOMEM;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, md, NULL) != 1) {
        sf_hasher_free(h);
        return SF_ENOMEM;
    }
    snprintf(h->algo, sizeof h->algo, "%s", algo);
    *out = h;
    return SF_OK;
}

int sf_hasher_update(sf_hasher *h, const void *data, size_t n)
{
    return EVP_DigestUpdate(h->ctx, data, n) == 1 ? SF_OK : SF_EINTERNAL;
}

int sf_hasher_final(sf_hasher *h, char out[SF_DIGEST_MAX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1)
        return SF_EINTERNAL;
    static const char hexd[] = "0123456789abcdef";
    size_t p = (size_t)snprintf(out, SF_DIGEST_MAX, "%s:", h->algo);
    for (unsigned i = 0; i < mdlen && p + 2 < SF_DIGEST_MAX; i++) {
        out[p++] = hexd[md[i] >> 4];
        out[p++] = hexd[md[i] & 15];
    }
    out[p] = '\0';
    return SF_OK;
}

void sf_hasher_free(sf_hasher *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

static int digest_of(const char *like, const void *data, size_t n, char out[SF_DIGEST_MAX])
{
    sf_hasher *h;
    int rc = sf_hasher_new(&h, like);
    if (rc)
        return rc;
    rc = sf_hasher_update(h, data, n);
    if (!rc)
        rc = sf_hasher_final(h, out);
    sf_hasher_free(h);
    return rc;
}

int sf_digest_sha256(const void *data, size_t n, char out[SF_DIGEST_MAX])
{
    return digest_of("sha256", data, n, out);
}

int sf_digest_verify(const char *expected, const void *data, size_t n, sf_error *err)
{
    int rc = sf_digest_validate(expected, err);
    if (rc)
        return rc;
    char got[SF_DIGEST_MAX];
    rc = digest_of(expected, data, n, got);
    if (rc)
        return sf_error_set(err, rc, "hashing failed");
    if (strcmp(got, expected) != 0)
        return sf_error_set(err, SF_EDIGEST, "digest mismatch: expected %s, got %s",
                            expected, got);
    return SF_OK;
}
