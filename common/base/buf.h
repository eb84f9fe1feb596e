/*
 * buf: a growable byte buffer with a hard maximum size. Everything that
 * accumulates untrusted bytes (HTTP bodies, wanted files, JSON) goes
 * through one, so no input can grow memory past its cap.
 */
#ifndef SF_BUF_H
#define SF_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct sf_buf {
    char *data;  /* always NUL-terminated when non-NULL (not counted in len) */
    size_t len;  /* bytes used */
    size_t cap;  /* bytes allocated (excluding the NUL) */
    size_t max;  /* appending past this fails with SF_ELIMIT */
} sf_buf;

/* Start empty with the given maximum (0 = SIZE_MAX/2). No allocation. */
void sf_buf_init(sf_buf *b, size_t max);
/* Append n bytes; SF_OK, SF_ELIMIT (past max, buffer unchanged) or SF_ENOMEM. */
int sf_buf_append(sf_buf *b, const void *data, size_t n);
/* Append a C string. */
int sf_buf_puts(sf_buf *b, const char *s);
/* Append printf-style text. */
int sf_buf_printf(sf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append the rest of f, to its end: SF_OK, SF_ELIMIT (past max), SF_ENOMEM
 * or SF_EIO (a read error). The bytes pass through a stack chunk that is
 * wiped afterwards, as the files read this way may hold keys. */
int sf_buf_read_file(sf_buf *b, FILE *f);
/* Empty the buffer, keep its memory. */
void sf_buf_reset(sf_buf *b);
/* Hand the data to the caller (caller frees with free()); b is emptied. */
char *sf_buf_steal(sf_buf *b, size_t *len);
/* Free the data; b is emptied and may be reused. */
void sf_buf_free(sf_buf *b);

/* Overflow-checked size arithmetic: 0 on success, -1 on overflow. */
static inline int sf_add_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}
static inline int sf_mul_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

/* strdup that returns NULL for NULL. */
char *sf_strdup(const char *s);
/* strndup equivalent. */
char *sf_strndup(const char *s, size_t n);
/* 1 when a and b are both NULL or equal strings (NULL is "absent", not
 * ""); 0 otherwise. */
int sf_str_eq(const char *a, const char *b);
/* 1 when s (NULL is not) is 1 to max bytes long, its first byte one of
 * first and every other one of rest; 0 otherwise. For names whose syntax
 * is a character set and a length (Kubernetes names, image tags). */
int sf_str_token_ok(const char *s, size_t max, const char *first, const char *rest);

#endif
