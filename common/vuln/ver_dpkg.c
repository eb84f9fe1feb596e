/*
 * ver_dpkg: Debian/Ubuntu version order, as dpkg's verrevcmp and
 * dpkg_version_compare (deb-version(7)).
 *
 * [epoch:]upstream[-revision]: the epoch is the digits before the first
 * ':', the revision what follows the last '-'. Each part is compared as
 * alternating non-digit and digit runs: non-digit runs character by
 * character with '~' before everything (even the end of the part), then
 * the end, then letters, then all other bytes; digit runs by numeric
 * value (compared as strings, so no length overflows).
 *
 * Invalid input: a non-numeric epoch ("a:1") is not an epoch, the whole
 * string is then read as upstream[-revision] with epoch 0. That keeps the
 * mapping string -> (epoch, upstream, revision) a function, so the order
 * stays total on any input.
 */
#include <stddef.h>
#include <string.h>

#include "vuln/ver.h"
#include "vuln/ver_int.h"

/* dpkg's epoch: all that precedes the first ':' when it is digits; the
 * upstream version is v's ver, the revision its rel. */
static void dpkg_split(const char *s, sf_ver__evr *v)
{
    const char *colon = strchr(s, ':');
    v->epoch = s;
    v->epoch_n = 0;
    if (colon && colon > s && sf_ver__digits(s, (size_t)(colon - s)) == (size_t)(colon - s)) {
        v->epoch_n = (size_t)(colon - s);
        s = colon + 1;
    }
    sf_ver__evr_split_rest(s, v);
}

/* Weight of the byte at p in a non-digit run; 0 at the end (p == end)
 * and for a digit, which ends the run. */
static int order(const char *p, const char *end)
{
    if (p >= end)
        return 0;
    unsigned char c = (unsigned char)*p;
    if (sf_ver__isdigit(c))
        return 0;
    if (sf_ver__isalpha(c))
        return c;
    if (c == '~')
        return -1;
    return c + 256;
}

/* dpkg's verrevcmp over the byte ranges [a, ae) and [b, be). */
static int verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
    while (a < ae || b < be) {
        while ((a < ae && !sf_ver__isdigit((unsigned char)*a)) ||
               (b < be && !sf_ver__isdigit((unsigned char)*b))) {
            int ac = order(a, ae), bc = order(b, be);
            if (ac != bc)
                return ac < bc ? -1 : 1;
            a++;
            b++;
        }
        int r = sf_ver__numstep(&a, ae, &b, be);
        if (r != 0)
            return r;
    }
    return 0;
}

int sf_ver_cmp_dpkg(const char *a, const char *b)
{
    sf_ver__evr va, vb;
    dpkg_split(a ? a : "", &va);
    dpkg_split(b ? b : "", &vb);
    return sf_ver__evr_cmp(&va, &vb, verrevcmp);
}

/* Allowed bytes of the upstream part (the revision also forbids '-',
 * which the split guarantees, and ':'). */
static int up_char(unsigned char c)
{
    return sf_ver__isalnum(c) || c == '.' || c == '+' || c == '-' || c == '~' || c == ':';
}

/*
 * As dpkg's parseversion, treating its warnings as errors: non-empty,
 * numeric epoch (if any), upstream non-empty and starting with a digit,
 * allowed characters only, a '-' implies a non-empty revision.
 */
int sf_ver__valid_dpkg(const char *s)
{
    sf_ver__evr v;
    const char *colon = strchr(s, ':');
    if (colon && (colon == s || sf_ver__digits(s, (size_t)(colon - s)) != (size_t)(colon - s)))
        return 0;
    if (colon && sf_ver__numcmp(s, (size_t)(colon - s), "2147483647", 10) > 0)
        return 0; /* dpkg: the epoch must fit an int */
    dpkg_split(s, &v);
    if (v.ver == v.ver_end || !sf_ver__isdigit((unsigned char)v.ver[0]))
        return 0;
    for (const char *p = v.ver; p < v.ver_end; p++)
        if (!up_char((unsigned char)*p))
            return 0;
    if (*v.ver_end == '-' && v.rel == v.rel_end)
        return 0;
    for (const char *p = v.rel; p < v.rel_end; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(sf_ver__isalnum(c) || c == '.' || c == '+' || c == '~'))
            return 0;
    }
    return 1;
}
