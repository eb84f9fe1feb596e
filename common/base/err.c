/*
 * err: names and kinds of the sf_code values, and sf_error helpers.
 * The table is indexed by -code so adding a code means one new row.
 */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    sf_err_kind_t kind;
} err_table[] = {
    [0] = {"ok", SF_KIND_OK},
    [1] = {"nomem", SF_KIND_FATAL},
    [2] = {"invalid", SF_KIND_IMAGE},
    [3] = {"parse", SF_KIND_IMAGE},
    [4] = {"limit", SF_KIND_IMAGE},
    [5] = {"digest", SF_KIND_IMAGE},
    [6] = {"io", SF_KIND_RETRIABLE},
    [7] = {"notfound", SF_KIND_IMAGE},
    [8] = {"auth", SF_KIND_IMAGE},
    [9] = {"unsupported", SF_KIND_IMAGE},
    [10] = {"network", SF_KIND_RETRIABLE},
    [11] = {"timeout", SF_KIND_RETRIABLE},
    [12] = {"ratelimit", SF_KIND_RETRIABLE},
    [13] = {"server", SF_KIND_RETRIABLE},
    [14] = {"kafka", SF_KIND_RETRIABLE},
    [15] = {"redis", SF_KIND_RETRIABLE},
    [16] = {"exists", SF_KIND_RETRIABLE},
    [17] = {"canceled", SF_KIND_RETRIABLE},
    [18] = {"internal", SF_KIND_FATAL},
    [19] = {"config", SF_KIND_FATAL},
    [20] = {"db", SF_KIND_FATAL},
};

int sf_error_set(sf_error *err, int code, const char *fmt, ...)
{
    if (err && err->code == SF_OK) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void sf_error_clear(sf_error *err)
{
    if (err) {
        err->code = SF_OK;
        err->msg[0] = '\0';
    }
}

const char *sf_err_name(int code)
{
    if (code > 0 || code < SF_ECODE_MIN)
        return "unknown";
    return err_table[-code].name;
}

sf_err_kind_t sf_err_kind(int code)
{
    if (code > 0 || code < SF_ECODE_MIN)
        return SF_KIND_FATAL;
    return err_table[-code].kind;
}

const char *sf_err_kind_name(sf_err_kind_t kind)
{
    static const char *names[] = {"ok", "retriable", "image", "fatal"};
    return (unsigned)kind < 4 ? names[kind] : "unknown";
}
