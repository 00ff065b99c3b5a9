/* JSON-RPC 2.0 classification and error responses, on top of jansson. */
#include "bridge/jsonrpc.h"

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

char *jr_id_key(json_t *id)
{
    char *key = NULL;
    if (json_is_integer(id)) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "n:%lld", (long long)json_integer_value(id));
        key = strdup(tmp);
    } else if (json_is_string(id)) {
        size_t n = json_string_length(id);
        key = malloc(n + 3);
        if (key) {
            key[0] = 's';
            key[1] = ':';
            memcpy(key + 2, json_string_value(id), n);
            key[n + 2] = 0;
        }
    }
    return key;
}

char *jr_error_response(json_t *id, int code, const char *message, json_t *data)
{
    json_t *err = json_pack("{s:i, s:s}", "code", code, "message", message ? message : "");
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
