/*
 * notify_rules: parse and apply scanfarm-notify's policy file (see
 * notify_rules.h). The parser walks a jansson tree with a strict key list
 * per object so a typo ("severty") is an error instead of a rule that
 * silently matches everything.
 */
#include "notify_rules.h"

#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/severity.h"
#include "base/buf.h"
#include "base/yaml2json.h"

typedef const char *(*env_fn)(const char *);

static const char *std_getenv(const char *n) { return getenv(n); }

/* The rank of model/severity.h, exact upper-case words only; NEGLIGIBLE
 * ranks with UNKNOWN. */
int sf_nrules_sev_rank(const char *s)
{
    if (!s || !strcmp(s, "NEGLIGIBLE"))
        return SF_SEV_UNKNOWN;
    for (int i = SF_SEV_UNKNOWN; i < SF_SEV_N; i++)
        if (!strcmp(s, sf_sev_name(i)))
            return i;
    return -1;
}

/* Only keys in allowed[] may appear in o. */
static int check_keys(json_t *o, const char *const *allowed, const char *where, sf_error *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], k))
            i++;
        if (!allowed[i])
            return sf_error_set(err, SF_ECONFIG, "%s: unknown key \"%.64s\"", where, k);
    }
    return SF_OK;
}

static int opt_str(json_t *o, const char *key, const char *where, char **out, sf_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return SF_OK;
    if (!json_is_string(v) || !json_string_length(v))
        return sf_error_set(err, SF_ECONFIG, "%s.%s: must be a non-empty string", where, key);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return sf_error_set(err, SF_ECONFIG, "%s.%s: holds a NUL byte", where, key);
    free(*out);
    return (*out = sf_strdup(json_string_value(v))) ? SF_OK : SF_ENOMEM;
}

/* A boolean given as JSON true/false or (YAML) "true"/"false"; -1 absent. */
static int opt_bool(json_t *o, const char *key, const char *where, int *out, sf_error *err)
{
    json_t *v = json_object_get(o, key);
    *out = -1;
    if (!v || json_is_null(v))
        return SF_OK;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return SF_OK;
    }
    const char *s = json_string_value(v);
    if (s && (!strcmp(s, "true") || !strcmp(s, "false"))) {
        *out = s[0] == 't';
        return SF_OK;
    }
    return sf_error_set(err, SF_ECONFIG, "%s.%s: must be true or false", where, key);
}

/* The secret <what> of a sink: from <what>_env or <what>_file, never literal. */
static int secret(json_t *o, const char *what, const char *where, env_fn ge, char **out,
                  sf_error *err)
{
    char k_env[32], k_file[32];
    snprintf(k_env, sizeof k_env, "%s_env", what);
    snprintf(k_file, sizeof k_file, "%s_file", what);
    if (json_object_get(o, what))
        return sf_error_set(err, SF_ECONFIG,
                            "%s.%s: secrets are not accepted literally; use %s or %s", where,
                            what, k_env, k_file);
    const char *env = json_string_value(json_object_get(o, k_env));
    const char *file = json_string_value(json_object_get(o, k_file));
    if (env && file)
        return sf_error_set(err, SF_ECONFIG, "%s: give %s or %s, not both", where, k_env, k_file);
    if (env) {
        const char *v = ge(env);
        if (!v || !*v)
            return sf_error_set(err, SF_ECONFIG, "%s.%s: variable %.64s is not set", where,
                                k_env, env);
        return (*out = sf_strdup(v)) ? SF_OK : SF_ENOMEM;
    }
    if (!file)
        return SF_OK;
    FILE *f = fopen(file, "rb");
    if (!f)
        return sf_error_set(err, SF_ECONFIG, "%s.%s: cannot open %.200s: %s", where, k_file,
                            file, strerror(errno));
    char buf[SF_LIM_NOTIFY_SECRET_BYTES + 1];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n > SF_LIM_NOTIFY_SECRET_BYTES)
        return sf_error_set(err, SF_ECONFIG, "%s.%s: longer than %u bytes", where, k_file,
                            (unsigned)SF_LIM_NOTIFY_SECRET_BYTES);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    if (!n || strlen(buf) != n)
        return sf_error_set(err, SF_ECONFIG, "%s.%s: empty or binary", where, k_file);
    *out = sf_strdup(buf);
    explicit_bzero(buf, sizeof buf);
    return *out ? SF_OK : SF_ENOMEM;
}

