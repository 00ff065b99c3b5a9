/* The x-mcp-header index of the 2026-07-28 request headers (mcp_headers.h):
 * what tools/list taught, per tool, and the rules that take a tool whose
 * annotations break them out of the list. */
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/base/token.h"
#include "bridge/mcp/mcp_headers_internal.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the index ----------------------------------------------------------- */

static size_t hash_name(const char *s)
{
    size_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void annotations_free(annotation_t *a, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(a[i].header);
        for (size_t d = 0; d < a[i].depth; d++)
            free(a[i].path[d]);
        free(a[i].path);
    }
    free(a);
}

static void entry_free(tool_entry_t *e)
{
    if (!e) return;
    annotations_free(e->annotations, e->count);
    free(e->name);
    free(e);
}

mcp_tool_headers_t *mcp_tool_headers_new(void)
{
    mcp_tool_headers_t *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->nbuckets = 64;
    if (!(h->buckets = calloc(h->nbuckets, sizeof *h->buckets))) {
        free(h);
        return NULL;
    }
    return h;
}

void mcp_tool_headers_clear(mcp_tool_headers_t *h)
{
    assert(h);
    for (size_t b = 0; b < h->nbuckets; b++) {
        tool_entry_t *e = h->buckets[b];
        while (e) {
            tool_entry_t *next = e->next;
            entry_free(e);
            e = next;
        }
        h->buckets[b] = NULL;
    }
    h->count = 0;
}

void mcp_tool_headers_free(mcp_tool_headers_t *h)
{
    if (!h) return;
    mcp_tool_headers_clear(h);
    free(h->buckets);
    free(h);
}

const tool_entry_t *mcp_tool_headers_find(const mcp_tool_headers_t *h, const char *name)
{
    for (const tool_entry_t *e = h->buckets[hash_name(name) & (h->nbuckets - 1)]; e; e = e->next)
        if (strcmp(e->name, name) == 0) return e;
    return NULL;
}

static void index_remove(mcp_tool_headers_t *h, const char *name)
{
    tool_entry_t **at = &h->buckets[hash_name(name) & (h->nbuckets - 1)];
    for (; *at; at = &(*at)->next) {
        if (strcmp((*at)->name, name) == 0) {
            tool_entry_t *gone = *at;
            *at = gone->next;
            entry_free(gone);
            h->count--;
            return;
        }
    }
}

/* Doubles the table when it is full; a failed grow leaves it as it was (only
 * slower), so it is not an error. */
static void index_grow(mcp_tool_headers_t *h)
{
    if (h->count < h->nbuckets || h->nbuckets > SIZE_MAX / 2 / sizeof *h->buckets) return;
    size_t n = h->nbuckets * 2;
    tool_entry_t **buckets = calloc(n, sizeof *buckets);
    if (!buckets) return;
    for (size_t b = 0; b < h->nbuckets; b++) {
        tool_entry_t *e = h->buckets[b];
        while (e) {
            tool_entry_t *next = e->next;
            size_t at = hash_name(e->name) & (n - 1);
            e->next = buckets[at];
            buckets[at] = e;
            e = next;
        }
    }
    free(h->buckets);
    h->buckets = buckets;
    h->nbuckets = n;
}

/* Takes e (its name already set); a tool of the same name is replaced. */
static void index_put(mcp_tool_headers_t *h, tool_entry_t *e)
{
    index_remove(h, e->name);
    index_grow(h);
    size_t at = hash_name(e->name) & (h->nbuckets - 1);
    e->next = h->buckets[at];
    h->buckets[at] = e;
    h->count++;
}

/* ---- learning a tool's annotations ------------------------------------------ */

/* What walking one tool's inputSchema found: its annotations, or why the tool
 * must go. */
typedef struct schema_walk {
    annotation_t *annotations;
    size_t count;
    const char *path[MAX_PROPERTY_PATH_DEPTH];
    size_t depth;
    char reason[160];
    int err; /* BRIDGE_ENOMEM, or BRIDGE_EINVAL once reason is set */
} schema_walk_t;

static int walk_refuse(schema_walk_t *w, const char *reason)
{
    if (!w->err) {
        snprintf(w->reason, sizeof w->reason, "%s", reason);
        w->err = BRIDGE_EINVAL;
    }
    return w->err;
}

static int is_token(const char *s, size_t len)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++)
        if (!http_is_tchar((unsigned char)s[i])) return 0;
    return 1;
}

