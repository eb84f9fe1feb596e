/*
 * yaml2json: see yaml2json.h. An event-driven walk with an explicit
 * stack of open containers; keys of a mapping alternate with values.
 */
#include "base/yaml2json.h"

#include <string.h>

#include "base/limits.h"

#ifndef SF_HAVE_YAML

int sf_yaml_to_json(const char *text, size_t len, json_t **out, sf_error *err)
{
    (void)text, (void)len;
    *out = NULL;
    return sf_error_set(err, SF_EUNSUPPORTED, "YAML config needs a build with libyaml");
}

#else

#include <yaml.h>

typedef struct frame {
    json_t *node;
    char *key; /* pending key of a mapping, NULL when a key is expected */
} frame;

static json_t *scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (n == 0 || (n == 1 && v[0] == '~') || (n == 4 && memcmp(v, "null", 4) == 0)))
        return json_null();
    return json_stringn(v, n);
}

/* Attach v to the innermost container (or make it the root). */
static int attach(frame *st, int depth, json_t **root, json_t *v, const yaml_event_t *ev)
{
    if (!v)
        return -1;
    if (depth == 0) {
        *root = v;
        return 0;
    }
    frame *f = &st[depth - 1];
    if (json_is_array(f->node))
        return json_array_append_new(f->node, v);
    if (!f->key) {
        /* A mapping key must be a scalar. */
        if (ev->type != YAML_SCALAR_EVENT || !json_is_string(v)) {
            json_decref(v);
            return -1;
        }
        f->key = strdup(json_string_value(v));
        json_decref(v);
        return f->key ? 0 : -1;
    }
    int rc = json_object_set_new(f->node, f->key, v);
    free(f->key);
    f->key = NULL;
    return rc;
}

int sf_yaml_to_json(const char *text, size_t len, json_t **out, sf_error *err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    frame st[SF_LIM_JSON_DEPTH];
    int depth = 0, rc = SF_OK, done = 0;
    json_t *root = NULL;
    *out = NULL;
    if (!yaml_parser_initialize(&p))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = sf_error_set(err, SF_ECONFIG, "config:%zu: %s", p.problem_mark.line + 1,
                              p.problem ? p.problem : "malformed YAML");
            break;
        }
        int bad = 0;
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            bad = attach(st, depth, &root, scalar(&ev), &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            json_t *c = ev.type == YAML_MAPPING_START_EVENT ? json_object() : json_array();
            if (depth == SF_LIM_JSON_DEPTH || !c) {
                json_decref(c);
                bad = 1;
                break;
            }
            json_incref(c); /* one reference for the parent, one for the frame */
            bad = attach(st, depth, &root, c, &ev);
            st[depth].node = c, st[depth].key = NULL;
            depth++;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            json_decref(st[depth].node);
            free(st[depth].key);
            break;
        case YAML_ALIAS_EVENT:
            rc = sf_error_set(err, SF_ECONFIG, "config:%zu: YAML aliases are not supported",
                              ev.start_mark.line + 1);
            break;
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        if ((ev.type == YAML_SCALAR_EVENT && ev.data.scalar.anchor) ||
            (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.anchor) ||
            (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.anchor))
            bad = 1;
        yaml_event_delete(&ev);
        if (bad && !rc)
            rc = sf_error_set(err, SF_ECONFIG, "config: unsupported YAML (anchors, complex "
                                               "keys or nesting deeper than %d)",
                              SF_LIM_JSON_DEPTH);
        if (rc)
            break;
    }
    while (depth > 0) {
        depth--;
        json_decref(st[depth].node);
        free(st[depth].key);
    }
    yaml_parser_delete(&p);
    if (rc) {
        json_decref(root);
        return rc;
    }
    *out = root ? root : json_object();
    return SF_OK;
}

#endif
