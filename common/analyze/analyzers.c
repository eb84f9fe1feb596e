/*
 * analyzers: the table of every package analyzer, and the version string
 * of the set that names layer cache entries (see analyzer.h).
 *
 * The version string is "a<n>" (the table format and the layer walker)
 * followed by ".<name><n>" per analyzer in table order, so a new or bumped
 * analyzer changes it and invalidates exactly the cached inventories it
 * could change. a2: the walker resolves hard links and caps packages per
 * layer (issue 12), and cache values carry a MAC: every inventory of a1
 * could differ, and a1 entries (unsealed) are simply not looked at.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/analyzer.h"

const sf_analyzer *const sf_analyzers[] = {
    &sf_an_os, &sf_an_dpkg, &sf_an_apk, &sf_an_rpm, &sf_an_npm, &sf_an_python, &sf_an_gobin, &sf_an_java,
    &sf_an_rustbin, &sf_an_cargo, &sf_an_gem, &sf_an_composer, &sf_an_dotnet, NULL,
};

static char version_str[256];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void build_version(void)
{
    size_t o = 0;
    int n = snprintf(version_str, sizeof version_str, "a2");
    o = n > 0 ? (size_t)n : 0;
    for (int i = 0; sf_analyzers[i] && o < sizeof version_str; i++) {
        n = snprintf(version_str + o, sizeof version_str - o, ".%s%u", sf_analyzers[i]->name,
                     sf_analyzers[i]->version);
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

const char *sf_analyzers_version(void)
{
    pthread_once(&version_once, build_version);
    return version_str;
}
