/* bridge/mcp/modern.c: era detection, per-request _meta, the InitializeResult
 * for a 2025-era host, MRTR checks and retries, and subscriptions/listen, on
 * the spec's own examples and on hostile JSON. */
#include "bridge/mcp/modern.h"
#include "bridge/base/err.h"
#include "check.h"

#include <stdlib.h>

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v) fprintf(stderr, "test JSON does not parse: %s: %s\n", e.text, text);
    return v;
}

/* Whether a and b (JSON text) are equal values. */
static int json_same(json_t *a, const char *b)
{
    json_t *want = parse(b);
    int same = want && json_equal(a, want);
    if (!same) {
        char *got = json_dumps(a, JSON_ENCODE_ANY | JSON_SORT_KEYS);
        fprintf(stderr, "got  %s\nwant %s\n", got ? got : "(null)", b);
        free(got);
    }
    json_decref(want);
    return same;
}

static void test_versions(void)
{
    CHECK(modern_version_is_modern("2026-07-28"));
    CHECK(modern_version_is_modern("2026-07-29"));
    CHECK(modern_version_is_modern("2027-01-01"));
    CHECK(modern_version_is_modern("9999-12-31"));
    CHECK(!modern_version_is_modern("2026-07-27"));
    CHECK(!modern_version_is_modern("2025-11-25"));
    CHECK(!modern_version_is_modern("2024-11-05"));
    CHECK(!modern_version_is_modern(NULL));
    CHECK(!modern_version_is_modern(""));
    CHECK(!modern_version_is_modern("2026-07-28 "));
    CHECK(!modern_version_is_modern(" 2026-07-28"));
    CHECK(!modern_version_is_modern("2026-7-28"));
    CHECK(!modern_version_is_modern("2026/07/28"));
    CHECK(!modern_version_is_modern("2026-07-2x"));
    CHECK(!modern_version_is_modern("20260-7-28"));
    CHECK(!modern_version_is_modern("2026-13-01"));
    CHECK(!modern_version_is_modern("2026-00-10"));
    CHECK(!modern_version_is_modern("2026-08-00"));
    CHECK(!modern_version_is_modern("2026-08-32"));
    CHECK(!modern_version_is_modern("DRAFT-2026-v1"));
    CHECK(!modern_version_is_modern("+026-07-28"));

    CHECK(modern_version_spoken(MODERN_VERSION));
    CHECK(!modern_version_spoken("2027-01-01"));
    CHECK(!modern_version_spoken("2025-11-25"));
    CHECK(!modern_version_spoken(NULL));

    json_t *list = parse("[\"2025-11-25\", \"2026-07-28\", \"2099-01-01\"]");
    CHECK_STR(modern_pick_version(list), MODERN_VERSION);
    json_decref(list);
    list = parse("[\"2025-11-25\", \"2025-06-18\"]");
    CHECK(modern_pick_version(list) == NULL);
    json_decref(list);
    list = parse("[1, null, {}, [\"2026-07-28\"], \"2026-07-28\\u0000x\"]");
    CHECK(modern_pick_version(list) == NULL);
    json_decref(list);
    list = parse("\"2026-07-28\"");
    CHECK(modern_pick_version(list) == NULL);
    json_decref(list);
    CHECK(modern_pick_version(NULL) == NULL);
    list = parse("[]");
    CHECK(modern_pick_version(list) == NULL);
    json_decref(list);
}

static modern_probe_t classify(const char *text, const char *asked, const char **version)
{
    json_t *v = text ? parse(text) : NULL;
    modern_probe_t p = modern_classify_probe(v, asked, version);
    json_decref(v);
    return p;
}

