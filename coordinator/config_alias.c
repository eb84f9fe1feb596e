/* config_alias: see config_alias.h. */
#include "config_alias.h"

#include <string.h>

static const struct {
    const char *old_name, *name, *old_env;
} ALIASES[] = {
    {"platforms", "platform", "SCANFARM_PLATFORMS"},
};
#define NALIAS (sizeof ALIASES / sizeof ALIASES[0])

const char *sf_cfgalias_name(const char *name)
{
    for (size_t i = 0; i < NALIAS; i++)
        if (strcmp(ALIASES[i].old_name, name) == 0)
            return ALIASES[i].name;
    return name;
}

const char *sf_cfgalias_old_env(const char *name)
{
    for (size_t i = 0; i < NALIAS; i++)
        if (strcmp(ALIASES[i].name, name) == 0)
            return ALIASES[i].old_env;
    return NULL;
}

int sf_cfgalias_doc(json_t *doc)
{
    for (size_t i = 0; i < NALIAS; i++) {
        json_t *v = json_object_get(doc, ALIASES[i].old_name);
        if (!v)
            continue;
        if (!json_object_get(doc, ALIASES[i].name) &&
            json_object_set(doc, ALIASES[i].name, v) != 0)
            return -1;
        json_object_del(doc, ALIASES[i].old_name);
    }
    return 0;
}
