/* libFuzzer target for bridge/mcp/modern.c: the input is any JSON a server
 * could send (a probe answer, a discover result, an InputRequiredResult, a
 * listen notification); every function must give a well-formed answer, leave
 * what it only reads unchanged, and never crash. */
#include "bridge/mcp/modern.h"
#include "bridge/base/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_modern: %s:%d: %s\n", __FILE__, __LINE__, #cond);                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_probe(json_t *response, const char *asked)
{
    const char *version = "unset";
    modern_probe_t p = modern_classify_probe(response, asked, &version);
    switch (p) {
    case MODERN_PROBE_LEGACY:
        REQUIRE(version == NULL);
        break;
    case MODERN_PROBE_MODERN:
        REQUIRE(version != NULL && (version == asked || modern_version_spoken(version)));
        break;
    case MODERN_PROBE_RETRY:
        REQUIRE(version != NULL && modern_version_spoken(version));
        REQUIRE(!asked || strcmp(version, asked) != 0);
        break;
    default:
        abort();
    }
}

/* The reason is a bounded, terminated line of valid UTF-8. */
static void check_reason(const char *why, size_t n)
{
    size_t len = strnlen(why, n);
    REQUIRE(len < n);
    for (size_t i = 0; i < len; i++)
        REQUIRE((unsigned char)why[i] >= 0x20 && why[i] != 0x7f);
    json_t *s = json_string(why);
    REQUIRE(s != NULL);
    json_decref(s);
}

static void check_mrtr(json_t *v)
{
    (void)mrtr_is_input_required(v);
    char why[256], tiny[7];
    int rc = mrtr_validate(v, why, sizeof why);
    REQUIRE(rc == 0 || rc == BRIDGE_EPROTO);
    REQUIRE(mrtr_validate(v, tiny, sizeof tiny) == rc);
    REQUIRE(mrtr_validate(v, NULL, 0) == rc);
    if (rc != 0) {
        check_reason(why, sizeof why);
        REQUIRE(why[0] != '\0');
        check_reason(tiny, sizeof tiny);
        return;
    }
    /* Accepted: check the rules independently. */
    REQUIRE(json_is_object(v));
    json_t *requests = json_object_get(v, "inputRequests");
    json_t *state = json_object_get(v, "requestState");
    REQUIRE(requests || state);
    REQUIRE(!state || json_is_string(state));
    if (!requests) return;
    REQUIRE(json_is_object(requests) && json_object_size(requests) <= 16);
    const char *key;
    json_t *req;
    json_object_foreach (requests, key, req) {
        json_t *m = json_object_get(req, "method");
        REQUIRE(json_is_string(m));
        const char *s = json_string_value(m);
        REQUIRE(strlen(s) == json_string_length(m));
        REQUIRE(!strcmp(s, "elicitation/create") || !strcmp(s, "sampling/createMessage") ||
                !strcmp(s, "roots/list"));
        json_t *params = json_object_get(req, "params");
        REQUIRE(!params || json_is_object(params));
    }
}

