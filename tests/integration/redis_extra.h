/*
 * The optional Redis services of deploy/local/stack (redis-tls,
 * redis-cluster) for the tests that need them: each test starts them on
 * a private run dir and ports, and stops them (by the stack's own PID
 * files) when done, so the shared stack keeps them off and CI pays only
 * while such a test runs. Plus a layer-cache round trip both use.
 */
#ifndef SF_TEST_REDIS_EXTRA_H
#define SF_TEST_REDIS_EXTRA_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cache_helpers.h"
#include "cache/lcache.h"
#include "testutil.h"

typedef struct t_extra {
    char run[256];      /* SCANFARM_RUN_DIR */
    char env[512];      /* the variables each stack call gets */
    const char *what;   /* services */
} t_extra;

/* Run `deploy/local/stack <cmd> <services>` with x's environment. */
static inline int t_extra_stack(const t_extra *x, const char *cmd)
{
    char sh[2048];
    snprintf(sh, sizeof sh, "%s bash %s %s %s >>%s/test.log 2>&1", x->env,
             sf_t_src("deploy/local/stack"), cmd, x->what, x->run);
    return system(sh) == 0 ? 0 : -1;
}

/* Start services (a private run dir under TMPDIR) with extra env vars. */
static inline int t_extra_up(t_extra *x, const char *what, const char *vars)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(x->run, sizeof x->run, "%s/sf-%s-%ld", tmp && *tmp ? tmp : "/tmp", what,
             (long)getpid());
    snprintf(x->env, sizeof x->env, "SCANFARM_RUN_DIR=%s %s", x->run, vars);
    x->what = what;
    char mk[300];
    snprintf(mk, sizeof mk, "mkdir -p %s", x->run);
    if (system(mk) != 0)
        return -1;
    if (t_extra_stack(x, "up") != 0) {
        char cat[400];
        snprintf(cat, sizeof cat, "tail -n 30 %s/test.log >&2", x->run);
        (void)system(cat);
        return -1;
    }
    return 0;
}

/* Stop them and remove the run dir. */
static inline void t_extra_down(t_extra *x)
{
    if (!x->what)
        return;
    t_extra_stack(x, "down");
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf %s", x->run);
    (void)system(rm);
    x->what = NULL;
}

/* SIGKILL the cluster node rcN by the stack's PID file (what `stack kill
 * rcN` does, without its wait for the process to be reaped). 0, or -1
 * when the PID file is missing or the kill failed. */
static inline int t_extra_kill(const t_extra *x, int n)
{
    char pidf[400];
    snprintf(pidf, sizeof pidf, "%s/rc%d/rc%d.pid", x->run, n, n);
    size_t len = 0;
    char *s = sf_t_read_file(pidf, &len);
    pid_t p = s ? (pid_t)strtol(s, NULL, 10) : 0;
    free(s);
    return p > 1 && kill(p, SIGKILL) == 0 ? 0 : -1;
}

/* Load n corpus layers (setup); free them and stop x's services
 * (teardown). */
static inline int t_layers_load(t_layer *ls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t_layer_load(&ls[i]) != SF_OK)
            return -1;
    return 0;
}

static inline int t_extra_teardown(t_extra *x, t_layer *ls, size_t n)
{
    t_extra_down(x);
    for (size_t i = 0; i < n; i++)
        free(ls[i].data);
    return 0;
}

/*
 * Two caches, each with its own client from ko, over the same layers:
 * the first analyses each layer (misses), the second finds every one
 * (hits) without analysing. Returns the number of layers that did not
 * behave so (0 = the round trip through Redis works).
 */
static inline int t_lcache_roundtrip(const sf_kv_opts *ko, t_layer *ls, size_t n,
                                     const char *prefix)
{
    int bad = 0;
    for (int pass = 0; pass < 2; pass++) {
        sf_kv *kv = NULL;
        sf_lcache *lc = NULL;
        sf_error e = SF_ERROR_INIT;
        if (sf_kv_new(&kv, ko, &e) != SF_OK)
            return (int)n;
        sf_lcache_opts lo = {.kv = kv, .prefix = prefix, .analyzer_version = "t1",
                             .encode = t_encode, .decode = t_decode, .ttl_ms = 600000,
                             .mac = t_cmac()};
        if (sf_lcache_new(&lc, &lo, &e) != SF_OK) {
            sf_kv_free(kv);
            return (int)n;
        }
        for (size_t i = 0; i < n; i++) {
            sf_inventory *inv = NULL;
            const char *st = NULL;
            sf_error ge = SF_ERROR_INIT;
            int rc = sf_lcache_get(lc, ls[i].digest, NULL, t_analyse, &ls[i], &inv, &st, &ge);
            if (rc != SF_OK || !inv || t_npkgs(inv) < 10 ||
                strcmp(st, pass == 0 ? "miss" : "hit") != 0) {
                fprintf(stderr, "layer %zu pass %d: rc %d state %s (%s)\n", i, pass, rc,
                        st ? st : "-", ge.msg);
                bad++;
            }
            t_inv_free(inv);
        }
        sf_lcache_free(lc);
        sf_kv_free(kv);
    }
    return bad;
}

#endif
