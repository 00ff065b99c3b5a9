/* The request header lines of the 2026-07-28 Streamable HTTP transport (see
 * mcp_headers.h): the x-mcp-header index learnt from tools/list, its checks,
 * and the lines built for each message from that index and the body. */
#include "bridge/mcp/mcp_headers.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bounds on what one tool may declare; a tool beyond them is refused. */
#define MAX_ANNOTATIONS_PER_TOOL 64
#define MAX_PROPERTY_PATH_DEPTH 16
#define MAX_ANNOTATION_BYTES 128
#define MAX_SCHEMA_DEPTH 32
/* JavaScript's Number.MAX_SAFE_INTEGER: the spec's range for integer values. */
#define MAX_SAFE_INTEGER 9007199254740991LL

#define SENTINEL_PREFIX "=?base64?"
#define SENTINEL_SUFFIX "?="
#define PARAM_HEADER_PREFIX "Mcp-Param-"

enum param_type { PARAM_STRING, PARAM_INTEGER, PARAM_BOOLEAN };

typedef struct annotation {
    char *header; /* the x-mcp-header value as written */
    char **path;  /* property names from the schema root to the annotated property */
    size_t depth;
    enum param_type type;
} annotation_t;

typedef struct tool_entry {
    struct tool_entry *next; /* bucket chain */
    char *name;
    annotation_t *annotations;
    size_t count;
} tool_entry_t;

struct mcp_tool_headers {
    tool_entry_t **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
};

/* ---- value encoding ---------------------------------------------------- */

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t base64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = base64_alphabet[v >> 18 & 63];
        out[o++] = base64_alphabet[v >> 12 & 63];
        out[o++] = base64_alphabet[v >> 6 & 63];
        out[o++] = base64_alphabet[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
        out[o++] = base64_alphabet[v >> 18 & 63];
        out[o++] = base64_alphabet[v >> 12 & 63];
        out[o++] = i + 1 < n ? base64_alphabet[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

/* A start-and-end test rather than a regular expression: "=?base64?=" counts
 * too, since a server that decodes by prefix and suffix would try it; encoding
 * such a value costs nothing. */
static int looks_like_sentinel(const char *value, size_t len)
{
    size_t plen = sizeof SENTINEL_PREFIX - 1, slen = sizeof SENTINEL_SUFFIX - 1;
    return len >= plen && len >= slen && memcmp(value, SENTINEL_PREFIX, plen) == 0 &&
           memcmp(value + len - slen, SENTINEL_SUFFIX, slen) == 0;
}

static int is_plain_header_value(const char *value, size_t len)
{
    if (len == 0) return 1;
    if (value[0] == ' ' || value[len - 1] == ' ') return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 0x20 || c > 0x7e) return 0;
    }
    return !looks_like_sentinel(value, len);
}

char *mcp_header_encode(const char *value, size_t len)
{
    assert(value || len == 0);
    if (is_plain_header_value(value, len)) {
        char *copy = malloc(len + 1);
        if (!copy) return NULL;
        if (len) memcpy(copy, value, len);
        copy[len] = 0;
        return copy;
    }
    size_t affix = sizeof SENTINEL_PREFIX - 1 + sizeof SENTINEL_SUFFIX - 1;
    if (len / 3 >= (SIZE_MAX - affix - 8) / 4) return NULL;
    size_t encoded = (len + 2) / 3 * 4;
    char *out = malloc(affix + encoded + 1);
    if (!out) return NULL;
    memcpy(out, SENTINEL_PREFIX, sizeof SENTINEL_PREFIX - 1);
    size_t o = sizeof SENTINEL_PREFIX - 1;
    o += base64_encode((const unsigned char *)value, len, out + o);
    memcpy(out + o, SENTINEL_SUFFIX, sizeof SENTINEL_SUFFIX);
    return out;
}

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

static const tool_entry_t *index_find(const mcp_tool_headers_t *h, const char *name)
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

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_token(const char *s, size_t len)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_tchar((unsigned char)s[i])) return 0;
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
static const char *key_name(const json_t *name)
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
        const char *name = key_name(json_object_get(tool, "name"));
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

/* ---- header lines for a message ------------------------------------------ */

typedef struct lines {
    char **v;
    size_t n, cap;
} lines_t;

/* Adds "name: value" (both already header-safe). */
static int lines_add(lines_t *l, const char *name, const char *value)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return BRIDGE_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    size_t nlen = strlen(name), vlen = strlen(value);
    char *line = malloc(nlen + 2 + vlen + 1);
    if (!line) return BRIDGE_ENOMEM;
    memcpy(line, name, nlen);
    memcpy(line + nlen, ": ", 2);
    memcpy(line + nlen + 2, value, vlen + 1);
    l->v[l->n++] = line;
    return 0;
}