static void check_initialize(json_t *v, const char *host_version)
{
    json_t *r = modern_initialize_result(v, host_version);
    if (!json_is_object(v)) {
        REQUIRE(r == NULL);
        return;
    }
    REQUIRE(r != NULL);
    const char *pv = json_string_value(json_object_get(r, "protocolVersion"));
    REQUIRE(pv != NULL);
    REQUIRE(!strcmp(pv, "2024-11-05") || !strcmp(pv, "2025-03-26") || !strcmp(pv, "2025-06-18") ||
            !strcmp(pv, "2025-11-25"));
    json_t *caps = json_object_get(r, "capabilities");
    REQUIRE(json_is_object(caps));
    REQUIRE(json_is_object(json_object_get(caps, "logging")));
    REQUIRE(json_object_get(caps, "tasks") == NULL);
    static const char *const listed[] = {"tools", "prompts", "resources"};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = json_object_get(caps, listed[i]);
        REQUIRE(!c || (json_is_object(c) && json_is_true(json_object_get(c, "listChanged"))));
    }
    json_t *res = json_object_get(caps, "resources");
    REQUIRE(!res || json_is_true(json_object_get(res, "subscribe")));
    json_t *completions = json_object_get(caps, "completions");
    REQUIRE(!completions || json_is_object(completions));
    json_t *experimental = json_object_get(caps, "experimental");
    if (experimental) {
        REQUIRE(json_is_object(experimental));
        const char *k;
        json_t *e;
        json_object_foreach (experimental, k, e)
            REQUIRE(json_is_object(e));
    }
    json_t *info = json_object_get(r, "serverInfo");
    REQUIRE(json_is_object(info));
    REQUIRE(json_is_string(json_object_get(info, "name")));
    REQUIRE(json_is_string(json_object_get(info, "version")));
    static const char *const strings[] = {"title", "websiteUrl", "description"};
    for (size_t i = 0; i < 3; i++) {
        json_t *s = json_object_get(info, strings[i]);
        REQUIRE(!s || json_is_string(s));
    }
    json_t *icons = json_object_get(info, "icons");
    if (icons) {
        REQUIRE(json_is_array(icons));
        size_t i;
        json_t *icon;
        json_array_foreach (icons, i, icon) {
            REQUIRE(json_is_object(icon) && json_is_string(json_object_get(icon, "src")));
        }
    }
    json_t *instructions = json_object_get(r, "instructions");
    REQUIRE(!instructions || json_is_string(instructions));
    REQUIRE(json_object_size(r) == 3 + (instructions != NULL));
    char *text = json_dumps(r, 0);
    REQUIRE(text != NULL);
    free(text);
    json_decref(r);
}

static void check_set_meta(json_t *v)
{
    json_t *copy = json_deep_copy(v);
    REQUIRE(copy != NULL);
    json_t *caps = json_object_get(v, "caps");
    json_t *client = json_object_get(v, "client");
    int rc = modern_set_meta(copy, MODERN_VERSION, caps, client, "info");
    if (rc == 0) {
        REQUIRE(json_is_object(copy));
        json_t *meta = json_object_get(json_object_get(copy, "params"), "_meta");
        REQUIRE(json_is_object(meta));
        const char *version = modern_meta_version(copy);
        REQUIRE(version && strcmp(version, MODERN_VERSION) == 0);
        json_t *sent = json_object_get(meta, MODERN_META_CAPS);
        REQUIRE(caps ? json_equal(sent, caps) : json_is_object(sent));
        REQUIRE(caps == NULL || sent == caps); /* shared, not copied */
        json_t *sent_client = json_object_get(meta, MODERN_META_CLIENT);
        REQUIRE(client ? json_equal(sent_client, client) : sent_client == NULL);
        /* Again, without the optional ones: they are removed. */
        REQUIRE(modern_set_meta(copy, MODERN_VERSION, NULL, NULL, NULL) == 0);
        meta = json_object_get(json_object_get(copy, "params"), "_meta");
        REQUIRE(json_object_get(meta, MODERN_META_CLIENT) == NULL);
        REQUIRE(json_object_get(meta, MODERN_META_LOG_LEVEL) == NULL);
    } else {
        REQUIRE(rc == BRIDGE_EINVAL);
        REQUIRE(json_equal(copy, v)); /* refused: left as it was */
    }
    json_decref(copy);
}

