/* The request header lines of the 2026-07-28 Streamable HTTP transport (see
 * mcp_headers.h): the encoding of a value, and the lines built for each
 * message from its body and the x-mcp-header index (mcp_tool_headers.c). */
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/mcp/mcp_headers_internal.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

    const char *tool = is_call && h ? mcp_tool_key_name(name) : NULL;
    if (!tool) return 0;
    const tool_entry_t *e = mcp_tool_headers_find(h, tool);
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