static int type_name_to_param(const char *t, enum param_type *out)
{
    if (strcmp(t, "string") == 0)
        *out = PARAM_STRING;
    else if (strcmp(t, "integer") == 0)
        *out = PARAM_INTEGER;
    else if (strcmp(t, "boolean") == 0)
        *out = PARAM_BOOLEAN;
    else
        return BRIDGE_EINVAL;
    return 0;
}

/* The annotated property's declared type. "type" is a string, or an array
 * holding exactly one of integer/string/boolean and at most "null" beside it
 * (a null value simply omits the header, so ["string","null"] is harmless);
 * anything else (number, object, array, null alone, several primitives, no
 * type at all) is refused. */
static int declared_param_type(const json_t *schema, enum param_type *out)
{
    const json_t *type = json_object_get(schema, "type");
    if (json_is_string(type)) return type_name_to_param(json_string_value(type), out);
    if (!json_is_array(type)) return BRIDGE_EINVAL;
    size_t i, primitives = 0;
    const json_t *t;
    json_array_foreach (type, i, t) {
        if (!json_is_string(t)) return BRIDGE_EINVAL;
        if (strcmp(json_string_value(t), "null") == 0) continue;
        if (type_name_to_param(json_string_value(t), out) < 0) return BRIDGE_EINVAL;
        primitives++;
    }
    return primitives == 1 ? 0 : BRIDGE_EINVAL;
}

static int record_annotation(schema_walk_t *w, const json_t *schema, const json_t *value)
{
    if (!json_is_string(value)) return walk_refuse(w, "an x-mcp-header value is not a string");
    const char *name = json_string_value(value);
    size_t len = json_string_length(value);
    if (len == 0) return walk_refuse(w, "an x-mcp-header value is empty");
    if (len > MAX_ANNOTATION_BYTES)
        return walk_refuse(w, "an x-mcp-header value is longer than 128 bytes");
    if (!is_token(name, len))
        return walk_refuse(w, "an x-mcp-header value has a character outside the HTTP token set");
    enum param_type type;
    if (declared_param_type(schema, &type) < 0)
        return walk_refuse(w, "an x-mcp-header is on a property whose type is not integer, "
                              "string or boolean");
    for (size_t i = 0; i < w->count; i++)
        if (strcasecmp(w->annotations[i].header, name) == 0)
            return walk_refuse(w, "two x-mcp-header values are the same (ignoring case)");
    if (w->count == MAX_ANNOTATIONS_PER_TOOL)
        return walk_refuse(w, "more than 64 x-mcp-header annotations");

    annotation_t *grown = realloc(w->annotations, (w->count + 1) * sizeof *grown);
    if (!grown) return w->err = BRIDGE_ENOMEM;
    w->annotations = grown;
    annotation_t *a = &w->annotations[w->count];
    memset(a, 0, sizeof *a);
    w->count++; /* counted now so that a failure below frees what was set */
    a->type = type;
    if (!(a->header = strdup(name)) || !(a->path = calloc(w->depth, sizeof *a->path)))
        return w->err = BRIDGE_ENOMEM;
    for (; a->depth < w->depth; a->depth++)
        if (!(a->path[a->depth] = strdup(w->path[a->depth]))) return w->err = BRIDGE_ENOMEM;
    return 0;
}

/* Keywords whose values are data, not schemas: an "x-mcp-header" key inside
 * them is an instance value and says nothing about the tool. */
static int is_data_keyword(const char *key)
{
    static const char *const data[] = {"default", "const", "enum", "examples", "example"};
    for (size_t i = 0; i < sizeof data / sizeof *data; i++)
        if (strcmp(key, data[i]) == 0) return 1;
    return 0;
}

/* Where a schema sits relative to the chain of `properties` keys from the
 * root: only a property on the chain may carry an annotation. */
enum chain_place {
    OFF_CHAIN,         /* under items, oneOf, $defs, additionalProperties, ... */
    ON_CHAIN,          /* reached through properties alone (path in w->path) */
    BEYOND_PATH_LIMIT, /* on the chain, deeper than MAX_PROPERTY_PATH_DEPTH */
};

static int walk_schema(schema_walk_t *w, const json_t *node, size_t level, enum chain_place place);

/* A keyword's value that may hold schemas (items, oneOf, $defs, ...): every
 * object in it is walked as a schema off the properties chain. */
static int walk_off_chain(schema_walk_t *w, const json_t *value, size_t level)
{
    if (level > MAX_SCHEMA_DEPTH) return walk_refuse(w, "the inputSchema nests too deeply");
    if (json_is_object(value)) return walk_schema(w, value, level, OFF_CHAIN);
    if (json_is_array(value)) {
        size_t i;
        const json_t *item;
        json_array_foreach (value, i, item) {
            if (walk_off_chain(w, item, level + 1) < 0) return w->err;
        }
    }
    return 0;
}

