/*
 * db_build: compile advisory sources into a DB (db import, db update) and
 * print a DB's meta as text tables (db import, db info).
 */
#ifndef SF_DB_BUILD_H
#define SF_DB_BUILD_H

#include <stdio.h>

/* Build out from the given sources; labels (or NULL) name each source in
 * the DB's meta (the URL it came from); quiet: no report. Returns an
 * SF_EXIT_* code (cli.h). */
int sf_db_build_from(const char *out, char **sources, char **labels, int nsources, int quiet);

/* The meta JSON of a DB (sf_vdb_meta) as text tables on f. */
void sf_db_print_meta(FILE *f, const char *meta);

#endif