static void test_classify(void)
{
    const char *v = "unset";
    /* server/discover.mdx, the response example. */
    const char *discover =
        "{\"jsonrpc\":\"2.0\",\"id\":\"discover-1\",\"result\":{\"resultType\":\"complete\","
        "\"supportedVersions\":[\"2026-07-28\"],\"capabilities\":{\"tools\":{},\"resources\":{}},"
        "\"_meta\":{\"io.modelcontextprotocol/serverInfo\":{\"name\":\"ExampleServer\","
        "\"version\":\"1.0.0\"}},\"instructions\":\"This server provides weather and resource "
        "utilities.\",\"ttlMs\":3600000,\"cacheScope\":\"public\"}}";
    CHECK(classify(discover, MODERN_VERSION, &v) == MODERN_PROBE_MODERN);
    CHECK_STR(v, MODERN_VERSION);

    /* A dual-era server listing only 2025 versions in a discover result. */
    v = "unset";
    CHECK(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"supportedVersions\":"
                   "[\"2025-11-25\",\"2025-06-18\"],\"capabilities\":{}}}",
                   MODERN_VERSION, &v) == MODERN_PROBE_LEGACY);
    CHECK(v == NULL);

    /* versioning.mdx: -32022 with supported; asked for 1900-01-01 -> retry. */
    const char *unsupported =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32022,\"message\":\"Unsupported "
        "protocol version\",\"data\":{\"supported\":[\"2026-07-28\",\"2025-11-25\"],"
        "\"requested\":\"1900-01-01\"}}}";
    CHECK(classify(unsupported, "1900-01-01", &v) == MODERN_PROBE_RETRY);
    CHECK_STR(v, MODERN_VERSION);
    /* The same error when the version asked is in the list: something else
     * was refused; the server is modern and the version stays. */
    const char *asked = MODERN_VERSION;
    CHECK(classify(unsupported, asked, &v) == MODERN_PROBE_MODERN);
    CHECK(v == asked);
    /* -32022 listing only 2025 versions, or without data. */
    CHECK(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32022,\"message\":\"x\","
                   "\"data\":{\"supported\":[\"2025-11-25\"]}}}",
                   MODERN_VERSION, &v) == MODERN_PROBE_LEGACY);
    CHECK(v == NULL);
    CHECK(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32022,\"message\":\"x\"}}",
                   MODERN_VERSION, &v) == MODERN_PROBE_LEGACY);
    CHECK(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32022,\"data\":"
                   "{\"supported\":\"2026-07-28\"}}}",
                   MODERN_VERSION, &v) == MODERN_PROBE_LEGACY);

    /* -32020 and -32021: modern, with the version asked. */
    CHECK(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32020,\"message\":\"h\"}}",
                   asked, &v) == MODERN_PROBE_MODERN);
    CHECK(v == asked);
    v = "unset";
    CHECK(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32021,\"message\":\"c\"}}",
                   asked, &v) == MODERN_PROBE_MODERN);
    CHECK(v == asked);

    /* Everything else is legacy. */
    const char *legacy[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"Method not "
        "found\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32602,\"message\":\"Invalid\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,\"message\":\"Bad\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32022.0,\"data\":{\"supported\":"
        "[\"2026-07-28\"]}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"-32022\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"-32020\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-11-25\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[\"2026-07-28\"]}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"supportedVersions\":[\"2026-07-28\"]},"
        "\"error\":{\"code\":-32020}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1}",
        "[]",
        "null",
        "\"2026-07-28\"",
        NULL,
    };
    for (size_t i = 0; i < sizeof legacy / sizeof *legacy; i++) {
        v = "unset";
        CHECK(classify(legacy[i], MODERN_VERSION, &v) == MODERN_PROBE_LEGACY);
        CHECK(v == NULL);
    }
    /* No version asked: -32020 cannot say which version to keep. */
    CHECK(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32020}}", NULL, &v) ==
          MODERN_PROBE_LEGACY);
    CHECK(classify(unsupported, NULL, &v) == MODERN_PROBE_RETRY);
    CHECK_STR(v, MODERN_VERSION);

    CHECK(modern_error_recognized(-32020));
    CHECK(modern_error_recognized(-32021));
    CHECK(modern_error_recognized(-32022));
    CHECK(!modern_error_recognized(-32023));
    CHECK(!modern_error_recognized(-32019));
    CHECK(!modern_error_recognized(-32601));
    CHECK(!modern_error_recognized(0));
}

