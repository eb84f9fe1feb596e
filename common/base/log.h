/*
 * log: levelled, component-filtered, structured logging to stderr.
 *
 * One line per event: `ts=... level=info comp=worker msg="..." k=v ...`.
 * SF_LOG checks the level before formatting, so disabled debug lines cost
 * one comparison. Components are switched on at runtime with
 * sf_log_set_debug("registry,tar") or the SCANFARM_DEBUG variable.
 * Never pass secrets: credentials are redacted at the source.
 *
 * Threads: SF_LOG / sf_log_emit from any thread (one fwrite per line, so
 * lines never interleave). sf_log_set_level, sf_log_set_debug and
 * sf_log_init_from_env from the main thread before other threads start:
 * they write globals the emitters read without a lock.
 */
#ifndef SF_LOG_H
#define SF_LOG_H

typedef enum sf_log_level {
    SF_LOG_DEBUG = 0,
    SF_LOG_INFO,
    SF_LOG_WARN,
    SF_LOG_ERROR,
    SF_LOG_OFF
} sf_log_level;

extern int sf_log_min_level;

/* Set the minimum level. */
void sf_log_set_level(sf_log_level lvl);
/* Parse "debug|info|warn|error|off"; returns 0 or -1. */
int sf_log_parse_level(const char *s, sf_log_level *out);
/* Comma-separated components whose debug lines are shown ("all" for every one). */
void sf_log_set_debug(const char *components);
/* Read SCANFARM_LOG_LEVEL and SCANFARM_DEBUG. */
void sf_log_init_from_env(void);
/* 1 when debug lines of comp are on. */
int sf_log_debug_on(const char *comp);

/* Emit one line; fmt gives the message and may append ` k=v` pairs after
 * a `|` separator: sf_log_emit(lvl, "worker", "job done|digest=%s", d). */
void sf_log_emit(sf_log_level lvl, const char *comp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define SF_LOG(lvl, comp, ...)                                               \
    do {                                                                     \
        if ((int)(lvl) >= sf_log_min_level &&                                \
            ((lvl) != SF_LOG_DEBUG || sf_log_debug_on(comp)))                \
            sf_log_emit((lvl), (comp), __VA_ARGS__);                         \
    } while (0)

#define SF_DEBUG(comp, ...) SF_LOG(SF_LOG_DEBUG, comp, __VA_ARGS__)
#define SF_INFO(comp, ...) SF_LOG(SF_LOG_INFO, comp, __VA_ARGS__)
#define SF_WARN(comp, ...) SF_LOG(SF_LOG_WARN, comp, __VA_ARGS__)
#define SF_ERROR(comp, ...) SF_LOG(SF_LOG_ERROR, comp, __VA_ARGS__)

#endif
