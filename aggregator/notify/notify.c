/*
 * notify: rules x delta -> notifications -> sinks, with dedup and DLQ
 * (see notify.h).
 */
#include "notify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/time.h"
#include "cache/keys.h"
#include "notify_int.h"

/* Longest registry / repository part of a reference we match on. */
#define REF_PART_MAX 512

int sf_notify_new(sf_notify **out, const sf_notify_opts *o, sf_error *err)
{
    *out = NULL;
    sf_notify *n = calloc(1, sizeof *n);
    if (!n)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    n->o = *o;
    if (!n->o.prefix)
        n->o.prefix = SF_KEY_PREFIX_DEFAULT;
    if (n->o.dedup_ttl_ms <= 0)
        n->o.dedup_ttl_ms = 30LL * 24 * 3600 * 1000;
    if (!n->o.dlq_topic)
        n->o.dlq_topic = "scanfarm.notify.dlq";
    for (size_t i = 0; o->rules && i < o->rules->nrules; i++)
        n->uses_running |= o->rules->rules[i].running >= 0;
    n->total = sf_metrics_counter(o->metrics ? o->metrics : sf_metrics_default(),
                                  "scanfarm_notify_notifications_total",
                                  "Notifications by sink and outcome (sent, failed, deduplicated)",
                                  "sink,outcome");
    *out = n;
    return SF_OK;
}

void sf_notify_free(sf_notify *n)
{
    if (!n)
        return;
    sf_running_clear(&n->running);
    free(n);
}

static long long mono_ms(void)
{
    return (long long)sf_time_mono_ms();
}

int sf_notify_running(sf_notify *n, const sf_ndelta *d)
{
    json_t *r = json_object_get(d->doc, "running");
    if (json_is_boolean(r))
        return json_is_true(r);
    if (!n->uses_running || !n->o.kv)
        return -1;
    long long now = mono_ms();
    if (!n->running_at || now - n->running_at > SF_NOTIFY_RUNNING_TTL_MS) {
        sf_running fresh = {0};
        sf_error e = SF_ERROR_INIT;
        if (sf_running_load(n->o.kv, n->o.prefix, NULL, &fresh, &e) != SF_OK) {
            SF_WARN("notify", "running inventory not read|reason=%s", e.msg);
            sf_running_clear(&fresh);
            return -1;
        }
        sf_running_clear(&n->running);
        n->running = fresh;
        n->running_at = now;
    }
    if (!n->running.n)
        return -1; /* no inventory: nobody knows */
    const char *idx = json_string_value(json_object_get(d->doc, "index_digest"));
    const char *plat = json_string_value(json_object_get(d->doc, "platform"));
    return sf_running_count_image(&n->running, d->digest, idx, plat) > 0;
}

double sf_notify_count(sf_notify *n, const char *sink, const char *outcome)
{
    return sf_metric_value(n->total, SF_LV(sink, outcome));
}

int sf_notify_seen(sf_notify *n, const char *sink, const char *id, int *seen, sf_error *err)
{
    char key[SF_KEY_MAX];
    *seen = 0;
    if (!n->o.kv)
        return SF_OK;
    int rc = sf_keys_notify(key, n->o.prefix, "sent", sink, id, err);
    return rc ? rc : sf_kv_exists(n->o.kv, key, key, seen, err);
}

int sf_notify_mark(sf_notify *n, const char *sink, const char *id, sf_error *err)
{
    char key[SF_KEY_MAX];
    if (!n->o.kv)
        return SF_OK;
    int rc = sf_keys_notify(key, n->o.prefix, "sent", sink, id, err);
    return rc ? rc : sf_kv_set(n->o.kv, key, key, "1", 1, n->o.dedup_ttl_ms, err);
}