static void test_set_meta(void)
{
    json_t *caps = parse("{\"elicitation\":{\"form\":{}},\"roots\":{}}");
    json_t *client = parse("{\"name\":\"mcp-bridge\",\"version\":\"1.0.0\"}");

    /* params absent: created. */
    json_t *msg = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    CHECK(modern_set_meta(msg, MODERN_VERSION, caps, client, NULL) == 0);
    CHECK(json_same(msg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":"
                         "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                         "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":"
                         "{\"form\":{}},\"roots\":{}},\"io.modelcontextprotocol/clientInfo\":"
                         "{\"name\":\"mcp-bridge\",\"version\":\"1.0.0\"}}}}"));
    CHECK_STR(modern_meta_version(msg), MODERN_VERSION);
    /* Shared, not copied: every request of a session carries the same ones. */
    json_t *sent_caps =
        json_object_get(json_object_get(json_object_get(msg, "params"), "_meta"), MODERN_META_CAPS);
    CHECK(sent_caps == caps);
    CHECK(json_object_get(json_object_get(json_object_get(msg, "params"), "_meta"),
                          MODERN_META_CLIENT) == client);
    json_decref(msg);

    /* params null: created; a string id kept. */
    msg = parse("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\",\"params\":null}");
    CHECK(modern_set_meta(msg, MODERN_VERSION, NULL, NULL, "debug") == 0);
    CHECK(json_same(msg, "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\",\"params\":"
                         "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                         "\"io.modelcontextprotocol/clientCapabilities\":{},"
                         "\"io.modelcontextprotocol/logLevel\":\"debug\"}}}"));
    json_decref(msg);

    /* Other params and other _meta keys kept; the four keys replaced or removed. */
    msg = parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":"
                "\"echo\",\"arguments\":{\"x\":1},\"_meta\":{\"progressToken\":\"p1\","
                "\"com.example/trace\":{\"a\":[1,2]},"
                "\"io.modelcontextprotocol/protocolVersion\":\"2025-11-25\","
                "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"old\",\"version\":\"0\"},"
                "\"io.modelcontextprotocol/logLevel\":\"info\","
                "\"io.modelcontextprotocol/clientCapabilities\":{\"sampling\":{}}}}}");
    CHECK(modern_set_meta(msg, MODERN_VERSION, NULL, NULL, NULL) == 0);
    CHECK(json_same(msg, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
                         "{\"name\":\"echo\",\"arguments\":{\"x\":1},\"_meta\":{\"progressToken\":"
                         "\"p1\",\"com.example/trace\":{\"a\":[1,2]},"
                         "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                         "\"io.modelcontextprotocol/clientCapabilities\":{}}}}"));
    json_decref(msg);

    /* params an array, _meta not an object, msg not an object: refused, untouched. */
    const char *refused[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[1,2]}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":\"x\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"_meta\":[]}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"_meta\":5}}",
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}]",
        "\"text\"",
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        msg = parse(refused[i]);
        CHECK(modern_set_meta(msg, MODERN_VERSION, caps, client, "info") == BRIDGE_EINVAL);
        CHECK(json_same(msg, refused[i]));
        CHECK(modern_meta_version(msg) == NULL);
        json_decref(msg);
    }
    CHECK(modern_set_meta(NULL, MODERN_VERSION, NULL, NULL, NULL) == BRIDGE_EINVAL);
    msg = parse("{\"id\":1,\"method\":\"m\"}");
    CHECK(modern_set_meta(msg, NULL, NULL, NULL, NULL) == BRIDGE_EINVAL);
    CHECK(modern_set_meta(msg, "\xff\xfe", NULL, NULL, NULL) == BRIDGE_EINVAL);
    CHECK(json_same(msg, "{\"id\":1,\"method\":\"m\"}"));
    json_decref(msg);

    /* _meta null: replaced by an object. */
    msg = parse("{\"id\":1,\"method\":\"m\",\"params\":{\"_meta\":null,\"k\":true}}");
    CHECK(modern_set_meta(msg, MODERN_VERSION, NULL, NULL, NULL) == 0);
    CHECK_STR(modern_meta_version(msg), MODERN_VERSION);
    CHECK(json_is_true(json_object_get(json_object_get(msg, "params"), "k")));
    json_decref(msg);

    /* modern_meta_version on what has none, or not a string. */
    msg = parse("{\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":5}}}");
    CHECK(modern_meta_version(msg) == NULL);
    json_decref(msg);
    CHECK(modern_meta_version(NULL) == NULL);

    json_decref(caps);
    json_decref(client);
}