static int walk_properties(schema_walk_t *w, const json_t *properties, size_t level,
                           enum chain_place place)
{
    const char *prop;
    const json_t *sub;
    json_object_foreach ((json_t *)properties, prop, sub) {
        if (!json_is_object(sub)) continue;
        if (place != ON_CHAIN) {
            if (walk_schema(w, sub, level, place) < 0) return w->err;
            continue;
        }
        if (w->depth == MAX_PROPERTY_PATH_DEPTH) {
            if (walk_schema(w, sub, level, BEYOND_PATH_LIMIT) < 0) return w->err;
            continue;
        }
        w->path[w->depth++] = prop;
        int rc = walk_schema(w, sub, level, ON_CHAIN);
        w->depth--;
        if (rc < 0) return rc;
    }
    return 0;
}

/* Walks one schema object and all it holds. The root is on the chain but is
 * not a property, so an annotation on it is misplaced too. */
static int walk_schema(schema_walk_t *w, const json_t *node, size_t level, enum chain_place place)
{
    assert(json_is_object(node));
    if (level > MAX_SCHEMA_DEPTH) return walk_refuse(w, "the inputSchema nests too deeply");
    const json_t *annotation = json_object_get(node, "x-mcp-header");
    if (annotation) {
        if (place == BEYOND_PATH_LIMIT)
            return walk_refuse(w, "an x-mcp-header is deeper than 16 nested properties");
        if (place == OFF_CHAIN || w->depth == 0)
            return walk_refuse(w, "an x-mcp-header is on a schema that is not reached from the "
                                  "root through properties alone");
        if (record_annotation(w, node, annotation) < 0) return w->err;
    }
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *)node, key, value) {
        if (strcmp(key, "properties") == 0 && json_is_object(value)) {
            if (walk_properties(w, value, level + 1, place) < 0) return w->err;
        } else if (strcmp(key, "x-mcp-header") != 0 && !is_data_keyword(key)) {
            if (walk_off_chain(w, value, level + 1) < 0) return w->err;
        }
    }
    return 0;
}

/* A tool or argument name usable as an index key: a string without an
 * embedded NUL (which would make two names compare equal). */
const char *mcp_tool_key_name(const json_t *name)
{
    if (!json_is_string(name)) return NULL;
    const char *s = json_string_value(name);
    return strlen(s) == json_string_length(name) ? s : NULL;
}

/* Sanitised copy of an outside name for a log line. */
static void printable_name(const char *name, char *out, size_t size)
{
    assert(size > 0);
    size_t o = 0;
    for (; name && *name && o + 1 < size; name++)
        out[o++] = (unsigned char)*name >= 0x20 && (unsigned char)*name < 0x7f ? *name : '?';
    out[o] = 0;
    if (!name) snprintf(out, size, "(unnamed)");
}

int mcp_tool_headers_learn(mcp_tool_headers_t *h, json_t *result)
{
    assert(h);
    json_t *tools = json_object_get(result, "tools");
    if (!json_is_array(tools)) return 0;
    int removed = 0;
    for (size_t i = 0; i < json_array_size(tools);) {
        json_t *tool = json_array_get(tools, i);
        const char *name = mcp_tool_key_name(json_object_get(tool, "name"));
        const json_t *schema = json_object_get(tool, "inputSchema");
        schema_walk_t w = {0};
        if (json_is_object(schema)) walk_schema(&w, schema, 0, ON_CHAIN);
        if (w.err == BRIDGE_ENOMEM) {
            annotations_free(w.annotations, w.count);
            return BRIDGE_ENOMEM;
        }
        if (w.err) {
            char shown[129];
            printable_name(name, shown, sizeof shown);
            log_info("tool \"%s\" is left out of tools/list: %s", shown, w.reason);
            annotations_free(w.annotations, w.count);
            if (name) index_remove(h, name);
            json_array_remove(tools, i);
            removed++;
            continue;
        }
        i++;
        if (!name) {
            annotations_free(w.annotations, w.count);
            continue;
        }
        if (w.count == 0) {
            index_remove(h, name);
            continue;
        }
        tool_entry_t *e = calloc(1, sizeof *e);
        if (!e || !(e->name = strdup(name))) {
            free(e);
            annotations_free(w.annotations, w.count);
            return BRIDGE_ENOMEM;
        }
        e->annotations = w.annotations;
        e->count = w.count;
        index_put(h, e);
    }
    return removed;
}