static int http_url_ok(const char *u)
{
    return u && (!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7));
}

static int dup_default(char **v, const char *def)
{
    return *v || (*v = sf_strdup(def)) ? SF_OK : SF_ENOMEM;
}

/* The tracker sinks (GitHub issues, Azure DevOps work items). */
static int parse_tracker(sf_nsink *s, json_t *o, const char *where, env_fn ge, sf_error *err)
{
    int ado = s->type == SF_NSINK_ADO, rc;
    if ((rc = opt_str(o, "api", where, &s->api, err)) || (rc = opt_str(o, "label", where, &s->label, err)) ||
        (rc = opt_str(o, ado ? "project" : "repo", where, &s->repo, err)) ||
        (rc = secret(o, "token", where, ge, &s->token, err)))
        return rc;
    if (ado && ((rc = opt_str(o, "work_item_type", where, &s->wi_type, err)) ||
                (rc = opt_str(o, "open_state", where, &s->open_state, err)) ||
                (rc = opt_str(o, "closed_state", where, &s->closed_state, err)) ||
                (rc = dup_default(&s->wi_type, "Bug")) || (rc = dup_default(&s->open_state, "New")) ||
                (rc = dup_default(&s->closed_state, "Done"))))
        return rc;
    if ((!ado && (rc = dup_default(&s->api, "https://api.github.com"))) ||
        (rc = dup_default(&s->label, "scanfarm")))
        return rc;
    /* Tags and labels end up in URLs, WIQL and JSON: keep them plain. */
    if (strspn(s->label, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
        strlen(s->label))
        return sf_error_set(err, SF_ECONFIG, "%s.label: only [A-Za-z0-9_.-]", where);
    const char *sl = s->repo ? strchr(s->repo, '/') : NULL;
    if (!ado && (!sl || sl == s->repo || !sl[1] || strchr(sl + 1, '/') || strpbrk(s->repo, "?#% ")))
        return sf_error_set(err, SF_ECONFIG, "%s.repo: must be \"owner/name\"", where);
    if (ado && (!s->repo || strpbrk(s->repo, "/?#%'\\")))
        return sf_error_set(err, SF_ECONFIG, "%s.project: a project name is required", where);
    if (!http_url_ok(s->api))
        return sf_error_set(err, SF_ECONFIG, "%s.api: must be an http(s) URL%s", where,
                            ado ? " (the organization, https://dev.azure.com/ORG)" : "");
    if (!s->token)
        return sf_error_set(err, SF_ECONFIG, "%s: token_env or token_file is required", where);
    return SF_OK;
}

static const struct {
    const char *name;
    sf_nsink_type type;
} SINK_TYPES[] = {{"webhook", SF_NSINK_WEBHOOK}, {"slack", SF_NSINK_SLACK},
                  {"teams", SF_NSINK_TEAMS},     {"github", SF_NSINK_GITHUB},
                  {"azure-devops", SF_NSINK_ADO}};

static int parse_sink(sf_nsink *s, const char *name, json_t *o, env_fn ge, sf_error *err)
{
    static const char *const keys[] = {
        "type",    "url_env", "url_file",       "secret_env", "secret_file",  "token_env",
        "token_file", "api",  "repo",           "label",      "url",          "secret",
        "token",   "project", "work_item_type", "open_state", "closed_state", NULL};
    char where[96];
    snprintf(where, sizeof where, "sinks.%.64s", name);
    if (!json_is_object(o))
        return sf_error_set(err, SF_ECONFIG, "%s: must be an object", where);
    /* The name is part of Redis keys and metric labels. */
    if (!*name || strlen(name) > 64 ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
            strlen(name))
        return sf_error_set(err, SF_ECONFIG, "%s: a sink name is 1-64 of [A-Za-z0-9_.-]", where);
    int rc = check_keys(o, keys, where, err);
    if (rc == SF_OK && !(s->name = sf_strdup(name)))
        rc = SF_ENOMEM;
    if (rc != SF_OK)
        return rc;
    const char *type = json_string_value(json_object_get(o, "type"));
    size_t t = 0, nt = sizeof SINK_TYPES / sizeof SINK_TYPES[0];
    while (type && t < nt && strcmp(SINK_TYPES[t].name, type))
        t++;
    if (!type || t == nt)
        return sf_error_set(err, SF_ECONFIG,
                            "%s.type: one of webhook, slack, teams, github, azure-devops", where);
    s->type = SINK_TYPES[t].type;
    if (s->type == SF_NSINK_GITHUB || s->type == SF_NSINK_ADO)
        return parse_tracker(s, o, where, ge, err);
    if ((rc = secret(o, "url", where, ge, &s->url, err)) != SF_OK)
        return rc;
    if (s->type == SF_NSINK_WEBHOOK && (rc = secret(o, "secret", where, ge, &s->secret, err)))
        return rc;
    if (!http_url_ok(s->url))
        return sf_error_set(err, SF_ECONFIG, "%s: url_env or url_file must give an http(s) URL",
                            where);
    return SF_OK;
}

static int parse_globs(json_t *r, const char *key, const char *where, sf_nglobs *g, sf_error *err)
{
    json_t *a = json_object_get(r, key), *x;
    size_t i;
    if (!a || json_is_null(a))
        return SF_OK;
    if (!json_is_array(a))
        return sf_error_set(err, SF_ECONFIG, "%s.%s: must be a list of globs", where, key);
    if (json_array_size(a) > SF_LIM_NOTIFY_GLOBS)
        return sf_error_set(err, SF_ELIMIT, "%s.%s: more than %d globs", where, key,
                            SF_LIM_NOTIFY_GLOBS);
    if (!(g->v = calloc(json_array_size(a) + 1, sizeof *g->v)))
        return SF_ENOMEM;
    json_array_foreach(a, i, x) {
        const char *s = json_string_value(x);
        if (!s || !*s || strlen(s) != json_string_length(x))
            return sf_error_set(err, SF_ECONFIG, "%s.%s[%zu]: must be a non-empty string", where,
                                key, i);
        if (!(g->v[g->n++] = sf_strdup(s)))
            return SF_ENOMEM;
    }
    return SF_OK;
}

static int rule_sinks(sf_nrule *ru, json_t *r, const sf_nrules *all, const char *where,
                      sf_error *err)
{
    json_t *a = json_object_get(r, "sinks"), *x;
    size_t i;
    if (!json_is_array(a) || !json_array_size(a))
        return sf_error_set(err, SF_ECONFIG, "%s.sinks: a non-empty list of sink names", where);
    if (json_array_size(a) > SF_LIM_NOTIFY_SINKS_PER_RULE)
        return sf_error_set(err, SF_ELIMIT, "%s.sinks: more than %d", where,
                            SF_LIM_NOTIFY_SINKS_PER_RULE);
    json_array_foreach(a, i, x) {
        const char *s = json_string_value(x);
        size_t k = 0;
        while (s && k < all->nsinks && strcmp(all->sinks[k].name, s))
            k++;
        if (!s || k == all->nsinks)
            return sf_error_set(err, SF_ECONFIG, "%s.sinks[%zu]: no sink named \"%.64s\"",
                                where, i, s ? s : "(not a string)");
        for (size_t j = 0; j < ru->nsinks; j++)
            if (ru->sinks[j] == k)
                return sf_error_set(err, SF_ECONFIG, "%s.sinks: \"%.64s\" listed twice", where, s);
        ru->sinks[ru->nsinks++] = k;
    }
    return SF_OK;
}

static int rule_numbers(sf_nrule *ru, json_t *r, const char *where, sf_error *err)
{
    json_t *e = json_object_get(r, "epss_min");
    ru->epss_min = -1;
    if (e && !json_is_null(e)) {
        double v = json_is_number(e) ? json_number_value(e) : -1;
        const char *s = json_string_value(e);
        char *end = NULL;
        if (s) {
            v = strtod(s, &end);
            if (end == s || *end)
                v = -1;
        }
        if (!(v >= 0 && v <= 1))
            return sf_error_set(err, SF_ECONFIG, "%s.epss_min: a probability in [0, 1]", where);
        ru->epss_min = v;
    }
    const char *g = json_string_value(json_object_get(r, "group"));
    if (json_object_get(r, "group") && (!g || (strcmp(g, "finding") && strcmp(g, "image"))))
        return sf_error_set(err, SF_ECONFIG, "%s.group: \"finding\" or \"image\"", where);
    ru->group = g && !strcmp(g, "image") ? SF_NGROUP_IMAGE : SF_NGROUP_FINDING;
    return SF_OK;
}

static int parse_rule(sf_nrule *ru, size_t idx, json_t *r, const sf_nrules *all, sf_error *err)
{
    static const char *const keys[] = {"name", "severity", "fixable", "kev", "epss_min",
                                       "registries", "repositories", "ecosystems",
                                       "advisories", "sinks", "group", NULL};
    char where[48];
    snprintf(where, sizeof where, "rules[%zu]", idx);
    if (!json_is_object(r))
        return sf_error_set(err, SF_ECONFIG, "%s: must be an object", where);
    int rc, kev;
    char *sev = NULL;
    if ((rc = check_keys(r, keys, where, err)) || (rc = opt_str(r, "name", where, &ru->name, err)) ||
        (rc = opt_str(r, "severity", where, &sev, err)) ||
        (rc = opt_bool(r, "fixable", where, &ru->fixable, err)) ||
        (rc = opt_bool(r, "kev", where, &kev, err)))
        goto done;
    ru->kev = kev == 1 ? 1 : -1; /* "kev: false" = do not filter on it */
    ru->min_sev = sev ? sf_nrules_sev_rank(sev) : 0;
    if (ru->min_sev < 0) {
        rc = sf_error_set(err, SF_ECONFIG,
                          "%s.severity: one of CRITICAL, HIGH, MEDIUM, LOW, NEGLIGIBLE, UNKNOWN",
                          where);
        goto done;
    }
    if (!ru->name) {
        char n[32];
        snprintf(n, sizeof n, "rule-%zu", idx);
        if (!(ru->name = sf_strdup(n))) {
            rc = SF_ENOMEM;
            goto done;
        }
    }
    if ((rc = parse_globs(r, "registries", where, &ru->registries, err)) ||
        (rc = parse_globs(r, "repositories", where, &ru->repositories, err)) ||
        (rc = parse_globs(r, "ecosystems", where, &ru->ecosystems, err)) ||
        (rc = parse_globs(r, "advisories", where, &ru->advisories, err)) ||
        (rc = rule_numbers(ru, r, where, err)))
        goto done;
    rc = rule_sinks(ru, r, all, where, err);
done:
    free(sev);
    return rc;
}

static int parse_doc(sf_nrules *nr, json_t *doc, env_fn ge, sf_error *err)
{
    static const char *const keys[] = {"sinks", "rules", NULL};
    if (!json_is_object(doc))
        return sf_error_set(err, SF_ECONFIG, "policy: must be an object with sinks and rules");
    int rc = check_keys(doc, keys, "policy", err);
    json_t *sinks = json_object_get(doc, "sinks"), *rules = json_object_get(doc, "rules"), *v;
    if (rc)
        return rc;
    if (!json_is_object(sinks) || !json_object_size(sinks))
        return sf_error_set(err, SF_ECONFIG, "sinks: a non-empty object of named sinks");
    if (!json_is_array(rules) || !json_array_size(rules))
        return sf_error_set(err, SF_ECONFIG, "rules: a non-empty list");
    if (json_object_size(sinks) > SF_LIM_NOTIFY_SINKS || json_array_size(rules) > SF_LIM_NOTIFY_RULES)
        return sf_error_set(err, SF_ELIMIT, "policy: more than %d sinks or %d rules",
                            SF_LIM_NOTIFY_SINKS, SF_LIM_NOTIFY_RULES);
    nr->sinks = calloc(json_object_size(sinks), sizeof *nr->sinks);
    nr->rules = calloc(json_array_size(rules), sizeof *nr->rules);
    if (!nr->sinks || !nr->rules)
        return SF_ENOMEM;
    const char *k;
    json_object_foreach(sinks, k, v) {
        if ((rc = parse_sink(&nr->sinks[nr->nsinks++], k, v, ge, err)) != SF_OK)
            return rc;
    }
    size_t i;
    json_array_foreach(rules, i, v) {
        if ((rc = parse_rule(&nr->rules[nr->nrules++], i, v, nr, err)) != SF_OK)
            return rc;
    }
    return SF_OK;
}

int sf_nrules_parse(sf_nrules **out, const char *text, size_t len, env_fn ge, sf_error *err)
{
    json_t *doc = NULL;
    int rc = SF_OK;
    *out = NULL;
    size_t at = 0;
    while (at < len && (text[at] == ' ' || text[at] == '\n' || text[at] == '\t' || text[at] == '\r'))
        at++;
    if (len > SF_LIM_NOTIFY_FILE_BYTES)
        return sf_error_set(err, SF_ELIMIT, "policy: larger than %u bytes",
                            (unsigned)SF_LIM_NOTIFY_FILE_BYTES);
    if (at < len && text[at] == '{') {
        json_error_t je;
        doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!doc)
            return sf_error_set(err, SF_ECONFIG, "policy: line %d: %.160s", je.line, je.text);
    } else if ((rc = sf_yaml_to_json(text, len, &doc, err)) != SF_OK) {
        return rc;
    }
    sf_nrules *nr = calloc(1, sizeof *nr);
    if (!nr) {
        rc = SF_ENOMEM;
        goto done;
    }
    if ((rc = parse_doc(nr, doc, ge ? ge : std_getenv, err)) != SF_OK)
        goto done;
    *out = nr;
    nr = NULL;
done:
    if (rc == SF_ENOMEM && err && !err->code)
        sf_error_set(err, rc, "out of memory");
    sf_nrules_free(nr);
    json_decref(doc);
    return rc;
}