static json_t *init_result(const char *discover, const char *host_version)
{
    json_t *d = parse(discover);
    json_t *r = modern_initialize_result(d, host_version);
    json_decref(d);
    return r;
}

static void test_initialize_result(void)
{
    /* The discover example: serverInfo from _meta, list_changed and subscribe
     * added, logging added, instructions kept, discover-only members gone. */
    json_t *r = init_result(
        "{\"resultType\":\"complete\",\"supportedVersions\":[\"2026-07-28\"],\"capabilities\":"
        "{\"tools\":{},\"resources\":{}},\"_meta\":{\"io.modelcontextprotocol/serverInfo\":"
        "{\"name\":\"ExampleServer\",\"version\":\"1.0.0\"}},\"instructions\":\"This server "
        "provides weather and resource utilities.\",\"ttlMs\":3600000,\"cacheScope\":\"public\"}",
        "2025-06-18");
    CHECK(json_same(r, "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":"
                       "{\"listChanged\":true},\"resources\":{\"listChanged\":true,\"subscribe\":"
                       "true},\"logging\":{}},\"serverInfo\":{\"name\":\"ExampleServer\","
                       "\"version\":\"1.0.0\"},\"instructions\":\"This server provides weather "
                       "and resource utilities.\"}"));
    json_decref(r);

    /* Host versions: the four older ones kept, anything else 2025-11-25. */
    const char *kept[] = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"};
    for (size_t i = 0; i < 4; i++) {
        r = init_result("{}", kept[i]);
        CHECK_STR(json_string_value(json_object_get(r, "protocolVersion")), kept[i]);
        json_decref(r);
    }
    const char *other[] = {"2026-07-28", "2024-10-07", "", "x", NULL};
    for (size_t i = 0; i < 5; i++) {
        r = init_result("{}", other[i]);
        CHECK_STR(json_string_value(json_object_get(r, "protocolVersion")), "2025-11-25");
        json_decref(r);
    }

    /* Empty discover result: unknown server, logging only. */
    r = init_result("{}", "2025-11-25");
    CHECK(json_same(r, "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"logging\":{}},"
                       "\"serverInfo\":{\"name\":\"unknown\",\"version\":\"unknown\"}}"));
    json_decref(r);

    /* serverInfo (the conformance mock's place) when _meta has none usable;
     * prompts gets listChanged; unknown capabilities and extensions kept;
     * logging and completions kept; tasks dropped. */
    r = init_result(
        "{\"supportedVersions\":[\"2026-07-28\"],\"_meta\":{\"io.modelcontextprotocol/"
        "serverInfo\":{\"name\":\"no version\"}},\"serverInfo\":{\"name\":\"mrtr-mock-server\","
        "\"version\":\"1.0.0\",\"title\":\"Mock\"},\"capabilities\":{\"prompts\":{\"listChanged\":"
        "false,\"x\":1},\"logging\":{\"levels\":true},\"completions\":{},\"extensions\":"
        "{\"io.modelcontextprotocol/ui\":{}},\"com.example/thing\":[1],\"tasks\":{\"list\":{}}},"
        "\"instructions\":5}",
        "2025-11-25");
    CHECK(json_same(r, "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"prompts\":"
                       "{\"listChanged\":true,\"x\":1},\"logging\":{\"levels\":true},"
                       "\"completions\":{},\"extensions\":{\"io.modelcontextprotocol/ui\":{}},"
                       "\"com.example/thing\":[1]},\"serverInfo\":{\"name\":\"mrtr-mock-server\","
                       "\"version\":\"1.0.0\",\"title\":\"Mock\"}}"));
    json_decref(r);

    /* Known members of the wrong type dropped, so a 2025 schema accepts the
     * result; serverInfo's optional members of the wrong type and invalid
     * icons dropped. */
    r = init_result(
        "{\"capabilities\":{\"tools\":true,\"prompts\":\"yes\",\"resources\":[],\"logging\":"
        "false,\"completions\":1,\"experimental\":{\"a\":{},\"b\":2}},\"_meta\":"
        "{\"io.modelcontextprotocol/serverInfo\":{\"name\":\"S\",\"version\":\"2\",\"title\":3,"
        "\"websiteUrl\":{},\"description\":\"d\",\"icons\":[{\"src\":\"https://x/i.png\","
        "\"sizes\":[\"48x48\"],\"theme\":\"dark\"},{\"src\":1},{\"src\":\"a\",\"theme\":\"blue\"},"
        "{\"src\":\"b\",\"sizes\":[1]},\"c\",{\"src\":\"d\",\"mimeType\":\"image/png\"}]}}}",
        NULL);
    CHECK(json_same(r, "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"logging\":{},"
                       "\"experimental\":{\"a\":{}}},\"serverInfo\":{\"name\":\"S\",\"version\":"
                       "\"2\",\"description\":\"d\",\"icons\":[{\"src\":\"https://x/i.png\","
                       "\"sizes\":[\"48x48\"],\"theme\":\"dark\"},{\"src\":\"d\",\"mimeType\":"
                       "\"image/png\"}]}}"));
    json_decref(r);

    /* capabilities not an object, serverInfo not usable, icons not an array. */
    r = init_result("{\"capabilities\":[1],\"serverInfo\":{\"name\":\"n\",\"version\":1}}", NULL);
    CHECK(json_same(r, "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"logging\":{}},"
                       "\"serverInfo\":{\"name\":\"unknown\",\"version\":\"unknown\"}}"));
    json_decref(r);
    r = init_result("{\"serverInfo\":{\"name\":\"n\",\"version\":\"v\",\"icons\":{}}}", NULL);
    CHECK(json_same(json_object_get(r, "serverInfo"), "{\"name\":\"n\",\"version\":\"v\"}"));
    json_decref(r);

    /* The result is a deep copy: editing it leaves the discover result alone. */
    json_t *d = parse("{\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"n\","
                      "\"version\":\"v\"}}");
    r = modern_initialize_result(d, NULL);
    CHECK(json_object_size(json_object_get(json_object_get(d, "capabilities"), "tools")) == 0);
    CHECK(json_object_get(json_object_get(d, "capabilities"), "logging") == NULL);
    json_decref(r);
    json_decref(d);

    /* Not an object: NULL. */
    CHECK(modern_initialize_result(NULL, NULL) == NULL);
    json_t *arr = parse("[{}]");
    CHECK(modern_initialize_result(arr, "2025-11-25") == NULL);
    json_decref(arr);
}

