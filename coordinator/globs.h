/*
 * globs: "does any of these fnmatch globs match" for the coordinator's
 * filters (repositories and tags in enumerate, exempt namespaces and
 * insecure registries in admission). Flags 0: '*' also matches '/', so
 * a glob ending in a star covers nested repositories too.
 */
#ifndef SF_COORD_GLOBS_H
#define SF_COORD_GLOBS_H

#include <stddef.h>

/* 1 when one of globs[0..n) matches s, else 0 (n 0: 0). */
int sf_globs_any(const char *const *globs, size_t n, const char *s);

#endif
