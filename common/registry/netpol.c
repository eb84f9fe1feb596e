/*
 * netpol: see netpol.h. Addresses are compared as 16-byte IPv6 values
 * (IPv4 as ::ffff:a.b.c.d) so one range table serves both families and
 * IPv4-mapped IPv6 cannot dodge an IPv4 rule.
 */
#include "registry/netpol.h"
#include "base/limits.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NETPOL_MAX_RANGES SF_LIM_NETPOL_RANGES

typedef struct range {
    unsigned char a[16];
    int bits;
} range;

struct sf_netpol {
    range allow[NETPOL_MAX_RANGES];
    size_t n;
};

/* The refused ranges and their classes. */
static const struct {
    const char *cidr;
    sf_netclass cls;
} blocked[] = {
    {"169.254.169.254/32", SF_NET_METADATA},
    {"fd00:ec2::254/128", SF_NET_METADATA},
    {"169.254.0.0/16", SF_NET_LINKLOCAL},
    {"fe80::/10", SF_NET_LINKLOCAL},
};

static int in_range(const unsigned char a[16], const range *r)
{
    int full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(a, r->a, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[full] & mask) == (r->a[full] & mask);
}

/* Parse "addr[/bits]" (v4 or v6) into r; -1 when malformed. */
static int parse_cidr(const char *s, range *r)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    struct in_addr v4;
    int max;
    memset(r->a, 0, sizeof r->a);
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        r->a[10] = r->a[11] = 0xff;
        memcpy(r->a + 12, &v4, 4);
        max = 32;
    } else if (inet_pton(AF_INET6, buf, r->a) == 1) {
        max = 128;
    } else {
        return -1;
    }
    long bits = max;
    if (slash) {
        char *end = NULL;
        bits = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || bits < 0 || bits > max)
            return -1;
    }
    r->bits = (int)bits + (max == 32 ? 96 : 0);
    return 0;
}

/* 16-byte form of sa; -1 when not IP. */
static int addr16(const struct sockaddr *sa, socklen_t len, unsigned char out[16])
{
    memset(out, 0, 16);
    if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

int sf_netpol_new(sf_netpol **out, const char *const *allow, size_t n, sf_error *err)
{
    *out = NULL;
    if (n > NETPOL_MAX_RANGES)
        return sf_error_set(err, SF_ECONFIG, "more than %d allowed address ranges",
                            NETPOL_MAX_RANGES);
    sf_netpol *p = calloc(1, sizeof *p);
    if (!p)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (parse_cidr(allow[i], &p->allow[i])) {
            free(p);
            return sf_error_set(err, SF_ECONFIG, "'%.64s' is not an address or CIDR range",
                                allow[i]);
        }
    }
    p->n = n;
    *out = p;
    return SF_OK;
}

void sf_netpol_free(sf_netpol *p) { free(p); }

sf_netclass sf_netpol_classify(const struct sockaddr *sa, socklen_t len)
{
    unsigned char a[16];
    if (addr16(sa, len, a))
        return SF_NET_OTHER;
    for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++) {
        range r;
        if (parse_cidr(blocked[i].cidr, &r) == 0 && in_range(a, &r))
            return blocked[i].cls;
    }
    return SF_NET_OTHER;
}

int sf_netpol_check_addr(const sf_netpol *p, const struct sockaddr *sa, socklen_t len,
                         sf_error *err)
{
    sf_netclass c = sf_netpol_classify(sa, len);
    if (c == SF_NET_OTHER)
        return SF_OK;
    unsigned char a[16];
    addr16(sa, len, a);
    for (size_t i = 0; p && i < p->n; i++)
        if (in_range(a, &p->allow[i]))
            return SF_OK;
    char shown[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, shown, sizeof shown);
    else
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, shown, sizeof shown);
    return sf_error_set(err, SF_EAUTH,
                        "connection to %s refused: %s address (allow it explicitly to use it)",
                        shown, c == SF_NET_METADATA ? "cloud metadata" : "link-local");
}

/* ---- host patterns ---- */

static int glob_at(const char *p, const char *s)
{
    /* Iterative '*' backtracking: linear in practice, never recursive. */
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*s != ':' &&
                   (*p == '?' || tolower((unsigned char)*p) == tolower((unsigned char)*s))) {
            p++, s++;
        } else if (*p == ':' && *s == ':') {
            p++, s++;
            star = NULL; /* a '*' never spans the host/port separator */
        } else if (star && *resume != ':') {
            p = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* Position of the port separator of "host[:port]" ([v6] aware), or NULL. */
static const char *port_sep(const char *hp)
{
    if (*hp == '[') {
        const char *e = strchr(hp, ']');
        return e && e[1] == ':' ? e + 1 : NULL;
    }
    return strrchr(hp, ':');
}

int sf_netpol_host_match(const char *pattern, const char *hostport)
{
    if (!pattern || !hostport || !*pattern)
        return 0;
    int pport = port_sep(pattern) != NULL, hport = port_sep(hostport) != NULL;
    if (pport != hport && !(pport && strcmp(port_sep(pattern), ":*") == 0))
        return 0;
    if (pport && !hport) { /* "host:*" also covers the default port */
        size_t n = (size_t)(port_sep(pattern) - pattern);
        char host[300];
        if (n >= sizeof host)
            return 0;
        memcpy(host, pattern, n);
        host[n] = '\0';
        return glob_at(host, hostport);
    }
    return glob_at(pattern, hostport);
}

static int valid_port(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
        return 0;
    long v = strtol(p, NULL, 10);
    return v >= 1 && v <= 65535;
}

int sf_netpol_valid_hostport(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 255)
        return 0;
    const char *sep = port_sep(s);
    size_t hl = sep ? (size_t)(sep - s) : n;
    if (sep && !valid_port(sep + 1))
        return 0;
    if (s[0] == '[') {
        char v6[64];
        struct in6_addr a;
        if (hl < 3 || s[hl - 1] != ']' || hl - 2 >= sizeof v6)
            return 0;
        memcpy(v6, s + 1, hl - 2);
        v6[hl - 2] = '\0';
        return inet_pton(AF_INET6, v6, &a) == 1;
    }
    if (hl == 0 || s[0] == '.' || s[0] == '-')
        return 0;
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '-' && c != '.' && c != '_')
            return 0;
    }
    return 1;
}