static int validate(const char *text, char *why, size_t n)
{
    json_t *v = parse(text);
    int rc = mrtr_validate(v, why, n);
    json_decref(v);
    return rc;
}

static void test_mrtr(void)
{
    /* mrtr.mdx, the InputRequiredResult example (comments taken out). */
    const char *example =
        "{\"resultType\":\"input_required\",\"inputRequests\":{\"github_login\":{\"method\":"
        "\"elicitation/create\",\"params\":{\"mode\":\"form\",\"message\":\"Please provide your "
        "GitHub username\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{\"name\":"
        "{\"type\":\"string\"}},\"required\":[\"name\"]}}},\"capital_of_france\":{\"method\":"
        "\"sampling/createMessage\",\"params\":{\"messages\":[{\"role\":\"user\",\"content\":"
        "{\"type\":\"text\",\"text\":\"What is the capital of France?\"}}],\"modelPreferences\":"
        "{\"hints\":[{\"name\":\"claude-3-sonnet\"}],\"intelligencePriority\":0.8,"
        "\"speedPriority\":0.5},\"systemPrompt\":\"You are a helpful assistant.\","
        "\"maxTokens\":100}}},\"requestState\":\"AEAD-protected blob\"}";
    json_t *r = parse(example);
    CHECK(mrtr_is_input_required(r));
    char why[256];
    CHECK(mrtr_validate(r, why, sizeof why) == 0);
    json_decref(r);

    /* resultType complete, absent, wrong type: not input_required. */
    const char *complete[] = {"{\"resultType\":\"complete\"}",
                              "{}",
                              "{\"resultType\":5}",
                              "{\"resultType\":\"Input_Required\"}",
                              "{\"resultType\":\"input_required\\u0000\"}",
                              "[]",
                              "null"};
    for (size_t i = 0; i < sizeof complete / sizeof *complete; i++) {
        r = parse(complete[i]);
        CHECK(!mrtr_is_input_required(r));
        json_decref(r);
    }
    CHECK(!mrtr_is_input_required(NULL));

    /* Only one of the two is enough; roots/list without params is fine. */
    CHECK(validate("{\"resultType\":\"input_required\",\"requestState\":\"s\"}", why, sizeof why) ==
          0);
    CHECK(validate("{\"resultType\":\"input_required\",\"inputRequests\":{\"r\":{\"method\":"
                   "\"roots/list\"}}}",
                   why, sizeof why) == 0);
    CHECK(validate("{\"inputRequests\":{}}", why, sizeof why) == 0);

    /* Refusals, each naming what is wrong. */
    CHECK(validate("{\"resultType\":\"input_required\"}", why, sizeof why) == BRIDGE_EPROTO);
    CHECK(strstr(why, "neither inputRequests nor requestState") != NULL);
    CHECK(validate("{\"requestState\":7}", why, sizeof why) == BRIDGE_EPROTO);
    CHECK(strstr(why, "requestState") != NULL);
    CHECK(validate("{\"inputRequests\":[],\"requestState\":\"s\"}", why, sizeof why) ==
          BRIDGE_EPROTO);
    CHECK(strstr(why, "inputRequests is not an object") != NULL);
    CHECK(validate("{\"inputRequests\":null}", why, sizeof why) == BRIDGE_EPROTO);
    CHECK(validate("{\"inputRequests\":{\"k1\":5}}", why, sizeof why) == BRIDGE_EPROTO);
    CHECK(strstr(why, "\"k1\"") != NULL);
    CHECK(validate("{\"inputRequests\":{\"k2\":{\"params\":{}}}}", why, sizeof why) ==
          BRIDGE_EPROTO);
    CHECK(strstr(why, "\"k2\" has no method") != NULL);
    CHECK(validate("{\"inputRequests\":{\"k3\":{\"method\":\"tools/call\"}}}", why, sizeof why) ==
          BRIDGE_EPROTO);
    CHECK(strstr(why, "\"k3\" asks for \"tools/call\"") != NULL);
    CHECK(validate("{\"inputRequests\":{\"k4\":{\"method\":\"roots/list\\u0000x\"}}}", why,
                   sizeof why) == BRIDGE_EPROTO);
    CHECK(validate("{\"inputRequests\":{\"k5\":{\"method\":\"roots/list\",\"params\":[]}}}", why,
                   sizeof why) == BRIDGE_EPROTO);
    CHECK(strstr(why, "\"k5\" has params that are not an object") != NULL);
    CHECK(validate("[]", why, sizeof why) == BRIDGE_EPROTO);
    CHECK(mrtr_validate(NULL, why, sizeof why) == BRIDGE_EPROTO);

    /* 16 entries pass, 17 do not. */
    json_t *many = json_object();
    json_t *reqs = json_object();
    json_object_set_new(many, "inputRequests", reqs);
    for (int i = 0; i < 17; i++) {
        char key[16];
        snprintf(key, sizeof key, "r%d", i);
        json_object_set_new(reqs, key, json_pack("{s:s}", "method", "roots/list"));
        CHECK(mrtr_validate(many, why, sizeof why) == (i < 16 ? 0 : BRIDGE_EPROTO));
    }
    CHECK(strstr(why, "17 entries") != NULL);
    json_decref(many);

    /* A long key (with a control character and multi-byte characters) is cut
     * within bounds on a character boundary; a tiny or absent buffer is fine. */
    char key[600];
    strcpy(key, "\\n");
    for (int i = 0; i < 100; i++)
        strcat(key, "\xc3\xa9\xe2\x82\xac");
    char text[800];
    snprintf(text, sizeof text, "{\"inputRequests\":{\"%s\":3}}", key);
    CHECK(validate(text, why, sizeof why) == BRIDGE_EPROTO);
    CHECK(strlen(why) < 160);
    CHECK(strchr(why, '\n') == NULL);
    CHECK(strstr(why, "...\" is not an object") != NULL);
    json_t *reason = json_string(why); /* NULL if the cut left invalid UTF-8 */
    CHECK(reason != NULL);
    json_decref(reason);
    for (size_t n = 1; n < 40; n++) {
        char small[40];
        CHECK(validate(text, small, n) == BRIDGE_EPROTO);
        CHECK(strlen(small) < n);
        reason = json_string(small);
        CHECK(reason != NULL);
        json_decref(reason);
    }
    CHECK(validate(text, NULL, 0) == BRIDGE_EPROTO);
    CHECK(validate(text, why, 0) == BRIDGE_EPROTO);
}

