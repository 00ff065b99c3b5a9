/* JSON-RPC 2.0 classification and error responses, on top of jansson. */
#include "bridge/base/jsonrpc.h"
#include "bridge/base/jscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jr_kind_t jr_classify(json_t *msg, json_t **id_out, const char **method_out, const char **why)
{
    const char *dummy;
    if (!why) why = &dummy;
    if (id_out) *id_out = NULL;
    if (method_out) *method_out = NULL;
    if (json_is_array(msg)) {
        if (json_array_size(msg) == 0) {
            *why = "an empty batch";
            return JR_INVALID;
        }
        return JR_BATCH;
    }
    if (!json_is_object(msg)) {
        *why = "not a JSON object";
        return JR_INVALID;
    }
    json_t *version = json_object_get(msg, "jsonrpc");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0) {
        *why = "\"jsonrpc\" is not \"2.0\"";
        return JR_INVALID;
    }
    json_t *id = json_object_get(msg, "id");
    json_t *method = json_object_get(msg, "method");
    if (id && !json_is_string(id) && !json_is_integer(id) && !json_is_null(id)) {
        *why = "\"id\" must be a string or an integer";
        return JR_INVALID;
    }
    if (method) {
        if (!json_is_string(method)) {
            *why = "\"method\" must be a string";
            return JR_INVALID;
        }
        json_t *params = json_object_get(msg, "params");
        if (params && !json_is_object(params) && !json_is_array(params)) {
            *why = "\"params\" must be an object or an array";
            return JR_INVALID;
        }
        if (method_out) *method_out = json_string_value(method);
        if (!id) return JR_NOTIFICATION;
        if (json_is_null(id)) {
            *why = "a request id must not be null";
            return JR_INVALID;
        }
        if (id_out) *id_out = id;
        return JR_REQUEST;
    }
    json_t *result = json_object_get(msg, "result");
    json_t *error = json_object_get(msg, "error");
    if (!id || (!result == !error)) {
        *why = "neither a request, a notification nor a response";
        return JR_INVALID;
    }
    if (error && !json_is_object(error)) {
        *why = "\"error\" must be an object";
        return JR_INVALID;
    }
    if (id_out) *id_out = id;
    return JR_RESPONSE;
}

json_t *jr_decode(const char *buf, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *v = json_loadb(buf, len, JSON_DECODE_ANY, &je);
    if (!v) {
        snprintf(err, errlen, "invalid JSON at byte %d: %s", je.position, je.text);
        return NULL;
    }
    return v;
}

/* A member's value, decoded (small: ids, methods, "2.0"); with `shallow`, only
 * an empty value of its type (params, result, error may be large). */
static json_t *member_value(const jscan_member_t *m, int shallow)
{
    switch (m->type) {
    case JSCAN_OBJECT:
        return json_object();
    case JSCAN_ARRAY:
        return json_array();
    case JSCAN_NULL:
        return json_null();
    case JSCAN_TRUE:
        return json_true();
    case JSCAN_FALSE:
        return json_false();
    case JSCAN_STRING:
        if (shallow) return json_string("");
        /* jscan has checked the UTF-8, and an unescaped string has no NUL. */
        if (!m->escaped) return json_stringn_nocheck(m->at, m->len);
        return json_loadb(m->at - 1, m->len + 2, JSON_DECODE_ANY, NULL);
    case JSCAN_INTEGER: {
        if (shallow) return json_integer(0);
        /* jscan has checked the syntax: -?digits. Up to 18 digits cannot overflow. */
        const char *p = m->at, *end = m->at + m->len;
        int neg = *p == '-';
        if (neg) p++;
        if (end - p > 18) return json_loadb(m->at, m->len, JSON_DECODE_ANY, NULL);
        json_int_t v = 0;
        for (; p < end; p++)
            v = v * 10 + (*p - '0');
        return json_integer(neg ? -v : v);
    }
    default: /* a number with a fraction or an exponent */
        return shallow ? json_integer(0) : json_real(0.5); /* a type no routing accepts */
    }
}

