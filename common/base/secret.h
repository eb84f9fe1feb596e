/*
 * secret: reading a secret (a password, a client secret) from a file, the
 * way Kubernetes and Docker mount them: the whole file, without its
 * trailing newline, at most SF_LIM_SECRET_FILE_BYTES. Callers wipe the
 * result (sf_secret_free) instead of just freeing it.
 */
#ifndef SF_SECRET_H
#define SF_SECRET_H

#include "base/err.h"

/* *out = the content of path (malloc'd). SF_ECONFIG "<what>: cannot open
 * <path>" / "... unreadable or over N bytes"; never shows the content. */
int sf_secret_read_file(const char *path, const char *what, char **out, sf_error *err);

/* Wipe and free s (NULL is fine). */
void sf_secret_free(char *s);

#endif
