/*
 * enum_select: the repository and tag filters of enumeration
 * (enumerate.h: sf_enum_repo_selected, sf_enum_tag_cmp,
 * sf_enum_select_tags), kept apart from the crawl and the collector so
 * each file stays one job. Pure functions over the registry's config.
 */
#include <stdlib.h>
#include <string.h>

#include "enumerate.h"
#include "globs.h"

static int match_any(const sf_strlist *globs, const char *s)
{
    return sf_globs_any((const char *const *)globs->v, globs->n, s);
}

int sf_enum_repo_selected(const sf_regcfg *r, const char *repo)
{
    if (r->include.n && !match_any(&r->include, repo))
        return 0;
    return !match_any(&r->exclude, repo);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int sf_enum_tag_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (is_digit(*a) && is_digit(*b)) {
            while (*a == '0' && is_digit(a[1]))
                a++;
            while (*b == '0' && is_digit(b[1]))
                b++;
            size_t la = 0, lb = 0;
            while (is_digit(a[la]))
                la++;
            while (is_digit(b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = memcmp(a, b, la);
            if (c)
                return c < 0 ? -1 : 1;
            a += la, b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++, b++;
    }
    return *a ? 1 : (*b ? -1 : 0);
}

static int cmp_tag_ptr(const void *x, const void *y)
{
    int c = sf_enum_tag_cmp(*(char *const *)x, *(char *const *)y);
    return c ? c : strcmp(*(char *const *)x, *(char *const *)y);
}

size_t sf_enum_select_tags(const sf_regcfg *r, const regex_t *re, char **tags, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int keep = (!r->tag_include.n || match_any(&r->tag_include, tags[i])) &&
                   !match_any(&r->tag_exclude, tags[i]) &&
                   (!re || regexec(re, tags[i], 0, NULL, 0) == 0);
        if (keep)
            tags[k++] = tags[i];
        else
            free(tags[i]);
    }
    if (r->tag_newest > 0 && k > (size_t)r->tag_newest) {
        qsort(tags, k, sizeof *tags, cmp_tag_ptr);
        size_t drop = k - (size_t)r->tag_newest;
        for (size_t i = 0; i < drop; i++)
            free(tags[i]);
        memmove(tags, tags + drop, (size_t)r->tag_newest * sizeof *tags);
        k = (size_t)r->tag_newest;
    }
    return k;
}
