/*
 * netpol: where registry traffic may go (SSRF defence). Two questions:
 *
 *  - may a job name this registry? Host patterns ("globs") matched
 *    against "host[:port]" (sf_netpol_host_match);
 *  - may a connection reach this address? Every socket libcurl opens for
 *    a registry, a redirect target or a token realm passes through
 *    sf_netpol_check_addr on the address actually connected to, so a
 *    DNS answer that changes between check and use (rebinding) cannot
 *    bypass it. Link-local and cloud metadata addresses (169.254.0.0/16,
 *    fe80::/10, fd00:ec2::254, and IPv4-mapped forms of them) are refused
 *    unless a configured range allows them explicitly.
 *
 * Thread safety: an sf_netpol is immutable after sf_netpol_new; share it.
 */
#ifndef SF_REG_NETPOL_H
#define SF_REG_NETPOL_H

#include <stddef.h>
#include <sys/socket.h>

#include "base/err.h"

/* What an address is, as far as the policy cares. */
typedef enum sf_netclass {
    SF_NET_OTHER = 0,   /* public, private, loopback: allowed */
    SF_NET_LINKLOCAL,   /* 169.254.0.0/16, fe80::/10: refused by default */
    SF_NET_METADATA,    /* 169.254.169.254, fd00:ec2::254: refused by default */
} sf_netclass;

typedef struct sf_netpol sf_netpol;

/* Policy allowing the link-local / metadata ranges in allow (CIDR text,
 * "169.254.10.0/24", "fe80::/10" or a single address), n entries.
 * SF_ECONFIG naming the bad entry. */
int sf_netpol_new(sf_netpol **out, const char *const *allow, size_t n, sf_error *err);
void sf_netpol_free(sf_netpol *p);

/* Class of a socket address (AF_INET / AF_INET6; others are OTHER). */
sf_netclass sf_netpol_classify(const struct sockaddr *sa, socklen_t len);

/* SF_OK when a connection to sa may be made under p (NULL = the default
 * policy: no link-local or metadata address); SF_EAUTH otherwise, with
 * the address in err. */
int sf_netpol_check_addr(const sf_netpol *p, const struct sockaddr *sa, socklen_t len,
                         sf_error *err);

/*
 * 1 when hostport ("host" or "host:port", host a DNS name, IPv4 or
 * [IPv6]) matches pattern. Host parts compare case-insensitively; '*'
 * matches any run of characters except ':' and '?' one such character.
 * A pattern without a port matches only a hostport without one (the
 * default port): "registry.example.com" does not allow
 * "registry.example.com:6379"; "registry.example.com:*" allows any port.
 */
int sf_netpol_host_match(const char *pattern, const char *hostport);

/* 1 when s is a well-formed "host[:port]" a registry reference may name:
 * a DNS name (letters, digits, '-', '.', '_'), an IPv4 address or a
 * bracketed IPv6 address, an optional decimal port 1-65535; at most 255
 * bytes. Anything else (paths, '@', spaces, control bytes) is refused
 * before it reaches a URL. */
int sf_netpol_valid_hostport(const char *s);

#endif