int sf_nrules_load(sf_nrules **out, const char *path, sf_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_error_set(err, SF_ECONFIG, "policy %.200s: %s", path, strerror(errno));
    size_t cap = SF_LIM_NOTIFY_FILE_BYTES + 1;
    char *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    if (!buf)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int rc = sf_nrules_parse(out, buf, n, NULL, err);
    free(buf);
    return rc;
}

static void globs_free(sf_nglobs *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->v[i]);
    free(g->v);
}

static void sink_clear(sf_nsink *s)
{
    free(s->name);
    if (s->url)
        explicit_bzero(s->url, strlen(s->url));
    free(s->url);
    if (s->secret)
        explicit_bzero(s->secret, strlen(s->secret));
    free(s->secret);
    if (s->token)
        explicit_bzero(s->token, strlen(s->token));
    free(s->token);
    free(s->api);
    free(s->repo);
    free(s->label);
    free(s->wi_type);
    free(s->open_state);
    free(s->closed_state);
}

void sf_nrules_free(sf_nrules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsinks; i++)
        sink_clear(&r->sinks[i]);
    for (size_t i = 0; i < r->nrules; i++) {
        sf_nrule *u = &r->rules[i];
        free(u->name);
        globs_free(&u->registries);
        globs_free(&u->repositories);
        globs_free(&u->ecosystems);
        globs_free(&u->advisories);
    }
    free(r->sinks);
    free(r->rules);
    free(r);
}

