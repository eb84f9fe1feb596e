/*
 * scan_table: the table `scanfarm scan` prints for one platform result
 * (--format table, the default): image, digest, platform, OS, layers,
 * packages per ecosystem, notes and DB-coverage warnings, and the
 * findings with severity colours on a terminal (report/tty.h).
 */
#ifndef SF_SCAN_TABLE_H
#define SF_SCAN_TABLE_H

#include <stdio.h>

#include "model/result.h"

void sf_scan_table_print(const sf_result *r, const char *ref, FILE *out);

#endif
