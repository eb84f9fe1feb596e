/*
 * log: see log.h. Lines are formatted into one buffer and written with a
 * single fwrite so lines from threads do not interleave.
 */
#include "base/log.h"
#include "base/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sf_log_min_level = SF_LOG_INFO;
static char debug_comps[256];

void sf_log_set_level(sf_log_level lvl) { sf_log_min_level = (int)lvl; }

int sf_log_parse_level(const char *s, sf_log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++) {
        if (s && strcmp(s, names[i]) == 0) {
            *out = (sf_log_level)i;
            return 0;
        }
    }
    return -1;
}

void sf_log_set_debug(const char *components)
{
    snprintf(debug_comps, sizeof debug_comps, ",%s,", components ? components : "");
    if (components && *components && sf_log_min_level > SF_LOG_DEBUG)
        sf_log_min_level = SF_LOG_DEBUG;
}

void sf_log_init_from_env(void)
{
    sf_log_level lvl;
    const char *l = getenv("SCANFARM_LOG_LEVEL");
    if (l && sf_log_parse_level(l, &lvl) == 0)
        sf_log_set_level(lvl);
    const char *d = getenv("SCANFARM_DEBUG");
    if (d && *d)
        sf_log_set_debug(d);
}

int sf_log_debug_on(const char *comp)
{
    if (!debug_comps[0])
        return sf_log_min_level == SF_LOG_DEBUG;
    if (strstr(debug_comps, ",all,"))
        return 1;
    char needle[64];
    snprintf(needle, sizeof needle, ",%s,", comp);
    return strstr(debug_comps, needle) != NULL;
}

void sf_log_emit(sf_log_level lvl, const char *comp, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    char body[2048], line[2400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);

    /* Split "message|k=v k=v" into the quoted message and its fields. */
    char *kv = strchr(body, '|');
    if (kv)
        *kv++ = '\0';
    for (char *p = body; *p; p++)
        if (*p == '"')
            *p = '\'';

    char now[SF_TIME_RFC3339_MAX];
    sf_time_rfc3339_now(now);
    int n = snprintf(line, sizeof line, "ts=%s level=%s comp=%s msg=\"%s\"%s%s\n", now,
                     names[lvl], comp, body, kv ? " " : "", kv ? kv : "");
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    fwrite(line, 1, (size_t)n, stderr);
}
