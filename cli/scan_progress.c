/* scan_progress: see scan_progress.h. */
#include "scan_progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sf_progress {
    FILE *f;
    const char *what;
    sf_layer_memo memo;
    pthread_mutex_t mu; /* layers finish on several threads */
    size_t layers;
};

static void say_locked(sf_progress *p, const char *text)
{
    fprintf(p->f, "\r\033[K%s: %s", p->what, text);
    fflush(p->f);
}

static int progress_get(void *ctx, const char *digest, const char *diff_id,
                        sf_layer_analyze_fn analyze, void *actx, sf_inventory **out,
                        const char **cache_state, sf_error *err)
{
    sf_progress *p = ctx;
    (void)diff_id;
    *cache_state = "uncached"; /* what the engine says without a memo */
    int rc = analyze(actx, out, err);
    char text[160];
    pthread_mutex_lock(&p->mu);
    p->layers++;
    snprintf(text, sizeof text, "%zu layer%s analysed (last %.19s)", p->layers,
             p->layers == 1 ? "" : "s", digest ? digest : "?");
    say_locked(p, text);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

sf_progress *sf_progress_new(FILE *f, const char *what)
{
    const char *term = getenv("TERM");
    if (!isatty(fileno(f)) || (term && strcmp(term, "dumb") == 0))
        return NULL; /* a dumb terminal cannot clear a line */
    sf_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->f = f;
    p->what = what;
    p->memo.ctx = p;
    p->memo.get = progress_get;
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

const sf_layer_memo *sf_progress_memo(sf_progress *p) { return p ? &p->memo : NULL; }

void sf_progress_say(sf_progress *p, const char *text)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    say_locked(p, text);
    pthread_mutex_unlock(&p->mu);
}

void sf_progress_free(sf_progress *p)
{
    if (!p)
        return;
    fprintf(p->f, "\r\033[K");
    fflush(p->f);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
