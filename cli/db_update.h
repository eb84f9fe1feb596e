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

#endif
