/*
 * db_update: `scanfarm db update` — fetch the advisory sources over
 * HTTP(S) into a cache directory with conditional requests (ETag /
 * If-None-Match and Last-Modified / If-Modified-Since), then rebuild the
 * DB file atomically when anything changed.
 */
#ifndef SF_DB_UPDATE_H
#define SF_DB_UPDATE_H

/* Entry point of `scanfarm db update` (argv[0] is "update"). */
int sf_db_update_main(int argc, char **argv);

/* Build out from the given sources (cmd_db.c); labels (or NULL) name each
 * source in the DB's meta (the URL it came from); quiet: no report.
 * Returns an SF_EXIT_* code. */
int sf_db_build_from(const char *out, char **sources, char **labels, int nsources, int quiet);

#endif