static void check_retry(json_t *v)
{
    json_t *params = json_object_get(v, "params");
    json_t *responses = json_object_get(params, "inputResponses");
    json_t *state = json_object_get(v, "requestState");
    json_t *id = json_integer(1000001);
    REQUIRE(id != NULL);
    json_t *retry = mrtr_retry(v, id, responses, state);
    int can = json_is_object(v) && (!params || json_is_null(params) || json_is_object(params));
    REQUIRE((retry != NULL) == can);
    if (retry) {
        REQUIRE(json_equal(json_object_get(retry, "id"), id));
        json_t *p = json_object_get(retry, "params");
        REQUIRE(json_is_object(p));
        json_t *rs = json_object_get(p, "requestState");
        REQUIRE(json_is_string(state) ? json_equal(rs, state) : rs == NULL);
        json_t *ir = json_object_get(p, "inputResponses");
        REQUIRE(responses ? json_equal(ir, responses) : ir == NULL);
        /* Every other member of the request and of its params is kept. */
        const char *k;
        json_t *x;
        json_object_foreach (v, k, x) {
            if (strcmp(k, "id") != 0 && strcmp(k, "params") != 0)
                REQUIRE(json_equal(json_object_get(retry, k), x));
        }
        if (json_is_object(params)) {
            json_object_foreach (params, k, x) {
                if (strcmp(k, "inputResponses") != 0 && strcmp(k, "requestState") != 0)
                    REQUIRE(json_equal(json_object_get(p, k), x));
            }
        }
        json_decref(retry);
    }
    json_decref(id);
}

static void check_listen(json_t *v, unsigned flags)
{
    json_t *p = modern_listen_params(flags & 1, flags & 2, flags & 4, v);
    REQUIRE(p != NULL);
    json_t *filter = json_object_get(p, "notifications");
    REQUIRE(json_is_object(filter) && json_object_size(p) == 1);
    REQUIRE((json_object_get(filter, "toolsListChanged") != NULL) == ((flags & 1) != 0));
    json_t *subs = json_object_get(filter, "resourceSubscriptions");
    if (subs) {
        REQUIRE(json_is_array(subs) && json_array_size(subs) > 0);
        size_t i;
        json_t *u;
        json_array_foreach (subs, i, u)
            REQUIRE(json_is_string(u));
    }
    json_decref(p);

    json_t *copy = json_deep_copy(v);
    REQUIRE(copy != NULL);
    int forward = modern_listen_note_for_host(copy);
    REQUIRE(forward == 0 || forward == 1);
    if (forward) {
        json_t *meta = json_object_get(json_object_get(copy, "params"), "_meta");
        if (json_is_object(meta)) {
            REQUIRE(json_object_get(meta, MODERN_META_SUBSCRIPTION) == NULL);
            REQUIRE(json_object_size(meta) > 0);
        }
    }
    json_decref(copy);
}

/* A JSON-RPC response wrapping v as result or error, to reach the probe's
 * inner rules from any value. */
static json_t *wrap(const char *member, json_t *v)
{
    json_t *w = json_pack("{s:s, s:i, s:O}", "jsonrpc", "2.0", "id", 1, member, v);
    REQUIRE(w != NULL);
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024) return 0;
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v) return 0;
    json_t *before = json_deep_copy(v);
    REQUIRE(before != NULL);
    unsigned flags = size ? data[size - 1] : 0;

    static const char *const asked[] = {MODERN_VERSION, "1900-01-01", NULL};
    for (size_t i = 0; i < 3; i++) {
        check_probe(v, asked[i]);
        json_t *w = wrap("result", v);
        check_probe(w, asked[i]);
        json_decref(w);
        w = wrap("error", v);
        check_probe(w, asked[i]);
        json_decref(w);
    }
    const char *picked = modern_pick_version(v);
    REQUIRE(!picked || modern_version_spoken(picked));
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        int modern = modern_version_is_modern(s);
        REQUIRE(!modern || (strlen(s) == 10 && strcmp(s, "2026-07-28") >= 0));
        (void)modern_version_spoken(s);
    }

    check_mrtr(v);
    check_mrtr(json_object_get(v, "result"));
    check_initialize(v, "2025-06-18");
    check_initialize(json_object_get(v, "result"), (flags & 8) ? NULL : "2026-07-28");
    check_set_meta(v);
    check_retry(v);
    check_listen(v, flags);

    /* What the functions only read is unchanged. */
    REQUIRE(json_equal(v, before));
    json_decref(before);
    json_decref(v);
    return 0;
}
