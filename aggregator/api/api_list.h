/* api_list: the list engine over the aggregator's index (see api_list.c). */
#ifndef SF_API_LIST_H
#define SF_API_LIST_H

#include "api_int.h"
#include "api_params.h"

#define API_LST_MAX_KEYS 16
#define API_LST_MAX_NOT 4
#define API_LST_MAX_TMP 12

typedef struct api_lst {
    api_call *c;
    char keys[API_LST_MAX_KEYS][SF_KEY_MAX];
    int weights[API_LST_MAX_KEYS];
    size_t nk;
    char nots[API_LST_MAX_NOT][SF_KEY_MAX];
    size_t nnot;
    char tmps[API_LST_MAX_TMP][SF_KEY_MAX]; /* computed sets (cache keys) */
    size_t ntmp;
    sf_kv_reply *page, *card;
    size_t n;          /* members on the page */
    long long total;
    long next;         /* next page's offset, -1 none */
    sf_error err;
} api_lst;

/* Index kinds a list's filters map to (agg_index.c); running: what of
 * api_running_key. */
typedef struct api_lst_kinds {
    const char *sev, *fix, *reg, *repo, *tag, *eco, *cvss;
    int running;
} api_lst_kinds;

void api_lst_init(api_lst *l, api_call *c);
/* weight 1: the key's scores order the list; 0: members (lexical). */
int api_lst_base(api_lst *l, const char *key, int weight);
int api_lst_must(api_lst *l, const char *key);
int api_lst_not(api_lst *l, const char *key);
/* Members of the name index kind (pname, reponame) whose name or one of
 * its words starts with q, case-insensitively (ASCII). */
int api_lst_name(api_lst *l, const char *kind, const char *q);
int api_lst_any(api_lst *l, const char keys[][SF_KEY_MAX], size_t n);
/* Base = every member of `all`, scored by `score` (0 when absent there). */
int api_lst_sortby(api_lst *l, const char *all, const char *score);
/* Members of key with score >= min (> min when exclusive). */
int api_lst_min(api_lst *l, const char *key, double min, int exclusive);
/* 0 ok; 1 nothing can match (empty list); < 0 failed (l->err for Redis). */
int api_lst_filters(api_lst *l, const sf_api_list_params *p, const api_lst_kinds *k);
int api_lst_run(api_lst *l, int desc, long offset, long limit);
const char *api_lst_member(const api_lst *l, size_t i);
double api_lst_score(const api_lst *l, size_t i);
/* The page envelope around items (stolen), built with b. */
json_t *api_lst_envelope(sf_jb *b, const api_lst *l, json_t *items);
void api_lst_done(api_lst *l);

/* Severity names in index order. */
const char *sf_api_sev_name(int s);

/* Parse the list parameters of c's request or answer 400 (-1). */
int api_params(api_call *c, unsigned accepted, const char *const *sorts, int default_desc,
               sf_api_list_params *p);

#endif
