/*
 * debtracker: importer of the Debian security tracker's advisory lists
 * (data/DSA/list, data/DLA/list, data/DTSA/list):
 *
 *   [29 Mar 2023] DSA-5380-1 xorg-server - security update
 *   	{CVE-2023-1393}
 *   	[bullseye] - xorg-server 2:1.20.11-1+deb11u6
 *   	[buster] - foo <not-affected> (reason)
 *   	NOTE: ...
 *
 * One record per advisory (id DSA-xxxx-y, its CVEs as aliases; advisories
 * without CVEs still count), one affected package per release line under
 * "Debian:<release number>": a fixed version gives [0, fixed), <unfixed>
 * an open range, <end-of-life> an open range flagged EOL; <not-affected>
 * lines are skipped and counted, as are unknown releases.
 */
#ifndef SF_DEBTRACKER_H
#define SF_DEBTRACKER_H

#include <stddef.h>

#include "vuln/vdb_build.h"

int sf_debtracker_import(sf_vdb_builder *b, const char *data, size_t len);

#endif
