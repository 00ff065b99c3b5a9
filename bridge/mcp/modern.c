/* The JSON of the 2026-07-28 revision: era detection from a server/discover
 * answer, the per-request _meta, and the InitializeResult a 2025-era host gets
 * in place of a handshake (multi round-trip requests and subscriptions/listen
 * are in modern_mrtr.c). */
#include "bridge/mcp/modern.h"
#include "bridge/mcp/modern_internal.h"

#include "bridge/base/err.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* A version list longer than this is not read past: servers list a handful. */
#define MODERN_MAX_VERSIONS 256

static const char *const host_versions[] = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"};
#define HOST_VERSION_DEFAULT "2025-11-25"

/* The string value of v when it is a string without an embedded NUL (whose C
 * string would compare equal to a shorter one), else NULL. */
const char *modern_exact_string(json_t *v)
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
        const char *v = modern_exact_string(json_array_get(supported, i));
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
        const char *t = modern_exact_string(theme);
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
