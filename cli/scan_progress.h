/*
 * scan_progress: a progress line on stderr for `scanfarm scan` and
 * `scanfarm db import`, only when stderr is a terminal (logs and pipes see
 * nothing). The scan's line counts analysed layers through a layer memo
 * that analyses every layer itself, exactly as the engine does without
 * one (cache state "uncached"), so results are unchanged.
 */
#ifndef SF_SCAN_PROGRESS_H
#define SF_SCAN_PROGRESS_H

#include <stdio.h>

#include "analyze/scan.h"

typedef struct sf_progress sf_progress;

/* A progress line for `what` (the image reference) on f, or NULL when f is
 * not a terminal (then nothing is printed and the memo is NULL). */
sf_progress *sf_progress_new(FILE *f, const char *what);
/* The memo to pass in sf_scan_opts (NULL for a NULL progress). */
const sf_layer_memo *sf_progress_memo(sf_progress *p);
/* "<what>: <text>" replacing the line (NULL-safe). */
void sf_progress_say(sf_progress *p, const char *text);
/* Clear the line and free. NULL-safe. */
void sf_progress_free(sf_progress *p);

#endif
