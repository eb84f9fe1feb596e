/*
 * metrics: see metrics.h. A registry is a list of families under one
 * mutex (taken only to register and to render); a family is a list of
 * series under its own mutex. Values are doubles, which count exactly up
 * to 2^53 — far past any counter a process reaches.
 */
#include "base/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"

typedef struct mseries {
    char **lv;        /* label values (family nlabels of them) */
    double value;     /* counter/gauge value; histogram sum */
    double count;     /* histogram observation count */
    double *buckets;  /* histogram: non-cumulative counts per bound (+1 for +Inf) */
} mseries;

struct sf_mfam {
    char *name, *help;
    sf_mtype type;
    char *labels[SF_METRIC_MAX_LABELS];
    size_t nlabels;
    double bounds[SF_METRIC_MAX_BUCKETS];
    size_t nbounds;
    pthread_mutex_t mu;
    mseries *series;
    size_t nseries, capseries;
    struct sf_mfam *next;
};

struct sf_metrics {
    pthread_mutex_t mu;
    sf_mfam *head, *tail;
};

static const double default_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                        2.5,   5,    10,    30,   60,  120, 300, 600};

int sf_metrics_new(sf_metrics **out)
{
    sf_metrics *m = calloc(1, sizeof *m);
    *out = m;
    if (!m)
        return SF_ENOMEM;
    pthread_mutex_init(&m->mu, NULL);
    return SF_OK;
}

