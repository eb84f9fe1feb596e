/* coord_fix: see coord_fix.h. */
#include "coord_fix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/keys.h"
#include "testutil.h"

int sf_t_regtag(const char *extra, const char *src, const char *dst, char *out, size_t cap)
{
    char cmd[1024], line[512] = "";
    snprintf(cmd, sizeof cmd, "python3 %s %s --registry %s %s %s",
             sf_t_src("tests/fixtures/regtag.py"), extra ? extra : "", sf_t_registry(), src,
             dst);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    if (!fgets(line, sizeof line, p))
        line[0] = '\0';
    int ok = pclose(p) == 0;
    char *d = strstr(line, "\"digest\": \"");
    if (!ok || !d)
        return -1;
    d += 11;
    size_t k = strcspn(d, "\"");
    if (k >= cap)
        return -1;
    memcpy(out, d, k);
    out[k] = '\0';
    return 0;
}

int sf_t_coord_config(char *path, size_t cap, const sf_t_scratch *s, const char *repo)
{
    snprintf(path, cap, "%s/coord.json", s->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"registries\":[{\"url\":\"http://%s\",\"insecure\":true,"
               "\"repositories\":[\"%s\"]}]}\n", sf_t_registry(), repo);
    return fclose(f) == 0 ? 0 : -1;
}

sf_t_coord_sum sf_t_coordinator(const sf_t_scratch *s, const char *cfg, int n)
{
    char cmd[2048], log[256], line[4096];
    const char *bin = getenv("SF_BIN");
    sf_t_coord_sum r = {-1, -1, -1, -1, -1, -1};
    snprintf(log, sizeof log, "%s/coord%d.log", s->dir, n);
    snprintf(cmd, sizeof cmd,
             "%s/scanfarm-coordinator --once --config %s --kafka %s --topic %s "
             "--results-topic %s --redis %s --key-prefix %s --db %s "
             "--run-id %s-%d --progress never 2>%s",
             bin ? bin : "./build/bin", cfg, sf_t_kafka(), s->jobs, s->results, sf_t_redis(),
             s->name, s->db, s->name, n, log);
    r.status = sf_t_run_log_line(cmd, log, "msg=\"run enumerated\"", line, sizeof line);
    r.jobs = sf_t_log_field(line, "jobs");
    r.delivered = sf_t_log_field(line, "jobs_delivered");
    r.skipped = sf_t_log_field(line, "skipped_current");
    r.check_errors = sf_t_log_field(line, "skip_check_errors");
    r.refs_delivered = sf_t_log_field(line, "refs_msgs_delivered");
    return r;
}

char *sf_t_agg_hget(sf_kv *kv, const char *prefix, const char *name, const char *field)
{
    char key[SF_KEY_MAX], shard[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    char *out = NULL;
    if (sf_keys_agg(key, prefix, name, NULL) != SF_OK ||
        sf_keys_agg_shard(shard, prefix, NULL) != SF_OK)
        return NULL;
    const char *argv[] = {"HGET", key, field};
    if (sf_kv_argv(kv, shard, 3, argv, NULL, &r, NULL) == SF_OK && r->type == SF_KV_STR)
        out = strdup(r->str);
    sf_kv_reply_free(r);
    return out;
}