/* Empty list: everything; else s must match one glob ('*' crosses '/'). */
static int globs_ok(const sf_nglobs *g, const char *s)
{
    if (!g->n)
        return 1;
    if (!s)
        return 0;
    for (size_t i = 0; i < g->n; i++)
        if (fnmatch(g->v[i], s, 0) == 0)
            return 1;
    return 0;
}

int sf_nrules_match(const sf_nrule *r, const sf_nfacts *f)
{
    int rank = sf_nrules_sev_rank(f->severity);
    if ((rank < 0 ? 0 : rank) < r->min_sev)
        return 0;
    if (r->fixable >= 0 && (f->fixable != 0) != r->fixable)
        return 0;
    if (r->kev == 1 && !f->kev)
        return 0;
    if (r->epss_min >= 0 && !(f->epss >= r->epss_min))
        return 0;
    return globs_ok(&r->registries, f->registry) && globs_ok(&r->repositories, f->repository) &&
           globs_ok(&r->ecosystems, f->ecosystem) && globs_ok(&r->advisories, f->advisory);
}

int sf_nrules_split_ref(const char *ref, char *reg, size_t reglen, char *repo, size_t repolen)
{
    const char *sl = ref ? strchr(ref, '/') : NULL;
    if (!sl || sl == ref)
        return SF_EPARSE;
    size_t rl = (size_t)(sl - ref);
    const char *end = strchr(sl, '@');
    if (!end) {
        const char *colon = strrchr(sl, ':');
        end = colon && !strchr(colon, '/') ? colon : sl + strlen(sl);
    }
    size_t pl = (size_t)(end - sl - 1);
    if (rl >= reglen || pl >= repolen || !pl)
        return SF_EPARSE;
    memcpy(reg, ref, rl);
    reg[rl] = '\0';
    memcpy(repo, sl + 1, pl);
    repo[pl] = '\0';
    return SF_OK;
}
