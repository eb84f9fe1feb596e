/*
 * tty: colour for people, never for pipes. Output is coloured only when it
 * goes to a terminal, NO_COLOR is unset or empty (no-color.org) and TERM
 * is not "dumb"; files, pipes and CI logs get plain text.
 */
#ifndef SF_TTY_H
#define SF_TTY_H

#include <stdio.h>

#define SF_TTY_RESET "\033[0m"

/* 1 when writes to f should be coloured. */
int sf_tty_colour(FILE *f);

/* The escape that starts a severity's colour ("CRITICAL" .. "UNKNOWN");
 * "" when colour is off for f. */
const char *sf_tty_sev(FILE *f, const char *severity);
/* SF_TTY_RESET when colour is on for f, else "". */
const char *sf_tty_reset(FILE *f);
/* The warning colour, or "". */
const char *sf_tty_warn(FILE *f);

#endif
