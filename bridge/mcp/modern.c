/* The JSON of the 2026-07-28 revision: era detection from a server/discover
 * answer, the per-request _meta, the InitializeResult a 2025-era host gets in
 * place of a handshake, multi round-trip retries and subscriptions/listen. */
#include "bridge/mcp/modern.h"

#include "bridge/base/err.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* A version list longer than this is not read past: servers list a handful. */
#define MODERN_MAX_VERSIONS 256
/* The most input requests one InputRequiredResult may carry. */
#define MRTR_MAX_INPUT_REQUESTS 16
/* How much of an outside key or method a reason quotes. */
#define MRTR_QUOTE_MAX 64

static const char *const host_versions[] = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"};
#define HOST_VERSION_DEFAULT "2025-11-25"

static const char *const mrtr_methods[] = {"elicitation/create", "sampling/createMessage",
                                           "roots/list"};

/* The string value of v when it is a string without an embedded NUL (whose C
 * string would compare equal to a shorter one), else NULL. */
static const char *exact_string(json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != json_string_length(v)) return NULL;
    return s;
}

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
    }
    return 1;
}

static int two_digits(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

int modern_version_is_modern(const char *v)
{
    if (!v || strlen(v) != 10) return 0;
    if (!is_digits(v, 4) || v[4] != '-' || !is_digits(v + 5, 2) || v[7] != '-' ||
        !is_digits(v + 8, 2))
        return 0;
    int month = two_digits(v + 5), day = two_digits(v + 8);
    if (month < 1 || month > 12 || day < 1 || day > 31) return 0;
    /* Fixed-width digits: the string order is the date order. */
    return strcmp(v, "2026-07-28") >= 0;
}

int modern_version_spoken(const char *v)
{
    return v != NULL && strcmp(v, MODERN_VERSION) == 0;
}

const char *modern_pick_version(json_t *supported)
{
    if (!json_is_array(supported)) return NULL;
    size_t n = json_array_size(supported);
    if (n > MODERN_MAX_VERSIONS) n = MODERN_MAX_VERSIONS;
    /* The bridge speaks one modern version; with more, this would keep the
     * newest spoken one instead of the first. */
    for (size_t i = 0; i < n; i++) {
        const char *v = exact_string(json_array_get(supported, i));
        if (modern_version_spoken(v)) return MODERN_VERSION;
    }
    return NULL;
}

modern_probe_t modern_classify_probe(json_t *response, const char *asked, const char **version)
{
    assert(version != NULL);
    *version = NULL;
    if (!json_is_object(response)) return MODERN_PROBE_LEGACY;

    json_t *result = json_object_get(response, "result");
    json_t *error = json_object_get(response, "error");
    if (result && error) return MODERN_PROBE_LEGACY; /* not a JSON-RPC response */

    if (json_is_object(result)) {
        const char *v = modern_pick_version(json_object_get(result, "supportedVersions"));
        if (!v) return MODERN_PROBE_LEGACY;
        *version = v;
        return MODERN_PROBE_MODERN;
    }
    if (!json_is_object(error)) return MODERN_PROBE_LEGACY;

    json_t *code = json_object_get(error, "code");
    if (!json_is_integer(code)) return MODERN_PROBE_LEGACY;
    json_int_t c = json_integer_value(code);
    if (c == MODERN_ERR_UNSUPPORTED_VERSION) {
        json_t *data = json_object_get(error, "data");
        const char *v = modern_pick_version(json_object_get(data, "supported"));
        if (!v) return MODERN_PROBE_LEGACY;
        if (asked && strcmp(v, asked) == 0) {
            *version = asked;
            return MODERN_PROBE_MODERN;
        }
        *version = v;
        return MODERN_PROBE_RETRY;
    }
    if (c == MODERN_ERR_HEADER_MISMATCH || c == MODERN_ERR_MISSING_CAPABILITY) {
        /* A modern server refused the request itself, not the version. */
        if (!asked) return MODERN_PROBE_LEGACY;
        *version = asked;
        return MODERN_PROBE_MODERN;
    }
    return MODERN_PROBE_LEGACY;
}

int modern_error_recognized(long code)
{
    return code == MODERN_ERR_HEADER_MISMATCH || code == MODERN_ERR_MISSING_CAPABILITY ||
           code == MODERN_ERR_UNSUPPORTED_VERSION;
}

/* Set key to a new string, or remove it when value is NULL. */
static int set_or_remove_string(json_t *obj, const char *key, const char *value)
{
    if (!value) {
        json_object_del(obj, key);
        return 0;
    }
    json_t *s = json_string(value);
    if (!s) return BRIDGE_EINVAL; /* not UTF-8 (or out of memory) */
    return json_object_set_new(obj, key, s) == 0 ? 0 : BRIDGE_ENOMEM;
}

int modern_set_meta(json_t *msg, const char *version, json_t *caps, json_t *client,
                    const char *log_level)
{
    if (!json_is_object(msg) || !version) return BRIDGE_EINVAL;
    json_t *params = json_object_get(msg, "params");
    if (params && !json_is_null(params) && !json_is_object(params)) return BRIDGE_EINVAL;
    json_t *meta = json_is_object(params) ? json_object_get(params, "_meta") : NULL;
    if (meta && !json_is_null(meta) && !json_is_object(meta)) return BRIDGE_EINVAL;

    /* Build the new _meta apart, so a failure leaves msg as it was. */
    json_t *new_meta = json_is_object(meta) ? json_copy(meta) : json_object();
    if (!new_meta) return BRIDGE_ENOMEM;
    int rc = set_or_remove_string(new_meta, MODERN_META_VERSION, version);
    if (rc == 0) rc = set_or_remove_string(new_meta, MODERN_META_LOG_LEVEL, log_level);
    if (rc == 0) {
        json_t *c = caps ? json_incref(caps) : json_object();
        if (!c || json_object_set_new(new_meta, MODERN_META_CAPS, c) != 0) rc = BRIDGE_ENOMEM;
    }
    if (rc == 0) {
        if (!client) {
            json_object_del(new_meta, MODERN_META_CLIENT);
        } else {
            if (json_object_set(new_meta, MODERN_META_CLIENT, client) != 0) rc = BRIDGE_ENOMEM;
        }
    }
    if (rc != 0) {
        json_decref(new_meta);
        return rc;
    }

    if (json_is_object(params)) {
        return json_object_set_new(params, "_meta", new_meta) == 0 ? 0 : BRIDGE_ENOMEM;
    }
    json_t *new_params = json_object();
    if (!new_params || json_object_set_new(new_params, "_meta", new_meta) != 0) {
        if (!new_params) json_decref(new_meta);
        json_decref(new_params);
        return BRIDGE_ENOMEM;
    }
    return json_object_set_new(msg, "params", new_params) == 0 ? 0 : BRIDGE_ENOMEM;
}

const char *modern_meta_version(json_t *msg)
{
    json_t *meta = json_object_get(json_object_get(msg, "params"), "_meta");
    return json_string_value(json_object_get(meta, MODERN_META_VERSION));
}

/* ---- InitializeResult for a host of the older revisions ---- */

static int is_optional_string(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return !v || json_is_string(v);
}

/* A 2025-11-25 Icon: src a string; mimeType a string, sizes strings, theme
 * light or dark, when present. */
static int icon_valid(json_t *icon)
{
    if (!json_is_object(icon) || !json_is_string(json_object_get(icon, "src"))) return 0;
    if (!is_optional_string(icon, "mimeType")) return 0;
    json_t *sizes = json_object_get(icon, "sizes");
    if (sizes) {
        if (!json_is_array(sizes)) return 0;
        size_t i;
        json_t *s;
        json_array_foreach (sizes, i, s) {
            if (!json_is_string(s)) return 0;
        }
    }
    json_t *theme = json_object_get(icon, "theme");
    if (theme) {
        const char *t = exact_string(theme);
        if (!t || (strcmp(t, "light") != 0 && strcmp(t, "dark") != 0)) return 0;
    }
    return 1;
}

static int implementation_usable(json_t *impl)
{
    return json_is_object(impl) && json_is_string(json_object_get(impl, "name")) &&
           json_is_string(json_object_get(impl, "version"));
}

/* A copy of impl (usable) that a 2025-11-25 Implementation accepts: optional
 * members of the wrong type are dropped, icons keep only valid icons. */
static json_t *implementation_for_host(json_t *impl)
{
    assert(implementation_usable(impl));
    json_t *out = json_deep_copy(impl);
    if (!out) return NULL;
    static const char *const strings[] = {"title", "websiteUrl", "description"};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
        if (!is_optional_string(out, strings[i])) json_object_del(out, strings[i]);
    }
    /* Rebuilt rather than edited in place: removing from a long array one by
     * one would be quadratic. */
    json_t *icons = json_object_get(out, "icons");
    if (icons) {
        json_t *valid = json_is_array(icons) ? json_array() : NULL;
        size_t i;
        json_t *icon;
        int rc = 0;
        json_array_foreach (icons, i, icon) {
            if (!valid || rc != 0) break;
            if (icon_valid(icon)) rc = json_array_append(valid, icon);
        }
        if (json_is_array(icons) && (!valid || rc != 0)) {
            json_decref(valid);
            json_decref(out);
            return NULL;
        }
        if (valid)
            rc = json_object_set_new(out, "icons", valid);
        else
            json_object_del(out, "icons");
        if (rc != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* Always true, whatever the server said: the bridge delivers these
 * notifications itself from subscriptions/listen. */
static int set_true(json_t *obj, const char *key)
{
    return json_object_set_new(obj, key, json_true());
}

/* The discover result's capabilities as 2025-11-25 ServerCapabilities. Known
 * members of the wrong type are dropped; unknown ones (extensions, a later
 * revision's additions) are kept, as the older schema allows them. tasks is
 * dropped: the 2025 task requests are not bridged to a modern server. */
static json_t *capabilities_for_host(json_t *caps)
{
    json_t *out = json_is_object(caps) ? json_deep_copy(caps) : json_object();
    if (!out) return NULL;
    json_object_del(out, "tasks");

    json_t *experimental = json_object_get(out, "experimental");
    if (experimental && !json_is_object(experimental)) {
        json_object_del(out, "experimental");
    } else if (experimental) {
        const char *key;
        json_t *value, *tmp;
        json_object_foreach_safe(experimental, tmp, key, value)
        {
            if (!json_is_object(value)) json_object_del(experimental, key);
        }
    }
    if (!json_is_object(json_object_get(out, "completions"))) json_object_del(out, "completions");

    static const char *const listed[] = {"tools", "prompts", "resources"};
    int rc = 0;
    for (size_t i = 0; i < sizeof listed / sizeof *listed && rc == 0; i++) {
        json_t *cap = json_object_get(out, listed[i]);
        if (!cap) continue;
        if (!json_is_object(cap)) {
            json_object_del(out, listed[i]);
            continue;
        }
        rc = set_true(cap, "listChanged");
        if (rc == 0 && strcmp(listed[i], "resources") == 0) rc = set_true(cap, "subscribe");
    }
    if (rc == 0 && !json_is_object(json_object_get(out, "logging")))
        rc = json_object_set_new(out, "logging", json_object());
    if (rc != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *modern_initialize_result(json_t *discover_result, const char *host_version)
{
    if (!json_is_object(discover_result)) return NULL;

    const char *version = HOST_VERSION_DEFAULT;
    for (size_t i = 0; host_version && i < sizeof host_versions / sizeof *host_versions; i++) {
        if (strcmp(host_version, host_versions[i]) == 0) version = host_versions[i];
    }

    json_t *meta = json_object_get(discover_result, "_meta");
    json_t *info = json_object_get(meta, MODERN_META_SERVER);
    if (!implementation_usable(info)) info = json_object_get(discover_result, "serverInfo");
    json_t *server_info = implementation_usable(info)
                              ? implementation_for_host(info)
                              : json_pack("{s:s, s:s}", "name", "unknown", "version", "unknown");

    json_t *out = json_object();
    json_t *caps = capabilities_for_host(json_object_get(discover_result, "capabilities"));
    if (!out || !caps || !server_info ||
        json_object_set_new(out, "protocolVersion", json_string(version)) != 0) {
        json_decref(out);
        json_decref(caps);
        json_decref(server_info);
        return NULL;
    }
    int rc = json_object_set_new(out, "capabilities", caps);
    rc |= json_object_set_new(out, "serverInfo", server_info);
    json_t *instructions = json_object_get(discover_result, "instructions");
    if (json_is_string(instructions))
        rc |= json_object_set_new(out, "instructions", json_deep_copy(instructions));
    if (rc != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- Multi round-trip requests ---- */

int mrtr_is_input_required(json_t *result)
{
    const char *type = exact_string(json_object_get(result, "resultType"));
    return type != NULL && strcmp(type, "input_required") == 0;
}

/* Quote at most MRTR_QUOTE_MAX bytes of s into out (size MRTR_QUOTE_MAX + 4):
 * cut on a UTF-8 character boundary so the reason stays valid UTF-8, control
 * characters shown as '?', "..." when cut. */
static void quote_bounded(char *out, const char *s)
{
    size_t len = strlen(s), take = len;
    if (take > MRTR_QUOTE_MAX) {
        take = MRTR_QUOTE_MAX;
        while (take > 0 && ((unsigned char)s[take] & 0xC0) == 0x80)
            take--;
    }
    for (size_t i = 0; i < take; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    strcpy(out + take, take < len ? "..." : "");
}

/* Cut an incomplete UTF-8 character off the end of s (snprintf may have cut
 * one in two), so the reason can go into a JSON string. */
static void trim_partial_utf8(char *s)
{
    size_t len = strlen(s), lead = len;
    while (lead > 0 && len - lead < 4 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0) return;
    unsigned char c = (unsigned char)s[lead - 1];
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len - (lead - 1) < need) s[lead - 1] = '\0';
}

static int mrtr_refuse(char *why, size_t n, const char *reason)
{
    if (why && n > 0) snprintf(why, n, "%s", reason);
    return BRIDGE_EPROTO;
}

/* A refusal naming the inputRequests entry key (and the method it asks for,
 * when not NULL), both quoted within bounds. */
static int mrtr_refuse_entry(char *why, size_t n, const char *key, const char *method,
                             const char *problem)
{
    if (why && n > 0) {
        char qkey[MRTR_QUOTE_MAX + 4], qmethod[MRTR_QUOTE_MAX + 4];
        quote_bounded(qkey, key);
        if (method) {
            quote_bounded(qmethod, method);
            snprintf(why, n, "inputRequests entry \"%s\" asks for \"%s\", %s", qkey, qmethod,
                     problem);
        } else {
            snprintf(why, n, "inputRequests entry \"%s\" %s", qkey, problem);
        }
        trim_partial_utf8(why);
    }
    return BRIDGE_EPROTO;
}

static int mrtr_method_known(const char *m)
{
    for (size_t i = 0; m && i < sizeof mrtr_methods / sizeof *mrtr_methods; i++) {
        if (strcmp(m, mrtr_methods[i]) == 0) return 1;
    }
    return 0;
}

int mrtr_validate(json_t *result, char *why, size_t n)
{
    if (!json_is_object(result))
        return mrtr_refuse(why, n, "the input-required result is not an object");
    json_t *requests = json_object_get(result, "inputRequests");
    json_t *state = json_object_get(result, "requestState");
    if (!requests && !state)
        return mrtr_refuse(why, n,
                           "the input-required result has neither inputRequests nor requestState");
    if (state && !json_is_string(state)) return mrtr_refuse(why, n, "requestState is not a string");
    if (!requests) return 0;
    if (!json_is_object(requests)) return mrtr_refuse(why, n, "inputRequests is not an object");
    if (json_object_size(requests) > MRTR_MAX_INPUT_REQUESTS) {
        if (why && n > 0)
            snprintf(why, n, "inputRequests has %zu entries, more than the %d the bridge takes",
                     json_object_size(requests), MRTR_MAX_INPUT_REQUESTS);
        return BRIDGE_EPROTO;
    }
    const char *key;
    json_t *req;
    json_object_foreach (requests, key, req) {
        if (!json_is_object(req)) return mrtr_refuse_entry(why, n, key, NULL, "is not an object");
        json_t *method_value = json_object_get(req, "method");
        if (!json_is_string(method_value))
            return mrtr_refuse_entry(why, n, key, NULL, "has no method string");
        const char *method = json_string_value(method_value);
        if (!exact_string(method_value) || !mrtr_method_known(method))
            return mrtr_refuse_entry(
                why, n, key, method,
                "not one of elicitation/create, sampling/createMessage, roots/list");
        json_t *params = json_object_get(req, "params");
        if (params && !json_is_object(params))
            return mrtr_refuse_entry(why, n, key, NULL, "has params that are not an object");
    }
    return 0;
}

json_t *mrtr_retry(json_t *orig, json_t *new_id, json_t *responses, json_t *state)
{
    if (!json_is_object(orig) || !new_id) return NULL;
    json_t *params = json_object_get(orig, "params");
    if (params && !json_is_null(params) && !json_is_object(params)) return NULL;

    json_t *out = json_deep_copy(orig);
    if (!out) return NULL;
    json_t *p = json_object_get(out, "params");
    if (!json_is_object(p)) {
        p = json_object();
        if (!p || json_object_set_new(out, "params", p) != 0) goto fail;
    }
    json_object_del(p, "inputResponses");
    json_object_del(p, "requestState");
    json_t *id = json_deep_copy(new_id);
    if (!id || json_object_set_new(out, "id", id) != 0) goto fail;
    if (responses) {
        json_t *r = json_deep_copy(responses);
        if (!r || json_object_set_new(p, "inputResponses", r) != 0) goto fail;
    }
    /* requestState goes back exactly as the server sent it: the same string. */
    if (json_is_string(state) && json_object_set_new(p, "requestState", json_deep_copy(state)) != 0)
        goto fail;
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* ---- Subscriptions ---- */

json_t *modern_listen_params(int tools, int prompts, int resources, json_t *uris)
{
    json_t *filter = json_object();
    json_t *params = json_object();
    if (!filter || !params || json_object_set_new(params, "notifications", filter) != 0) {
        if (!params) json_decref(filter);
        json_decref(params);
        return NULL;
    }
    int rc = 0;
    if (tools) rc |= json_object_set_new(filter, "toolsListChanged", json_true());
    if (prompts) rc |= json_object_set_new(filter, "promptsListChanged", json_true());
    if (resources) rc |= json_object_set_new(filter, "resourcesListChanged", json_true());

    if (rc == 0 && json_is_array(uris)) {
        json_t *list = json_array();
        size_t i;
        json_t *u;
        if (!list) rc = -1;
        json_array_foreach (uris, i, u) {
            if (rc != 0) break;
            if (json_is_string(u)) rc = json_array_append_new(list, json_deep_copy(u));
        }
        if (rc == 0 && json_array_size(list) > 0)
            rc = json_object_set(filter, "resourceSubscriptions", list);
        json_decref(list);
    }
    if (rc != 0) {
        json_decref(params);
        return NULL;
    }
    return params;
}

int modern_listen_note_for_host(json_t *note)
{
    const char *method = json_string_value(json_object_get(note, "method"));
    if (!method) return 0; /* not a notification: nothing a host could take */
    if (strcmp(method, "notifications/subscriptions/acknowledged") == 0) return 0;
    json_t *meta = json_object_get(json_object_get(note, "params"), "_meta");
    if (json_is_object(meta)) {
        json_object_del(meta, MODERN_META_SUBSCRIPTION);
        if (json_object_size(meta) == 0) json_object_del(json_object_get(note, "params"), "_meta");
    }
    return 1;
}