static void fam_free(sf_mfam *f)
{
    for (size_t i = 0; i < f->nseries; i++) {
        sf_strarr_free(f->series[i].lv, f->nlabels);
        free(f->series[i].buckets);
    }
    for (size_t j = 0; j < f->nlabels; j++)
        free(f->labels[j]);
    free(f->series);
    free(f->name);
    free(f->help);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void sf_metrics_free(sf_metrics *m)
{
    if (!m)
        return;
    for (sf_mfam *f = m->head, *n; f; f = n) {
        n = f->next;
        fam_free(f);
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static sf_metrics *g_default;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static void default_init(void) { sf_metrics_new(&g_default); }

sf_metrics *sf_metrics_default(void)
{
    pthread_once(&g_once, default_init);
    return g_default;
}

static int name_ok(const char *s, int allow_colon)
{
    if (!s || !*s || strlen(s) > 200)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (allow_colon && c == ':') || (p != s && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

/* Split "a,b" into f->labels. */
static int set_labels(sf_mfam *f, const char *labels)
{
    if (!labels || !*labels)
        return SF_OK;
    const char *p = labels;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (f->nlabels == SF_METRIC_MAX_LABELS)
            return SF_EINVAL;
        char *l = sf_strndup(p, n);
        if (!l)
            return SF_ENOMEM;
        f->labels[f->nlabels++] = l;
        if (!name_ok(l, 0) || strncmp(l, "__", 2) == 0 || strcmp(l, "le") == 0)
            return SF_EINVAL;
        p += n + (e ? 1 : 0);
    }
    return SF_OK;
}

static mseries *series_get(sf_mfam *f, const char *const *lv, int create);

static sf_mfam *reg(sf_metrics *m, const char *name, const char *help, const char *labels,
                    sf_mtype type, const double *bounds, size_t nb)
{
    if (!m || !name_ok(name, 1) || nb > SF_METRIC_MAX_BUCKETS)
        return NULL;
    pthread_mutex_lock(&m->mu);
    sf_mfam *f = m->head;
    for (; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            break;
    if (f) {
        pthread_mutex_unlock(&m->mu);
        return f->type == type ? f : NULL;
    }
    f = calloc(1, sizeof *f);
    int ok = f != NULL;
    if (ok) {
        pthread_mutex_init(&f->mu, NULL);
        f->type = type;
        f->name = sf_strdup(name);
        f->help = sf_strdup(help ? help : "");
        ok = f->name && f->help && set_labels(f, labels) == SF_OK;
    }
    if (ok && type == SF_MHISTOGRAM) {
        if (!bounds) {
            bounds = default_bounds;
            nb = sizeof default_bounds / sizeof default_bounds[0];
        }
        for (size_t i = 0; i < nb; i++)
            if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
                ok = 0;
        if (ok) {
            memcpy(f->bounds, bounds, nb * sizeof *bounds);
            f->nbounds = nb;
        }
    }
    if (!ok) {
        if (f)
            fam_free(f);
        pthread_mutex_unlock(&m->mu);
        return NULL;
    }
    /* A family without labels has exactly one series: show it as 0 from
     * the start so dashboards see the metric before its first event. */
    if (f->nlabels == 0 && !series_get(f, NULL, 1)) {
        fam_free(f);
        pthread_mutex_unlock(&m->mu);
        return NULL;
    }
    if (m->tail)
        m->tail->next = f;
    else
        m->head = f;
    m->tail = f;
    pthread_mutex_unlock(&m->mu);
    return f;
}

sf_mfam *sf_metrics_counter(sf_metrics *m, const char *name, const char *help, const char *labels)
{
    return reg(m, name, help, labels, SF_MCOUNTER, NULL, 0);
}

sf_mfam *sf_metrics_gauge(sf_metrics *m, const char *name, const char *help, const char *labels)
{
    return reg(m, name, help, labels, SF_MGAUGE, NULL, 0);
}

sf_mfam *sf_metrics_histogram(sf_metrics *m, const char *name, const char *help,
                              const char *labels, const double *bounds, size_t nb)
{
    return reg(m, name, help, labels, SF_MHISTOGRAM, bounds, nb);
}

/* Find or create the series for lv. Caller holds f->mu. */
static mseries *series_get(sf_mfam *f, const char *const *lv, int create)
{
    for (size_t i = 0; i < f->nseries; i++) {
        size_t j = 0;
        for (; j < f->nlabels; j++)
            if (strcmp(f->series[i].lv[j], lv[j] ? lv[j] : "") != 0)
                break;
        if (j == f->nlabels)
            return &f->series[i];
    }
    if (!create || f->nseries >= SF_METRIC_MAX_SERIES)
        return NULL;
    mseries *ns = sf_array_grow(f->series, &f->capseries, f->nseries, sizeof *ns, 4, 0);
    if (!ns)
        return NULL;
    f->series = ns;
    mseries s = {0};
    s.lv = calloc(f->nlabels ? f->nlabels : 1, sizeof *s.lv);
    int ok = s.lv != NULL;
    for (size_t j = 0; ok && j < f->nlabels; j++)
        ok = (s.lv[j] = sf_strdup(lv[j] ? lv[j] : "")) != NULL;
    if (ok && f->type == SF_MHISTOGRAM)
        ok = (s.buckets = calloc(f->nbounds + 1, sizeof *s.buckets)) != NULL;
    if (!ok) {
        sf_strarr_free(s.lv, f->nlabels);
        free(s.buckets);
        return NULL;
    }
    f->series[f->nseries] = s;
    return &f->series[f->nseries++];
}

static void update(sf_mfam *f, const char *const *lv, double v, int op)
{
    if (!f || (f->nlabels && !lv) || isnan(v))
        return;
    pthread_mutex_lock(&f->mu);
    mseries *s = series_get(f, lv, 1);
    if (s) {
        if (op == 0 && (f->type == SF_MGAUGE || v >= 0))
            s->value += v;
        else if (op == 1 && f->type == SF_MGAUGE)
            s->value = v;
        else if (op == 2 && f->type == SF_MHISTOGRAM) {
            size_t b = 0;
            while (b < f->nbounds && v > f->bounds[b])
                b++;
            s->buckets[b] += 1;
            s->count += 1;
            s->value += v;
        }
    }
    pthread_mutex_unlock(&f->mu);
}

void sf_metric_add(sf_mfam *f, const char *const *lv, double v)
{
    if (f && f->type != SF_MHISTOGRAM)
        update(f, lv, v, 0);
}
void sf_metric_set(sf_mfam *f, const char *const *lv, double v) { update(f, lv, v, 1); }
void sf_metric_observe(sf_mfam *f, const char *const *lv, double v) { update(f, lv, v, 2); }

void sf_metric_inc(sf_mfam *f, const char *label_value)
{
    if (f)
        sf_metric_add(f, f->nlabels ? SF_LV(label_value) : NULL, 1);
}

double sf_metric_value(sf_mfam *f, const char *const *lv)
{
    if (!f || (f->nlabels && !lv))
        return 0;
    pthread_mutex_lock(&f->mu);
    mseries *s = series_get(f, lv, 0);
    double v = !s ? 0 : f->type == SF_MHISTOGRAM ? s->count : s->value;
    pthread_mutex_unlock(&f->mu);
    return v;
}

/* Escape per the exposition format: help escapes \ and newline; label
 * values also escape the double quote. */
static int put_escaped(sf_buf *out, const char *s, int quote)
{
    int rc = SF_OK;
    for (; *s && rc == SF_OK; s++) {
        if (*s == '\\')
            rc = sf_buf_puts(out, "\\\\");
        else if (*s == '\n')
            rc = sf_buf_puts(out, "\\n");
        else if (quote && *s == '"')
            rc = sf_buf_puts(out, "\\\"");
        else
            rc = sf_buf_append(out, s, 1);
    }
    return rc;
}

/* The shortest decimal that reads back as v: 0.005 prints "0.005", not
 * "0.0050000000000000001" (which %.17g gives), as a person wrote it. */
static void shortest(char *out, size_t n, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static int put_num(sf_buf *out, double v)
{
    char s[40];
    if (isinf(v))
        return sf_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    if (v == floor(v) && fabs(v) < 1e15)
        return sf_buf_printf(out, "%.0f", v);
    shortest(s, sizeof s, v);
    return sf_buf_puts(out, s);
}

/* `{a="x",b="y"` plus an optional extra label (le) and the closing brace. */
static int put_labels(sf_buf *out, const sf_mfam *f, const mseries *s, const char *le)
{
    if (!f->nlabels && !le)
        return SF_OK;
    int rc = sf_buf_puts(out, "{");
    for (size_t j = 0; rc == SF_OK && j < f->nlabels; j++) {
        rc = sf_buf_printf(out, "%s%s=\"", j ? "," : "", f->labels[j]);
        if (rc == SF_OK)
            rc = put_escaped(out, s->lv[j], 1);
        if (rc == SF_OK)
            rc = sf_buf_puts(out, "\"");
    }
    if (rc == SF_OK && le)
        rc = sf_buf_printf(out, "%sle=\"%s\"", f->nlabels ? "," : "", le);
    return rc == SF_OK ? sf_buf_puts(out, "}") : rc;
}

static int render_series(sf_buf *out, const sf_mfam *f, const mseries *s)
{
    int rc = SF_OK;
    if (f->type != SF_MHISTOGRAM) {
        rc = sf_buf_puts(out, f->name);
        if (rc == SF_OK)
            rc = put_labels(out, f, s, NULL);
        if (rc == SF_OK)
            rc = sf_buf_puts(out, " ");
        if (rc == SF_OK)
            rc = put_num(out, s->value);
        return rc == SF_OK ? sf_buf_puts(out, "\n") : rc;
    }
    double cum = 0;
    for (size_t b = 0; rc == SF_OK && b <= f->nbounds; b++) {
        char le[64];
        cum += s->buckets[b];
        if (b < f->nbounds)
            shortest(le, sizeof le, f->bounds[b]);
        else
            snprintf(le, sizeof le, "+Inf");
        rc = sf_buf_printf(out, "%s_bucket", f->name);
        if (rc == SF_OK)
            rc = put_labels(out, f, s, le);
        if (rc == SF_OK)
            rc = sf_buf_puts(out, " ");
        if (rc == SF_OK)
            rc = put_num(out, cum);
        if (rc == SF_OK)
            rc = sf_buf_puts(out, "\n");
    }
    const char *suffix[2] = {"_sum", "_count"};
    double vals[2] = {s->value, s->count};
    for (int k = 0; rc == SF_OK && k < 2; k++) {
        rc = sf_buf_printf(out, "%s%s", f->name, suffix[k]);
        if (rc == SF_OK)
            rc = put_labels(out, f, s, NULL);
        if (rc == SF_OK)
            rc = sf_buf_puts(out, " ");
        if (rc == SF_OK)
            rc = put_num(out, vals[k]);
        if (rc == SF_OK)
            rc = sf_buf_puts(out, "\n");
    }
    return rc;
}

int sf_metrics_render(sf_metrics *m, sf_buf *out)
{
    static const char *tnames[] = {"counter", "gauge", "histogram"};
    int rc = SF_OK;
    if (!m)
        return SF_EINVAL;
    pthread_mutex_lock(&m->mu);
    for (sf_mfam *f = m->head; f && rc == SF_OK; f = f->next) {
        rc = sf_buf_printf(out, "# HELP %s ", f->name);
        if (rc == SF_OK)
            rc = put_escaped(out, f->help, 0);
        if (rc == SF_OK)
            rc = sf_buf_printf(out, "\n# TYPE %s %s\n", f->name, tnames[f->type]);
        pthread_mutex_lock(&f->mu);
        for (size_t i = 0; rc == SF_OK && i < f->nseries; i++)
            rc = render_series(out, f, &f->series[i]);
        pthread_mutex_unlock(&f->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}
