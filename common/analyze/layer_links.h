/*
 * layer_links: what the streaming tar walk keeps so that a hard link
 * (tar type '1') to an earlier entry can still be analysed.
 *
 * A hard link carries no bytes: it names an entry that came before it in
 * the same layer, and by the time the link is seen those bytes have
 * streamed past. Keeping every file is unbounded, so the walker keeps a
 * copy only of files a link could make an analyzer want — files the OS
 * analyzers read (package databases, release files) and files whose first
 * bytes look like a package database whatever their name — within the
 * SF_LIM_LINK_* budget (limits.h), dropping the oldest first. A link to a
 * file that was not kept is reported on its source, never silently lost.
 *
 * Owned by one layer walker thread; not thread-safe.
 */
#ifndef SF_LAYER_LINKS_H
#define SF_LAYER_LINKS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sf_llinks sf_llinks;

int sf_llinks_new(sf_llinks **out);
void sf_llinks_free(sf_llinks *k);

/* Keep a copy of path's content (replacing an older entry of that path);
 * files over SF_LIM_LINK_FILE_BYTES are not kept. SF_OK or SF_ENOMEM. */
int sf_llinks_keep(sf_llinks *k, const char *path, const uint8_t *data, size_t len);

/* A later entry of path replaced the kept one: forget it. */
void sf_llinks_forget(sf_llinks *k, const char *path);

/* The kept content of path (borrowed until the next keep/forget), or NULL. */
const uint8_t *sf_llinks_find(const sf_llinks *k, const char *path, size_t *len);

/* 1 when n head bytes of a file look like an apk installed database or a
 * dpkg status file (so a hard link could give it a database's path). */
int sf_llinks_candidate(const uint8_t *head, size_t n);

#endif