static void test_retry(void)
{
    /* Other params kept, old inputResponses and requestState replaced, a new
     * integer id. */
    json_t *orig =
        parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
              "\"book\",\"arguments\":{\"city\":\"Paris\"},\"_meta\":{\"progressToken\":3},"
              "\"inputResponses\":{\"old\":{\"action\":\"decline\"}},\"requestState\":\"old\"}}");
    json_t *responses = parse("{\"github_login\":{\"action\":\"accept\",\"content\":{\"name\":"
                              "\"octocat\"}}}");
    json_t *state = json_string("AEAD-protected blob");
    json_t *id = json_integer(2);
    json_t *retry = mrtr_retry(orig, id, responses, state);
    CHECK(json_same(retry, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                           "{\"name\":\"book\",\"arguments\":{\"city\":\"Paris\"},\"_meta\":"
                           "{\"progressToken\":3},\"inputResponses\":{\"github_login\":"
                           "{\"action\":\"accept\",\"content\":{\"name\":\"octocat\"}}},"
                           "\"requestState\":\"AEAD-protected blob\"}}"));
    /* orig untouched; the retry shares nothing with its inputs. */
    CHECK(json_integer_value(json_object_get(orig, "id")) == 1);
    CHECK_STR(json_string_value(json_object_get(json_object_get(orig, "params"), "requestState")),
              "old");
    json_t *rp = json_object_get(retry, "params");
    CHECK(json_object_get(rp, "inputResponses") != responses);
    CHECK(json_object_get(rp, "arguments") !=
          json_object_get(json_object_get(orig, "params"), "arguments"));
    CHECK(json_object_get(retry, "id") != id);
    json_decref(retry);

    /* No state sent: none in the retry (the old one removed); a string id. */
    json_t *sid = json_string("retry-2");
    retry = mrtr_retry(orig, sid, responses, NULL);
    CHECK(json_object_get(json_object_get(retry, "params"), "requestState") == NULL);
    CHECK_STR(json_string_value(json_object_get(retry, "id")), "retry-2");
    json_decref(retry);
    /* Neither: both removed; a state that is not a string is left out. */
    json_t *bad_state = json_integer(5);
    retry = mrtr_retry(orig, sid, NULL, bad_state);
    CHECK(json_same(retry, "{\"jsonrpc\":\"2.0\",\"id\":\"retry-2\",\"method\":\"tools/call\","
                           "\"params\":{\"name\":\"book\",\"arguments\":{\"city\":\"Paris\"},"
                           "\"_meta\":{\"progressToken\":3}}}"));
    json_decref(retry);
    json_decref(bad_state);
    /* A state with an embedded NUL goes back whole. */
    json_t *nul_state = json_stringn("a\0b", 3);
    retry = mrtr_retry(orig, sid, NULL, nul_state);
    CHECK(json_equal(json_object_get(json_object_get(retry, "params"), "requestState"), nul_state));
    json_decref(retry);
    json_decref(nul_state);

    /* params absent or null: created. */
    json_t *bare = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\"}");
    retry = mrtr_retry(bare, id, NULL, state);
    CHECK(json_same(retry, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"prompts/get\",\"params\":"
                           "{\"requestState\":\"AEAD-protected blob\"}}"));
    json_decref(retry);
    json_decref(bare);
    bare = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":null}");
    retry = mrtr_retry(bare, id, responses, NULL);
    CHECK(json_is_object(json_object_get(json_object_get(retry, "params"), "inputResponses")));
    json_decref(retry);
    json_decref(bare);

    /* Nothing a retry can be made of: NULL. */
    bare = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[1]}");
    CHECK(mrtr_retry(bare, id, responses, state) == NULL);
    json_decref(bare);
    bare = parse("[1]");
    CHECK(mrtr_retry(bare, id, responses, state) == NULL);
    json_decref(bare);
    CHECK(mrtr_retry(NULL, id, responses, state) == NULL);
    CHECK(mrtr_retry(orig, NULL, responses, state) == NULL);

    json_decref(sid);
    json_decref(id);
    json_decref(state);
    json_decref(responses);
    json_decref(orig);
}

