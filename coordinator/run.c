/*
 * run: see run.h. The progress line is redrawn once a second by a small
 * thread that only reads the counters.
 */
#include "run.h"
#include "base/time.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

static long ld(const long *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

double sf_run_elapsed(const sf_run *r) { return sf_time_mono_s() - r->t0; }

static void *progress_main(void *arg)
{
    sf_run *r = arg;
    while (!r->stop) {
        double el = sf_run_elapsed(r);
        long tags = ld(&r->tags_resolved);
        fprintf(stderr,
                "\r\x1b[K[%s] %.0fs registries %ld repos %ld tags %ld/%ld (%.0f/s) digests %ld "
                "jobs %ld errors %ld",
                r->id, el, ld(&r->registries), ld(&r->repositories), tags, ld(&r->tags_selected),
                el > 0 ? (double)tags / el : 0.0, ld(&r->digests), ld(&r->jobs),
                sf_run_errors_total(r));
        fflush(stderr);
        sf_time_sleep_ms(1000, &r->stop);
    }
    return NULL;
}

void sf_run_begin(sf_run *r, const char *fixed_id, const char *progress)
{
    memset(r, 0, sizeof *r);
    r->t0 = sf_time_mono_s();
    if (fixed_id && *fixed_id) {
        snprintf(r->id, sizeof r->id, "%s", fixed_id);
    } else {
        struct timespec ts;
        struct tm tm;
        /* Not sf_time_wall_ms: the nanoseconds are the id's random part,
         * which milliseconds would cut to 10 bits. */
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        unsigned rnd = (unsigned)(ts.tv_nsec ^ (getpid() << 12)) & 0xffffffu;
        snprintf(r->id, sizeof r->id, "run-%04d%02d%02dT%02d%02d%02dZ-%06x", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rnd);
    }
    r->progress = progress && (strcmp(progress, "always") == 0 ||
                               (strcmp(progress, "auto") == 0 && isatty(STDERR_FILENO)));
    if (r->progress && pthread_create(&r->thread, NULL, progress_main, r) == 0)
        r->have_thread = 1;
}

void sf_run_error(sf_run *r, int code)
{
    int i = -code;
    if (i < 0 || i >= SF_RUN_ERR_SLOTS)
        i = -SF_EINTERNAL;
    sf_run_add(&r->errors[i], 1);
}

long sf_run_errors_total(const sf_run *r)
{
    long t = 0;
    for (int i = 1; i < SF_RUN_ERR_SLOTS; i++)
        t += ld(&r->errors[i]);
    return t;
}

void sf_run_end(sf_run *r, FILE *human)
{
    char errs[512] = "";
    size_t o = 0;
    r->stop = 1;
    if (r->have_thread) {
        pthread_join(r->thread, NULL);
        r->have_thread = 0;
        fprintf(stderr, "\n");
    }
    for (int i = 1; i < SF_RUN_ERR_SLOTS && o < sizeof errs; i++)
        if (ld(&r->errors[i]))
            o += (size_t)snprintf(errs + o, sizeof errs - o, "%s%s=%ld", o ? "," : "",
                                  sf_err_name(-i), ld(&r->errors[i]));
    double el = sf_run_elapsed(r);
    double en = r->enum_seconds > 0 ? r->enum_seconds : el;
    double rate = en > 0 ? (double)ld(&r->tags_resolved) / en : 0;
    SF_INFO("coordinator",
            "run enumerated|run_id=%s registries=%ld registries_failed=%ld repositories=%ld "
            "tags=%ld tags_selected=%ld tags_resolved=%ld digests=%ld jobs=%ld "
            "jobs_delivered=%ld skipped_current=%ld skip_check_errors=%ld refs_msgs=%ld "
            "refs_msgs_delivered=%ld refs_late=%ld refs_dropped=%ld requests=%ld errors=%ld "
            "errors_by_kind=%s seconds=%.3f enum_seconds=%.3f tags_per_s=%.1f",
            r->id, ld(&r->registries), ld(&r->registries_failed), ld(&r->repositories),
            ld(&r->tags), ld(&r->tags_selected), ld(&r->tags_resolved), ld(&r->digests),
            ld(&r->jobs), ld(&r->jobs_delivered), ld(&r->skipped_current),
            ld(&r->skip_check_errors), ld(&r->refs_msgs), ld(&r->refs_msgs_delivered),
            ld(&r->refs_late), ld(&r->refs_dropped), ld(&r->requests), sf_run_errors_total(r), errs[0] ? errs : "none", el, en, rate);
    if (human)
        fprintf(human,
                "run %s: %ld registries (%ld failed), %ld repositories, %ld tags, %ld unique "
                "digests, %ld jobs published, %ld skipped as current in %.1fs (%.0f tags/s); "
                "errors: %s\n",
                r->id, ld(&r->registries), ld(&r->registries_failed), ld(&r->repositories),
                ld(&r->tags_resolved), ld(&r->digests), ld(&r->jobs_delivered),
                ld(&r->skipped_current), el, rate,
                errs[0] ? errs : "none");
}
