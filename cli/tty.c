/* tty: see tty.h. */
#include "tty.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sf_tty_colour(FILE *f)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    if (nc && *nc)
        return 0;
    if (term && strcmp(term, "dumb") == 0)
        return 0;
    return isatty(fileno(f));
}

const char *sf_tty_sev(FILE *f, const char *severity)
{
    static const struct {
        const char *name, *esc;
    } COLOURS[] = {
        {"CRITICAL", "\033[1;31m"}, {"HIGH", "\033[31m"}, {"MEDIUM", "\033[33m"},
        {"LOW", "\033[36m"},        {"UNKNOWN", "\033[2m"},
    };
    if (!sf_tty_colour(f))
        return "";
    for (size_t i = 0; i < sizeof COLOURS / sizeof COLOURS[0]; i++)
        if (severity && strcmp(severity, COLOURS[i].name) == 0)
            return COLOURS[i].esc;
    return COLOURS[4].esc;
}

const char *sf_tty_reset(FILE *f) { return sf_tty_colour(f) ? SF_TTY_RESET : ""; }

const char *sf_tty_warn(FILE *f) { return sf_tty_colour(f) ? "\033[1;33m" : ""; }
