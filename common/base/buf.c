/* buf: see buf.h. */
#include "base/buf.h"
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sf_buf_init(sf_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : (SIZE_MAX / 2);
}

static int buf_reserve(sf_buf *b, size_t need)
{
    /* data must exist even for an empty append: callers read b->data as a
     * NUL-terminated string after any successful append. */
    if (need <= b->cap && b->data)
        return SF_OK;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 4)
            return SF_ENOMEM;
        ncap *= 2;
    }
    if (ncap > b->max)
        ncap = b->max;
    char *nd = realloc(b->data, ncap + 1);
    if (!nd)
        return SF_ENOMEM;
    b->data = nd;
    b->cap = ncap;
    return SF_OK;
}

int sf_buf_append(sf_buf *b, const void *data, size_t n)
{
    size_t need;
    if (sf_add_overflow(b->len, n, &need) || need > b->max)
        return SF_ELIMIT;
    int rc = buf_reserve(b, need);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len = need;
    b->data[b->len] = '\0';
    return SF_OK;
}

int sf_buf_read_file(sf_buf *b, FILE *f)
{
    char chunk[8192];
    int rc = SF_OK;
    for (size_t n; rc == SF_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0;)
        rc = sf_buf_append(b, chunk, n);
    if (rc == SF_OK && ferror(f))
        rc = SF_EIO;
    explicit_bzero(chunk, sizeof chunk);
    return rc;
}

int sf_buf_puts(sf_buf *b, const char *s) { return sf_buf_append(b, s, strlen(s)); }

int sf_buf_printf(sf_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SF_EINVAL;
    if ((size_t)n < sizeof small)
        return sf_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return SF_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = sf_buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

void sf_buf_reset(sf_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *sf_buf_steal(sf_buf *b, size_t *len)
{
    char *d = b->data;
    if (!d)
        d = calloc(1, 1);
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void sf_buf_free(sf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *sf_strdup(const char *s) { return s ? strdup(s) : NULL; }

char *sf_strndup(const char *s, size_t n) { return s ? strndup(s, n) : NULL; }

int sf_str_eq(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

int sf_str_token_ok(const char *s, size_t max, const char *first, const char *rest)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= max && strchr(first, s[0]) && strspn(s + 1, rest) == n - 1;
}
