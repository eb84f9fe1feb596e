/* agg_dump: see agg_dump.h. */
#include "agg_dump.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static sf_kv_reply *cmd(sf_kv *kv, const char *route, int argc, const char **argv)
{
    sf_kv_reply *r = NULL;
    assert_int_equal(sf_kv_argv(kv, route, argc, argv, NULL, &r, NULL), SF_OK);
    return r;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The elements of reply v as strings, pairs joined (field=value,
 * member=score) when paired, sorted. */
static void elements(const sf_kv_reply *v, int paired, sf_buf *line)
{
    size_t ne = v->type == SF_KV_ARR ? v->nelem : 1, step = paired ? 2 : 1;
    char **el = calloc(ne + 1, sizeof *el);
    size_t n = 0;
    for (size_t j = 0; j + step <= ne; j += step) {
        const sf_kv_reply *x = v->type == SF_KV_ARR ? &v->elem[j] : v;
        sf_buf e;
        sf_buf_init(&e, 0);
        sf_buf_puts(&e, x->str ? x->str : "(nil)");
        if (paired)
            sf_buf_printf(&e, "=%s", v->elem[j + 1].str ? v->elem[j + 1].str : "(nil)");
        el[n++] = sf_buf_steal(&e, NULL);
    }
    qsort(el, n, sizeof *el, cmp_str);
    for (size_t j = 0; j < n; j++) {
        sf_buf_printf(line, " [%s]", el[j]);
        free(el[j]);
    }
    free(el);
}

void sf_t_agg_dump(sf_kv *kv, const char *prefix, sf_buf *out)
{
    char pat[96];
    snprintf(pat, sizeof pat, "%s:*", prefix);
    const char *kargv[] = {"KEYS", pat};
    sf_kv_reply *keys = cmd(kv, prefix, 2, kargv);
    assert_int_equal(keys->type, SF_KV_ARR);
    char **lines = calloc(keys->nelem + 1, sizeof *lines);
    size_t nl = 0;
    for (size_t i = 0; i < keys->nelem; i++) {
        const char *k = keys->elem[i].str;
        if (strstr(k, ":progress"))
            continue;
        const char *targv[] = {"TYPE", k};
        sf_kv_reply *t = cmd(kv, prefix, 2, targv);
        const char *q[5] = {NULL};
        int qn = 2, paired = 0;
        if (!strcmp(t->str, "hash"))
            q[0] = "HGETALL", paired = 1;
        else if (!strcmp(t->str, "set"))
            q[0] = "SMEMBERS";
        else if (!strcmp(t->str, "zset"))
            q[0] = "ZRANGE", q[2] = "0", q[3] = "-1", q[4] = "WITHSCORES", qn = 5, paired = 1;
        else
            q[0] = "GET";
        q[1] = k;
        sf_kv_reply *v = cmd(kv, prefix, qn, q);
        sf_buf line;
        sf_buf_init(&line, 0);
        sf_buf_printf(&line, "%s %s", k + strlen(prefix), t->str);
        elements(v, paired, &line);
        lines[nl++] = sf_buf_steal(&line, NULL);
        sf_kv_reply_free(v);
        sf_kv_reply_free(t);
    }
    qsort(lines, nl, sizeof *lines, cmp_str);
    for (size_t i = 0; i < nl; i++) {
        sf_buf_printf(out, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    sf_kv_reply_free(keys);
}

int sf_t_agg_same_dumps(const sf_buf *a, const sf_buf *b, const char *name)
{
    char na[96], nb[96];
    if (a->len == b->len && memcmp(a->data, b->data, a->len) == 0)
        return 1;
    snprintf(na, sizeof na, "%s.a.txt", name);
    snprintf(nb, sizeof nb, "%s.b.txt", name);
    FILE *fa = fopen(na, "w"), *fb = fopen(nb, "w");
    if (fa && fb)
        fputs(a->data, fa), fputs(b->data, fb);
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    fprintf(stderr, "different fleet views: see %s and %s\n", na, nb);
    return 0;
}
