/*
 * metrics: a Prometheus metrics registry (counters, gauges, histograms,
 * each a *family* with up to SF_METRIC_MAX_LABELS label names) and its
 * text exposition format 0.0.4.
 *
 * A family is registered once by name (registering the same name and type
 * again returns the same family, so modules need no init order); each
 * distinct tuple of label values is a series created on first use. All
 * updates are thread-safe (one mutex per family: updates are a few per
 * job or layer, never per byte).
 *
 * Global state: sf_metrics_default() is the process registry (STYLE §12
 * allows config, log sink and metrics to be global).
 */
#ifndef SF_METRICS_H
#define SF_METRICS_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

#define SF_METRIC_MAX_LABELS 4
/* Series per family: label values come from code-defined sets (outcome,
 * error kind, cache state), never from image data; the cap stops a bug
 * from turning the registry into a memory leak. */
#define SF_METRIC_MAX_SERIES 1024
#define SF_METRIC_MAX_BUCKETS 32

typedef struct sf_metrics sf_metrics;
typedef struct sf_mfam sf_mfam;

typedef enum sf_mtype { SF_MCOUNTER = 0, SF_MGAUGE, SF_MHISTOGRAM } sf_mtype;

int sf_metrics_new(sf_metrics **out);
void sf_metrics_free(sf_metrics *m);
/* The process registry (created on first use, never freed). */
sf_metrics *sf_metrics_default(void);

/*
 * Register (or find) a family. labels: comma-separated label names
 * ("outcome,kind") or NULL/"" for none. Names must match Prometheus rules
 * ([a-zA-Z_:][a-zA-Z0-9_:]*). Returns NULL on a bad name, a type clash
 * with an existing family, or no memory; updates through NULL are no-ops,
 * so a metrics bug never breaks scanning.
 */
sf_mfam *sf_metrics_counter(sf_metrics *m, const char *name, const char *help,
                            const char *labels);
sf_mfam *sf_metrics_gauge(sf_metrics *m, const char *name, const char *help, const char *labels);
/* bounds: ascending upper bounds (without +Inf), nb <= SF_METRIC_MAX_BUCKETS;
 * NULL = default latency buckets in seconds (0.005 .. 600). */
sf_mfam *sf_metrics_histogram(sf_metrics *m, const char *name, const char *help,
                              const char *labels, const double *bounds, size_t nb);

/* Label values in family order; exactly as many as the family has names
 * (NULL when it has none). Values are escaped on output. */
void sf_metric_add(sf_mfam *f, const char *const *lv, double v); /* counter (v >= 0) or gauge */
void sf_metric_set(sf_mfam *f, const char *const *lv, double v); /* gauge */
void sf_metric_observe(sf_mfam *f, const char *const *lv, double v); /* histogram */

/* Shorthands for families with zero or one label. */
void sf_metric_inc(sf_mfam *f, const char *label_value);
/* Current value of a counter/gauge series, or the count of a histogram
 * series (0 when the series does not exist). For tests and /healthz. */
double sf_metric_value(sf_mfam *f, const char *const *lv);

/* Append the text exposition of every family to out (families in
 * registration order, series in creation order). */
int sf_metrics_render(sf_metrics *m, sf_buf *out);

/* Label-value array literal: SF_LV("hit") or SF_LV("scan", "ok"). */
#define SF_LV(...) ((const char *const[]){__VA_ARGS__})

#endif
