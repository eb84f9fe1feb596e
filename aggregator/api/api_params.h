/*
 * api_params: the list parameters of scanfarm-api, validated (every
 * malformed or unknown parameter is a 400 with its name and the reason).
 * Pure: no Redis, so the bad-input unit test and the fuzzer drive it.
 */
#ifndef SF_API_PARAMS_H
#define SF_API_PARAMS_H

#include <stddef.h>

#include "api_req.h"

/* The filter and paging parameters of a list. */
typedef struct sf_api_list_params {
    int sev[5];           /* 1 = this sf_sev selected (model/severity.h) */
    int nsev;
    int fixable;          /* -1 absent, 0 false, 1 true */
    int running;          /* -1 absent */
    double cvss_min;      /* < 0 absent */
    const char *registry, *repository, *tag, *ecosystem, *version, *new_since;
    const char *q;        /* name search (prefix of the name or a word) */
    char repo_full[1200]; /* repository qualified by registry when given apart */
    int sort;             /* index into the list's sort names */
    int desc;             /* 1 descending */
    int order_given;
    long limit;
    long offset;          /* decoded cursor */
    int runs;             /* history: how many runs */
} sf_api_list_params;

/* Parameters a list accepts, beyond limit/cursor/order/sort. */
enum {
    SF_API_P_SEVERITY = 1 << 0,
    SF_API_P_FIXABLE = 1 << 1,
    SF_API_P_REGISTRY = 1 << 2,
    SF_API_P_REPOSITORY = 1 << 3,
    SF_API_P_TAG = 1 << 4,
    SF_API_P_ECOSYSTEM = 1 << 5,
    SF_API_P_CVSS = 1 << 6,
    SF_API_P_RUNNING = 1 << 7,
    SF_API_P_VERSION = 1 << 8,
    SF_API_P_NEWSINCE = 1 << 9,
    SF_API_P_RUNS = 1 << 10,
    SF_API_P_PAGE = 1 << 11, /* limit, cursor, order */
    SF_API_P_Q = 1 << 12,
    SF_API_P_FILTERS = 0xff
};

/*
 * Validate req's query against `accepted` (SF_API_P_* bits) and the
 * list's sort names (NULL-terminated; sort absent = sorts[0]); max_page
 * caps limit. 0 ok; -1 with *param (the parameter's name) and why filled.
 */
int sf_api_params_parse(const sf_api_req *req, unsigned accepted, const char *const *sorts,
                        int default_desc, long max_page, sf_api_list_params *p,
                        const char **param, char *why, size_t whylen);

/* The opaque cursor of the page starting at offset. */
void sf_api_cursor_fmt(char *out, size_t outlen, long offset);

#endif
