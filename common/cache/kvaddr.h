/*
 * kvaddr: a Redis node address as users write it.
 *
 *   host:port  [v6]:port  host           (port 6379)
 *   redis://[[user]:password@]host[:port][/db]
 *   rediss://[[user]:password@]host[:port][/db]
 *
 * User and password in a URL are percent-decoded (a '@' or ':' in a
 * password is written %40, %3A). "rediss://" is the same with TLS
 * (tls = 1; port 6379 unless given). The node's name (logs, the
 * shard ring) is host[:port] as written, never the credentials, so the
 * two forms of one address shard the same.
 */
#ifndef SF_KVADDR_H
#define SF_KVADDR_H

#include <stddef.h>

#include "base/err.h"

typedef struct sf_kvaddr {
    char name[272]; /* host[:port] as written ("[v6]:port" for IPv6) */
    char host[256];
    int port;
    int db;         /* /db of a URL; -1 = none given */
    char *user;     /* NULL = none (AUTH password alone, or no AUTH) */
    char *pass;     /* NULL = no AUTH; secret (wiped by clear) */
    int tls;        /* 1: rediss:// */
} sf_kvaddr;

/* Parse s into a (zeroed first). SF_ECONFIG naming the problem, never the
 * password. */
int sf_kvaddr_parse(sf_kvaddr *a, const char *s, sf_error *err);
/* s with a URL's password replaced by "***" (into out, cut to cap), for
 * print-config and logs; other forms are copied as they are. */
void sf_kvaddr_redact(const char *s, char *out, size_t cap);

/* Free and wipe the credentials. */
void sf_kvaddr_clear(sf_kvaddr *a);

#endif
