/* dbcover: see dbcover.h. */
#include "analyze/dbcover.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/inventory.h"

int sf_dbcover_has_ecosystem(const sf_vdb *db, const char *eco)
{
    const char *meta = db ? sf_vdb_meta(db) : NULL;
    json_t *j = meta ? json_loads(meta, 0, NULL) : NULL;
    const json_t *ecos = json_object_get(j, "ecosystems");
    int found = ecos && json_is_object(ecos) ? 0 : -1;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)ecos, key, v)
    {
        char norm[64];
        if (sf_vdb_normalize_eco(key, norm, sizeof norm) != SF_OK)
            snprintf(norm, sizeof norm, "%s", key);
        if (strcasecmp(norm, eco) == 0 && (!json_is_integer(v) || json_integer_value(v) > 0))
            found = 1;
    }
    json_decref(j);
    return found;
}

static int has_os_packages(const sf_result *r)
{
    for (size_t i = 0; i < r->npkgs; i++)
        if (sf_pkg_type_is_os(r->pkgs[i].type))
            return 1;
    return 0;
}

int sf_dbcover_note(const sf_vdb *db, sf_result *r)
{
    char eco[64];
    if (!db || !r->has_os || !has_os_packages(r) ||
        sf_osinfo_osv_ecosystem(&r->os, eco, sizeof eco) != SF_OK ||
        sf_vdb_normalize_eco(eco, eco, sizeof eco) != SF_OK ||
        sf_dbcover_has_ecosystem(db, eco) != 0)
        return SF_OK;
    /* "Alpine:v3.18" -> "3.18", "Debian:12" -> "12" */
    const char *rel = strchr(eco, ':');
    rel = rel ? rel + 1 : (r->os.version_id ? r->os.version_id : "");
    if (*rel == 'v')
        rel++;
    char text[256];
    snprintf(text, sizeof text,
             "no advisories for %s %s in this DB: results for OS packages are incomplete",
             r->os.id ? r->os.id : eco, rel);
    sf_result_note *n = realloc(r->notes, (r->nnotes + 1) * sizeof *n);
    if (!n)
        return SF_ENOMEM;
    r->notes = n;
    n = &r->notes[r->nnotes];
    memset(n, 0, sizeof *n);
    n->analyzer = strdup(SF_DBCOVER_ANALYZER);
    n->note = strdup(text);
    n->status = SF_SRC_UNPARSED;
    n->layer = -1;
    if (!n->analyzer || !n->note) {
        free(n->analyzer);
        free(n->note);
        return SF_ENOMEM;
    }
    r->nnotes++;
    return SF_OK;
}