static int lines_add_encoded(lines_t *l, const char *name, const char *value, size_t len)
{
    char *encoded = mcp_header_encode(value, len);
    if (!encoded) return BRIDGE_ENOMEM;
    int rc = lines_add(l, name, encoded);
    free(encoded);
    return rc;
}

static int is_visible_ascii(const char *s, size_t len)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) return 0;
    return 1;
}

/* The decimal text of an integer argument, or 0 when the value is no integer
 * in the safe range (a real with an integral value counts: 42.0 is 42). */
static int integer_text(const json_t *v, char *out, size_t size)
{
    long long n;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i > MAX_SAFE_INTEGER || i < -MAX_SAFE_INTEGER) return 0;
        n = (long long)i;
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        /* The range test is false for NaN too; within it the cast is defined. */
        if (!(d >= -(double)MAX_SAFE_INTEGER && d <= (double)MAX_SAFE_INTEGER)) return 0;
        n = (long long)d;
        if ((double)n != d) return 0;
    } else {
        return 0;
    }
    snprintf(out, size, "%lld", n);
    return 1;
}

/* Adds the line of one annotated argument; nothing when the value is absent,
 * null, or not of the declared type (the server then answers HeaderMismatch,
 * which tells the host more than a header made up here would). */
static int add_param_line(lines_t *l, const annotation_t *a, const json_t *arguments)
{
    const json_t *v = arguments;
    for (size_t d = 0; d < a->depth && v; d++)
        v = json_is_object(v) ? json_object_get(v, a->path[d]) : NULL;
    if (!v || json_is_null(v)) return 0;

    char name[sizeof PARAM_HEADER_PREFIX + MAX_ANNOTATION_BYTES];
    snprintf(name, sizeof name, "%s%s", PARAM_HEADER_PREFIX, a->header);
    char number[32];
    switch (a->type) {
    case PARAM_STRING:
        if (!json_is_string(v)) return 0;
        return lines_add_encoded(l, name, json_string_value(v), json_string_length(v));
    case PARAM_INTEGER:
        if (!integer_text(v, number, sizeof number)) return 0;
        return lines_add(l, name, number);
    case PARAM_BOOLEAN:
        if (!json_is_boolean(v)) return 0;
        return lines_add(l, name, json_is_true(v) ? "true" : "false");
    }
    return 0;
}

static int build_lines(const mcp_tool_headers_t *h, json_t *msg, lines_t *l)
{
    const json_t *method = json_object_get(msg, "method");
    if (!json_is_string(method) ||
        !is_visible_ascii(json_string_value(method), json_string_length(method)))
        return BRIDGE_EINVAL;
    const char *m = json_string_value(method);
    const json_t *params = json_object_get(msg, "params");
    const json_t *version = json_object_get(json_object_get(params, "_meta"),
                                            "io.modelcontextprotocol/protocolVersion");
    int rc;
    if (version) {
        if (!json_is_string(version) ||
            !is_visible_ascii(json_string_value(version), json_string_length(version)))
            return BRIDGE_EINVAL;
        if ((rc = lines_add(l, "MCP-Protocol-Version", json_string_value(version))) < 0) return rc;
    }
    if ((rc = lines_add(l, "Mcp-Method", m)) < 0) return rc;

    int is_call = strcmp(m, "tools/call") == 0;
    const char *name_field = is_call || strcmp(m, "prompts/get") == 0 ? "name"
                             : strcmp(m, "resources/read") == 0       ? "uri"
                                                                      : NULL;
    const json_t *name = name_field ? json_object_get(params, name_field) : NULL;
    if (json_is_string(name) && (rc = lines_add_encoded(l, "Mcp-Name", json_string_value(name),
                                                        json_string_length(name))) < 0)
        return rc;

    const char *tool = is_call && h ? key_name(name) : NULL;
    if (!tool) return 0;
    const tool_entry_t *e = index_find(h, tool);
    const json_t *arguments = json_object_get(params, "arguments");
    if (!e || !json_is_object(arguments)) return 0;
    for (size_t i = 0; i < e->count; i++)
        if ((rc = add_param_line(l, &e->annotations[i], arguments)) < 0) return rc;
    return 0;
}

int mcp_request_headers(const mcp_tool_headers_t *h, json_t *msg, char ***lines, size_t *n)
{
    assert(lines && n);
    lines_t l = {0};
    int rc = build_lines(h, msg, &l);
    if (rc < 0) {
        mcp_header_lines_free(l.v, l.n);
        *lines = NULL;
        *n = 0;
        return rc;
    }
    *lines = l.v;
    *n = l.n;
    return 0;
}

void mcp_header_lines_free(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}