static void test_listen(void)
{
    json_t *uris = parse("[\"file:///project/config.json\"]");
    json_t *p = modern_listen_params(1, 0, 0, uris);
    /* subscriptions.mdx, the request's params (without _meta). */
    CHECK(json_same(p, "{\"notifications\":{\"toolsListChanged\":true,\"resourceSubscriptions\":"
                       "[\"file:///project/config.json\"]}}"));
    json_decref(p);
    json_decref(uris);

    p = modern_listen_params(0, 2, -1, NULL);
    CHECK(json_same(p, "{\"notifications\":{\"promptsListChanged\":true,"
                       "\"resourcesListChanged\":true}}"));
    json_decref(p);
    p = modern_listen_params(0, 0, 0, NULL);
    CHECK(json_same(p, "{\"notifications\":{}}"));
    json_decref(p);
    /* Empty, not an array, or no strings: left out; non-strings skipped. */
    const char *no_uris[] = {"[]", "\"file:///a\"", "{\"a\":\"b\"}", "[1, null, {}]"};
    for (size_t i = 0; i < 4; i++) {
        uris = parse(no_uris[i]);
        p = modern_listen_params(1, 1, 1, uris);
        CHECK(json_same(p, "{\"notifications\":{\"toolsListChanged\":true,\"promptsListChanged\":"
                           "true,\"resourcesListChanged\":true}}"));
        json_decref(p);
        json_decref(uris);
    }
    uris = parse("[\"a\", 1, \"b\", []]");
    p = modern_listen_params(0, 0, 0, uris);
    CHECK(json_same(p, "{\"notifications\":{\"resourceSubscriptions\":[\"a\",\"b\"]}}"));
    json_t *first = json_array_get(
        json_object_get(json_object_get(p, "notifications"), "resourceSubscriptions"), 0);
    CHECK(first != json_array_get(uris, 0)); /* copied */
    json_decref(p);
    json_decref(uris);

    /* The acknowledgment is not for the host. */
    json_t *n = parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/"
                      "acknowledged\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
                      "subscriptionId\":1},\"notifications\":{\"toolsListChanged\":true,"
                      "\"resourceSubscriptions\":[\"file:///project/config.json\"]}}}");
    CHECK(modern_listen_note_for_host(n) == 0);
    json_decref(n);
    /* resources/updated: the subscription id and the then empty _meta gone. */
    n = parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":"
              "{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":1},\"uri\":"
              "\"file:///project/config.json\"}}");
    CHECK(modern_listen_note_for_host(n) == 1);
    CHECK(json_same(n, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\","
                       "\"params\":{\"uri\":\"file:///project/config.json\"}}"));
    json_decref(n);
    /* Other _meta keys stay; a string subscription id is removed the same way. */
    n = parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\",\"params\":"
              "{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"s-1\",\"k\":1}}}");
    CHECK(modern_listen_note_for_host(n) == 1);
    CHECK(json_same(n, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\","
                       "\"params\":{\"_meta\":{\"k\":1}}}"));
    json_decref(n);
    /* No params, params or _meta of another type: passed on as they are. */
    const char *as_is[] = {
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/prompts/list_changed\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/prompts/list_changed\",\"params\":[1]}",
        ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/prompts/list_changed\",\"params\":"
         "{\"_meta\":\"x\"}}"),
    };
    for (size_t i = 0; i < 3; i++) {
        n = parse(as_is[i]);
        CHECK(modern_listen_note_for_host(n) == 1);
        CHECK(json_same(n, as_is[i]));
        json_decref(n);
    }
    /* Not a notification at all. */
    n = parse("[{\"method\":\"notifications/tools/list_changed\"}]");
    CHECK(modern_listen_note_for_host(n) == 0);
    json_decref(n);
    n = parse("{\"method\":5}");
    CHECK(modern_listen_note_for_host(n) == 0);
    json_decref(n);
    CHECK(modern_listen_note_for_host(NULL) == 0);
}

int main(void)
{
    test_versions();
    test_classify();
    test_set_meta();
    test_initialize_result();
    test_mrtr();
    test_retry();
    test_listen();
    return CHECK_DONE();
}
