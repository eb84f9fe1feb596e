/* What the suppression fuzz targets (ignore, vex) share: after a parse,
 * match a finding for the first rule's id against the rules produced, with
 * and without a package purl, then free everything. */
#ifndef SF_SUPP_FUZZ_COMMON_H
#define SF_SUPP_FUZZ_COMMON_H

#include <string.h>

#include "report/suppress.h"

static inline void supp_fuzz_match_and_free(sf_supp *s, int parsed)
{
    if (parsed && sf_supp_count(s) > 0) {
        sf_finding f;
        memset(&f, 0, sizeof f);
        f.id = sf_supp_rule_at(s, 0)->id;
        f.pkg_name = "openssl";
        (void)sf_supp_match(s, &f, "pkg:apk/alpine/openssl@1.1.1k-r0?arch=x86_64");
        (void)sf_supp_match(s, &f, NULL);
    }
    sf_supp_free(s);
}

#endif
