/* agg_name: see agg_name.h. */
#include "agg_name.h"

#include <stdio.h>
#include <string.h>

/* Name bytes of an entry: the rest of SF_AGG_NAME_ENTRY holds the member. */
#define NAME_MAX_BYTES 200

void sf_agg_name_lower(const char *s, char *out, size_t outlen)
{
    size_t i = 0;
    for (; s[i] && i + 1 < outlen; i++)
        out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    out[i] = '\0';
}

size_t sf_agg_name_entries(const char *name, const char *member,
                           char out[SF_AGG_NAME_STARTS][SF_AGG_NAME_ENTRY])
{
    char low[NAME_MAX_BYTES + 1];
    size_t n = 0;
    if (strlen(member) + NAME_MAX_BYTES + 2 > SF_AGG_NAME_ENTRY || !*name)
        return 0;
    sf_agg_name_lower(name, low, sizeof low);
    for (size_t i = 0; low[i] && n < SF_AGG_NAME_STARTS; i++) {
        /* a word starts the name or follows a separator (not another) */
        if (i > 0 && !(strchr("/-_.:@+", low[i - 1]) && !strchr("/-_.:@+", low[i])))
            continue;
        snprintf(out[n++], SF_AGG_NAME_ENTRY, "%s\x1f%s", low + i, member);
    }
    return n;
}

const char *sf_agg_name_member(const char *entry)
{
    const char *s = strchr(entry, '\x1f');
    return s ? s + 1 : NULL;
}
