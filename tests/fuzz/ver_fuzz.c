/*
 * Fuzz target for common/vuln/ver: the input is split at the first two
 * newlines into three strings a, b, c. For every scheme the comparator
 * must be reflexive, antisymmetric (sign(cmp(a,b)) == -sign(cmp(b,a)))
 * and transitive on the triple (a <= b <= c implies a <= c, with strict
 * and equal cases), and validity, ecosystem mapping and npm range
 * evaluation must not crash. A violation abort()s so libFuzzer keeps the
 * input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vuln/ver.h"

static int sgn(int v)
{
    return (v > 0) - (v < 0);
}

static void fail(const char *what, sf_verscheme s, const char *a, const char *b, const char *c)
{
    fprintf(stderr, "ver_fuzz: %s violated by %s on [%s] [%s] [%s]\n", what,
            sf_ver_scheme_name(s), a, b, c);
    abort();
}

static void check_scheme(sf_verscheme s, const char *a, const char *b, const char *c)
{
    if (sf_ver_cmp(s, a, a) != 0 || sf_ver_cmp(s, b, b) != 0)
        fail("reflexivity", s, a, b, c);
    int ab = sgn(sf_ver_cmp(s, a, b)), ba = sgn(sf_ver_cmp(s, b, a));
    int bc = sgn(sf_ver_cmp(s, b, c)), cb = sgn(sf_ver_cmp(s, c, b));
    int ac = sgn(sf_ver_cmp(s, a, c)), ca = sgn(sf_ver_cmp(s, c, a));
    if (ab != -ba || bc != -cb || ac != -ca)
        fail("antisymmetry", s, a, b, c);
    /* Transitivity over all orderings of the triple: if x R y and y R z
     * then x R z, for R in {<, ==}; mixed < and == give <. */
    const int m[3][3] = {{0, ab, ac}, {-ab, 0, bc}, {-ac, -bc, 0}};
    for (int x = 0; x < 3; x++)
        for (int y = 0; y < 3; y++)
            for (int z = 0; z < 3; z++) {
                if (x == y || y == z || x == z)
                    continue;
                int xy = m[x][y], yz = m[y][z], xz = m[x][z];
                if (xy <= 0 && yz <= 0 && xz != (xy < 0 || yz < 0 ? -1 : 0))
                    fail("transitivity", s, a, b, c);
            }
    (void)sf_ver_valid(s, a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *buf = malloc(size + 3);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    /* NULs inside the input end a string early: that is fine, C strings
     * are what the API takes. */
    char *a = buf, *b = buf + size + 1, *c = buf + size + 2;
    b[0] = c[0] = '\0';
    char *nl = memchr(a, '\n', size);
    if (nl) {
        *nl = '\0';
        b = nl + 1;
        char *nl2 = strchr(b, '\n');
        if (nl2) {
            *nl2 = '\0';
            c = nl2 + 1;
        }
    }
    for (int s = 0; s < SF_VS_COUNT; s++)
        check_scheme((sf_verscheme)s, a, b, c);
    int r = sf_semver_range_match(a, b);
    if (r != 0 && r != 1 && r >= 0)
        abort();
    (void)sf_semver_range_match(b, c);
    (void)sf_ver_scheme_for_ecosystem(a);
    free(buf);
    return 0;
}
