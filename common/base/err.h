/*
 * err: the one error enum of scanfarm, and sf_error, the caller-owned
 * record that carries a code and a bounded message up the stack.
 *
 * Fallible functions return int: SF_OK (0) or a negative sf_code. Numbers
 * are never reused. Parsers and network calls also fill a caller's
 * sf_error so the reason reaches the result's `error` field. sf_err_kind()
 * is the single answer to "retry, report on the image, or give up" that
 * drives retries, results, the DLQ and metric labels.
 */
#ifndef SF_ERR_H
#define SF_ERR_H

#include <stddef.h>

typedef enum sf_code {
    SF_OK = 0,
    SF_ENOMEM = -1,        /* allocation failed */
    SF_EINVAL = -2,        /* bad argument or usage */
    SF_EPARSE = -3,        /* malformed input (manifest, tar, package DB, JSON) */
    SF_ELIMIT = -4,        /* a configured limit was hit (bomb, too many entries) */
    SF_EDIGEST = -5,       /* content does not match its digest */
    SF_EIO = -6,           /* local I/O */
    SF_ENOTFOUND = -7,     /* 404 / no such file / no such key */
    SF_EAUTH = -8,         /* 401/403 or credentials refused */
    SF_EUNSUPPORTED = -9,  /* a valid but unsupported format (schema1, ...) */
    SF_ENET = -10,         /* connection failed or reset: transient */
    SF_ETIMEOUT = -11,     /* connect or transfer timed out: transient */
    SF_ERATELIMIT = -12,   /* 429 after all retries */
    SF_ESERVER = -13,      /* 5xx after all retries */
    SF_EKAFKA = -14,       /* broker/client error */
    SF_EREDIS = -15,       /* cache error (scanning goes on uncached) */
    SF_EEXIST = -16,       /* already exists / lock held elsewhere */
    SF_ECANCELED = -17,    /* shutdown in progress */
    SF_EINTERNAL = -18,    /* a bug: invariant broken */
    SF_ECONFIG = -19,      /* invalid configuration */
    SF_EDB = -20,          /* vulnerability DB missing, corrupt or wrong version */
    SF_ECODE_MIN = -20
} sf_code;

/* What a caller should do about a failure. */
typedef enum sf_err_kind_t {
    SF_KIND_OK = 0,
    SF_KIND_RETRIABLE, /* try again later (network, 5xx, 429, Redis, Kafka) */
    SF_KIND_IMAGE,     /* the image itself is bad: report it in the result */
    SF_KIND_FATAL      /* the process cannot go on (config, bug, no memory) */
} sf_err_kind_t;

#define SF_ERRMSG_MAX 256

/* Caller-owned error record; zero-initialise it (SF_ERROR_INIT). */
typedef struct sf_error {
    int code;                 /* SF_OK or a negative sf_code */
    char msg[SF_ERRMSG_MAX];  /* human text, never holds secrets */
} sf_error;

#define SF_ERROR_INIT {0, {0}}

/*
 * Record code and a printf-style message in err (which may be NULL) and
 * return code, so callers can write `return sf_error_set(err, ...)`.
 * The first error wins: a later call does not overwrite an earlier one
 * unless the earlier code is SF_OK.
 */
int sf_error_set(sf_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clear err back to SF_OK. */
void sf_error_clear(sf_error *err);

/* Stable short name of a code ("parse", "digest", ...), used in results,
 * logs and metric labels. Never NULL. */
const char *sf_err_name(int code);

/* Kind of a code; see sf_err_kind_t. */
sf_err_kind_t sf_err_kind(int code);

/* Name of a kind: "ok", "retriable", "image", "fatal". */
const char *sf_err_kind_name(sf_err_kind_t kind);

#endif
