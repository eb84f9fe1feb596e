/*
 * an_dotnet: .NET packages from the dependency manifests the .NET SDK
 * writes beside every application and shared framework, <name>.deps.json:
 *
 *   {"runtimeTarget": {...}, "targets": {...},
 *    "libraries": {"Newtonsoft.Json/13.0.1": {"type": "package",
 *                                             "serviceable": true,
 *                                             "sha512": "...", ...},
 *                  "MyApp/1.0.0": {"type": "project", ...}}}
 *
 * Reported (type SF_PT_NUGET, ecosystem NuGet): each "libraries" entry of
 * type "package", split at the last '/' of its key into name and version
 * as written. "project" entries (the application and its own projects)
 * and "reference" entries (plain assemblies) have no package identity
 * and are not reported. A shared framework's own deps.json (e.g.
 * shared/Microsoft.NETCore.App/8.0.1/Microsoft.NETCore.App.deps.json)
 * lists its runtime pack as a package, so the .NET runtime itself is
 * matched by the advisories that name that pack.
 *
 * Which files: any regular file whose name ends in ".deps.json".
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/json.h"
#include "base/buf.h"
#include "base/limits.h"

static int dotnet_wants(const sf_entry *e)
{
    const char *base = sf_an_basename(e->path);
    return sf_an_is_regular(e) && strlen(base) > 10 && sf_an_has_suffix(base, ".deps.json");
}

/* One "libraries" entry: SF_OK (added or not a package), or an error. */
static int add_library(const char *key, const json_t *lib, sf_inv_source *src, size_t *skipped,
                       sf_error *err)
{
    const json_t *type = json_object_get(lib, "type");
    if (!json_is_object(lib) || !json_is_string(type)) {
        (*skipped)++;
        return SF_OK;
    }
    if (strcmp(json_string_value(type), "package") != 0)
        return SF_OK;
    const char *slash = strrchr(key, '/'); /* "Name/1.2.3" */
    if (!slash) {
        (*skipped)++;
        return SF_OK;
    }
    return sf_an_take_named(src, SF_PT_NUGET, key, (size_t)(slash - key), slash + 1,
                            strlen(slash + 1), skipped, err);
}

int sf_an_dotnet_parse_json(const char *text, size_t len, sf_inv_source *src, sf_error *err)
{
    json_t *root = NULL;
    size_t skipped = 0;
    const char *what = src->path ? src->path : "deps.json";
    int rc = sf_jutil_load(&root, text, len, SF_LIM_META_FILE_BYTES, what, err);
    if (rc != SF_OK)
        return rc;
    const json_t *libs = json_object_get(root, "libraries");
    if (!json_is_object(root) || (libs && !json_is_object(libs))) {
        rc = sf_error_set(err, SF_EPARSE, "%s: not a .NET deps.json (\"libraries\" is not an object)",
                          what);
        goto done;
    }
    src->status = SF_SRC_PARSED;
    const char *key;
    json_t *lib;
    json_object_foreach((json_t *)libs, key, lib) {
        if ((rc = add_library(key, lib, src, &skipped, err)) != SF_OK)
            break;
    }
    if (rc == SF_OK)
        rc = sf_an_note_skipped(src, skipped, "library entry", err);
done:
    json_decref(root);
    return rc;
}

static int dotnet_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                        sf_error *err)
{
    (void)e;
    return sf_an_dotnet_parse_json((const char *)data, len, src, err);
}

const sf_analyzer sf_an_dotnet = {
    .name = "dotnet",
    .version = 1,
    .max_bytes = SF_LIM_META_FILE_BYTES, /* big ASP.NET apps: ~200 KiB */
    .wants = dotnet_wants,
    .sniff = NULL,
    .parse = dotnet_parse,
};