int sf_notify_issue_get(sf_notify *n, const char *sink, const char *id, long *num, sf_error *err)
{
    char key[SF_KEY_MAX];
    sf_buf v;
    int found = 0, rc;
    *num = 0;
    if (!n->o.kv)
        return SF_OK;
    sf_buf_init(&v, 32);
    if ((rc = sf_keys_notify(key, n->o.prefix, "issue", sink, id, err)) == SF_OK)
        rc = sf_kv_get(n->o.kv, key, key, &v, &found, err);
    *num = found && v.data ? strtol(v.data, NULL, 10) : 0;
    sf_buf_free(&v);
    return rc;
}

int sf_notify_issue_put(sf_notify *n, const char *sink, const char *id, long num, sf_error *err)
{
    char key[SF_KEY_MAX], v[32];
    if (!n->o.kv)
        return SF_OK;
    int rc = sf_keys_notify(key, n->o.prefix, "issue", sink, id, err);
    snprintf(v, sizeof v, "%ld", num);
    return rc ? rc : sf_kv_set(n->o.kv, key, key, v, strlen(v), 0, err);
}

static void now_rfc3339(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int sf_notify_dead_letter(sf_notify *n, const char *sink, const char *id, const char *digest,
                          const sf_error *why, const char *payload, sf_error *err)
{
    char at[32];
    now_rfc3339(at, sizeof at);
    char *e = sf_nmsg_dlq(sink, id, digest, why->code, why->msg, payload, at);
    if (!e)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int rc = SF_OK;
    SF_WARN("notify", "dead-letter|sink=%s id=%s digest=%s code=%s reason=%s", sink ? sink : "-",
            id ? id : "-", digest ? digest : "-", sf_err_name(why->code), why->msg);
    if (n->o.dlq) {
        const char *k = digest ? digest : "";
        rc = sf_kprod_produce(n->o.dlq, n->o.dlq_topic, k, strlen(k), e, strlen(e), NULL, err);
        if (rc == SF_OK)
            rc = sf_kprod_flush(n->o.dlq, 30000, err);
    } else {
        fprintf(n->o.dlq_file ? n->o.dlq_file : stderr, "%s\n", e);
    }
    free(e);
    return rc;
}

/* Facts of finding f seen through image reference ref (NULL: none). */
static int rule_takes(const sf_nrule *r, json_t *f, const char *ref, int running)
{
    char reg[REF_PART_MAX], repo[REF_PART_MAX];
    sf_nfacts x = {0};
    x.running = running;
    if (ref && sf_nrules_split_ref(ref, reg, sizeof reg, repo, sizeof repo) == SF_OK) {
        x.registry = reg;
        x.repository = repo;
    }
    x.ecosystem = json_string_value(json_object_get(f, "ecosystem"));
    x.severity = json_string_value(json_object_get(f, "severity"));
    x.fixable = json_is_string(json_object_get(f, "fixed"));
    json_t *kev = json_object_get(f, "kev"), *epss = json_object_get(json_object_get(f, "epss"), "score");
    x.kev = json_is_object(kev) || json_is_true(kev);
    x.epss = json_is_number(epss) ? json_number_value(epss) : -1;
    x.advisory = json_string_value(json_object_get(f, "id"));
    if (sf_nrules_match(r, &x))
        return 1;
    json_t *al = json_object_get(f, "aliases"), *a;
    size_t i;
    json_array_foreach(al, i, a) {
        if ((x.advisory = json_string_value(a)) && sf_nrules_match(r, &x))
            return 1;
    }
    return 0;
}

/* Index of the first rule naming sink k that takes f, or -1. */
static int first_rule(const sf_nrules *R, size_t k, const sf_ndelta *d, json_t *f, int running)
{
    for (size_t i = 0; i < R->nrules; i++) {
        const sf_nrule *r = &R->rules[i];
        int names = 0;
        for (size_t j = 0; j < r->nsinks && !names; j++)
            names = r->sinks[j] == k;
        if (!names)
            continue;
        size_t nrefs = json_array_size(d->refs);
        for (size_t j = 0; j < (nrefs ? nrefs : 1); j++)
            if (rule_takes(r, f, json_string_value(json_array_get(d->refs, j)), running))
                return (int)i;
    }
    return -1;
}

static void add_rule(sf_nevent *ev, const char *name)
{
    for (size_t i = 0; i < ev->nrules; i++)
        if (!strcmp(ev->rules[i], name))
            return;
    if (ev->nrules < sizeof ev->rules / sizeof ev->rules[0])
        ev->rules[ev->nrules++] = name;
}

static char *event_body(const sf_nsink *s, const sf_nevent *ev)
{
    if (s->type == SF_NSINK_SLACK)
        return sf_nmsg_slack(ev);
    return s->type == SF_NSINK_TEAMS ? sf_nmsg_teams(ev) : sf_nmsg_webhook(ev);
}

int sf_notify_post(sf_notify *n, const sf_nsink *s, const char *event, const char *id,
                   const char *body, sf_error *err)
{
    char sig[72], hsig[96], hev[64], hid[64], shown[128];
    const char *hdrs[6] = {"Content-Type: application/json", "Expect:", NULL};
    if (s->type == SF_NSINK_WEBHOOK) {
        snprintf(hev, sizeof hev, "X-Scanfarm-Event: %s", event);
        snprintf(hid, sizeof hid, "X-Scanfarm-Delivery: %s", id);
        hdrs[2] = hev;
        hdrs[3] = hid;
        if (s->secret) {
            sf_nmsg_signature(s->secret, body, strlen(body), sig);
            snprintf(hsig, sizeof hsig, "X-Scanfarm-Signature: %s", sig);
            hdrs[4] = hsig;
        }
    }
    snprintf(shown, sizeof shown, "%s:%s",
             s->type == SF_NSINK_SLACK   ? "slack"
             : s->type == SF_NSINK_TEAMS ? "teams"
                                         : "webhook",
             s->name);
    sf_nreq r = {"POST", s->url, shown, hdrs, NULL, body, NULL};
    long st;
    int att;
    return sf_nsend_do(n->o.send, &r, &st, &att, err);
}

/* Deliver one notification unless already delivered; a failure goes to
 * the DLQ. Returns an error only when the outcome is not durable. */
static int deliver(sf_notify *n, const sf_nsink *s, sf_nevent *ev, sf_error *err)
{
    sf_nevent_id(ev);
    int seen = 0, rc = sf_notify_seen(n, s->name, ev->id, &seen, err);
    if (rc != SF_OK)
        return rc;
    if (seen) {
        sf_metric_add(n->total, SF_LV(s->name, "deduplicated"), 1);
        return SF_OK;
    }
    sf_error se = SF_ERROR_INIT;
    char *body = NULL;
    if (s->type == SF_NSINK_GITHUB || s->type == SF_NSINK_ADO) {
        for (size_t i = 0; i < ev->n && rc == SF_OK; i++)
            rc = s->type == SF_NSINK_ADO ? sf_notify_ado(n, s, ev->d, ev->f[i], ev->removed, &se)
                                         : sf_notify_github(n, s, ev->d, ev->f[i], ev->removed, &se);
    } else {
        body = event_body(s, ev);
        rc = body ? sf_notify_post(n, s, ev->removed ? "findings.removed" : "findings.added",
                                   ev->id, body, &se)
                  : sf_error_set(&se, SF_ENOMEM, "out of memory building the notification");
    }
    if (rc == SF_ECANCELED) {
        free(body);
        return sf_error_set(err, rc, "canceled");
    }
    /* out of memory (building a body, say) is no verdict on the
     * notification: not durable, so the delta is retried rather than
     * dead-lettered or marked delivered */
    if (rc == SF_ENOMEM) {
        free(body);
        return sf_error_set(err, rc, "sink %s: %s", s->name, se.msg);
    }
    if (rc != SF_OK) {
        sf_metric_add(n->total, SF_LV(s->name, "failed"), 1);
        if (!body)
            body = sf_nmsg_webhook(ev);
        rc = sf_notify_dead_letter(n, s->name, ev->id, ev->d->digest, &se, body, err);
        free(body);
        return rc;
    }
    free(body);
    sf_metric_add(n->total, SF_LV(s->name, "sent"), 1);
    SF_INFO("notify", "sent|sink=%s id=%s digest=%s event=%s findings=%zu", s->name, ev->id,
            ev->d->digest, ev->removed ? "removed" : "added", ev->n);
    return sf_notify_mark(n, s->name, ev->id, err);
}

/* For GitHub, an advisory present in both lists (fixed version changed)
 * keeps its issue open: the removal is not a resolution. */
static int also_added(const sf_ndelta *d, json_t *f)
{
    const char *id = json_string_value(json_object_get(f, "id"));
    json_t *x;
    size_t i;
    json_array_foreach(d->added, i, x) {
        if (!strcmp(json_string_value(json_object_get(x, "id")), id))
            return 1;
    }
    return 0;
}

/* Every notification of one sink and one list (added or removed). */
static int sink_list(sf_notify *n, size_t k, const sf_ndelta *d, json_t *list, int removed,
                     int running, sf_error *err)
{
    const sf_nsink *s = &n->o.rules->sinks[k];
    size_t nf = json_array_size(list);
    if (!nf)
        return SF_OK;
    sf_nevent ev = {d, s->name, removed, calloc(nf, sizeof(json_t *)), 0, {0}, 0, {0}};
    if (!ev.f)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int group = -1, grule = -1, rc = SF_OK;
    int tracker = s->type == SF_NSINK_GITHUB || s->type == SF_NSINK_ADO;
    for (size_t i = 0; i < nf; i++) {
        json_t *f = json_array_get(list, i);
        int r = first_rule(n->o.rules, k, d, f, running);
        if (r < 0 || (removed && tracker && also_added(d, f)))
            continue;
        if (group < 0)
            group = (int)n->o.rules->rules[grule = r].group;
        add_rule(&ev, n->o.rules->rules[r].name);
        ev.f[ev.n++] = f;
        if (group == SF_NGROUP_FINDING || tracker) {
            if ((rc = deliver(n, s, &ev, err)) != SF_OK)
                break;
            ev.n = 0;
            ev.nrules = 0;
        }
    }
    /* a digest needs Redis to wait in; without it (dry run) it is per image */
    if (rc == SF_OK && ev.n && group == SF_NGROUP_DIGEST && n->o.kv)
        rc = sf_notify_digest_queue(n, s, &n->o.rules->rules[grule], &ev, err);
    else if (rc == SF_OK && ev.n)
        rc = deliver(n, s, &ev, err);
    free(ev.f);
    return rc;
}

int sf_notify_handle(sf_notify *n, const char *msg, size_t len, sf_error *err)
{
    sf_ndelta d;
    sf_error pe = SF_ERROR_INIT;
    int drc = sf_ndelta_decode(&d, msg, len, &pe);
    if (drc == SF_ENOMEM) /* not durable: the message is retried, not dead-lettered */
        return sf_error_set(err, drc, "%s", pe.msg);
    if (drc != SF_OK) {
        sf_metric_add(n->total, SF_LV("-", "failed"), 1);
        return sf_notify_dead_letter(n, NULL, NULL, NULL, &pe, NULL, err);
    }
    int rc = SF_OK, running = sf_notify_running(n, &d);
    for (size_t k = 0; k < n->o.rules->nsinks && rc == SF_OK; k++) {
        rc = sink_list(n, k, &d, d.added, 0, running, err);
        if (rc == SF_OK)
            rc = sink_list(n, k, &d, d.removed, 1, running, err);
    }
    sf_ndelta_clear(&d);
    return rc;
}