json_t *jr_decode_fast(const char *buf, size_t len, int *skeleton, char *err, size_t errlen)
{
    *skeleton = 0;
    jscan_t sc;
    size_t at = 0;
    if (jscan(buf, len, &sc, &at) != 0) {
        snprintf(err, errlen, "invalid JSON at byte %zu", at);
        return NULL;
    }
    if (sc.top != JSCAN_OBJECT || sc.odd_keys) return jr_decode(buf, len, err, errlen);
    json_t *o = json_object();
    const struct {
        const char *name;
        const jscan_member_t *m;
    } members[] = {{"jsonrpc", &sc.jsonrpc}, {"id", &sc.id},         {"method", &sc.method},
                   {"params", &sc.params},   {"result", &sc.result}, {"error", &sc.error}};
    for (size_t i = 0; o && i < sizeof members / sizeof members[0]; i++) {
        if (members[i].m->type == JSCAN_NONE) continue;
        json_t *v = member_value(members[i].m, i >= 3);
        if (!v) { /* e.g. an integer too large, or a string jansson refuses */
            json_decref(o);
            return jr_decode(buf, len, err, errlen);
        }
        json_object_set_new(o, members[i].name, v);
    }
    *skeleton = 1;
    return o;
}

/* "n:" and the decimal digits of an integer id, at the end of tmp: written by
 * hand, as this runs for every message. */
static const char *int_key(json_int_t id, char tmp[32])
{
    char *p = tmp + 32;
    long long v = (long long)id;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    *--p = 0;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    *--p = ':';
    *--p = 'n';
    return p;
}

char *jr_id_key(json_t *id)
{
    char tmp[32];
    if (json_is_integer(id)) return strdup(int_key(json_integer_value(id), tmp));
    if (!json_is_string(id)) return NULL;
    size_t n = json_string_length(id);
    char *key = malloc(n + 3);
    if (key) {
        key[0] = 's';
        key[1] = ':';
        memcpy(key + 2, json_string_value(id), n);
        key[n + 2] = 0;
    }
    return key;
}

int jr_id_is(json_t *id, const char *key)
{
    char tmp[32];
    if (json_is_integer(id)) return !strcmp(int_key(json_integer_value(id), tmp), key);
    if (!json_is_string(id) || key[0] != 's' || key[1] != ':') return 0;
    return !strcmp(key + 2, json_string_value(id));
}

/* A copy of s that is valid UTF-8: each byte that does not start a valid
 * sequence becomes U+FFFD. Messages quote servers and hosts, and a cut at a
 * byte count may split a character. */
static char *utf8_clean(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        size_t len = 0;
        unsigned char c = *p;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80)
            len = 1;
        else if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        int ok = len && (size_t)(end - p) >= len;
        for (size_t i = 1; ok && i < len; i++)
            ok = i == 1 ? (p[1] >= lo && p[1] <= hi) : (p[i] >= 0x80 && p[i] <= 0xBF);
        if (ok) {
            memcpy(o, p, len);
            o += len;
            p += len;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    *o = 0;
    return out;
}

char *jr_error_response(json_t *id, int code, const char *message, json_t *data)
{
    char *clean = utf8_clean(message ? message : "");
    json_t *err = clean ? json_pack("{s:i, s:s}", "code", code, "message", clean) : NULL;
    free(clean);
    if (!err) return NULL;
    if (data) json_object_set(err, "data", data);
    json_t *resp =
        json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", err);
    if (!resp) return NULL;
    char *s = json_dumps(resp, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(resp);
    return s;
}

static void replace_byte(char *buf, size_t len, char from)
{
    char *p = buf, *end = buf + len;
    while (p < end && (p = memchr(p, from, (size_t)(end - p))) != NULL)
        *p++ = ' ';
}

void jr_flatten_newlines(char *buf, size_t len)
{
    replace_byte(buf, len, '\n');
    replace_byte(buf, len, '\r');
}
