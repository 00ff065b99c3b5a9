/* Unit tests for bridge/mcp/mcp_headers.c: the value encoding, the x-mcp-header
 * index and its checks, and the header lines built for each kind of message. */
#include "bridge/mcp/mcp_headers.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &error);
    if (!j) fprintf(stderr, "bad test JSON: %s: %s\n", error.text, text);
    return j;
}

static char *encode_str(const char *s)
{
    return mcp_header_encode(s, strlen(s));
}

/* The lines for msg joined with '\n', or "ERR <code>"; malloc'd. */
static char *header_text(const mcp_tool_headers_t *h, const char *msg_text)
{
    json_t *msg = parse(msg_text);
    char **lines = NULL;
    size_t n = 0;
    int rc = mcp_request_headers(h, msg, &lines, &n);
    json_decref(msg);
    char *out = calloc(1, 8192);
    if (rc < 0) {
        snprintf(out, 8192, "ERR %d", rc);
        return out;
    }
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(out, "\n");
        strcat(out, lines[i]);
    }
    mcp_header_lines_free(lines, n);
    return out;
}

#define CHECK_HEADERS(h, msg, expected)                                                            \
    do {                                                                                           \
        char *got_ = header_text(h, msg);                                                          \
        CHECK_STR(got_, expected);                                                                 \
        free(got_);                                                                                \
    } while (0)

/* Learns a tools/list result; returns the rc and writes the names of the tools
 * left in it, comma-separated, into kept. */
static int learn(mcp_tool_headers_t *h, const char *result_text, char *kept, size_t size)
{
    json_t *result = parse(result_text);
    int rc = mcp_tool_headers_learn(h, result);
    kept[0] = 0;
    size_t i;
    json_t *tool;
    json_array_foreach (json_object_get(result, "tools"), i, tool) {
        if (i) strncat(kept, ",", size - strlen(kept) - 1);
        const char *name = json_string_value(json_object_get(tool, "name"));
        strncat(kept, name ? name : "?", size - strlen(kept) - 1);
    }
    json_decref(result);
    return rc;
}

static void test_encoding_table(void)
{
    /* The rows of streamable-http.mdx, Value Encoding. */
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"us-west1", "us-west1"},
        {"Hello, \xe4\xb8\x96\xe7\x95\x8c", "=?base64?SGVsbG8sIOS4lueVjA==?="},
        {" padded ", "=?base64?IHBhZGRlZCA=?="},
        {"line1\nline2", "=?base64?bGluZTEKbGluZTI=?="},
        {"=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="},
        /* And the edges around them. */
        {"", ""},
        {"us west 1", "us west 1"},
        {" us-west1", "=?base64?IHVzLXdlc3Qx?="},
        {"us-west1 ", "=?base64?dXMtd2VzdDEg?="},
        {"\tindented", "=?base64?CWluZGVudGVk?="},
        {"line1\r\nline2", "=?base64?bGluZTENCmxpbmUy?="},
        {"a", "a"},
        {"\x7f", "=?base64?fw==?="},
        {"=?BASE64?x?=", "=?BASE64?x?="}, /* the markers are case-sensitive */
        {"=?base64?=", "=?base64?PT9iYXNlNjQ/PQ==?="},
        {"=?base64?", "=?base64?"},
        {"ab", "ab"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char *got = encode_str(rows[i].in);
        CHECK_STR(got, rows[i].out);
        free(got);
    }
    /* An embedded NUL is outside the safe set; its bytes are all encoded. */
    char *got = mcp_header_encode("a\0b", 3);
    CHECK_STR(got, "=?base64?YQBi?=");
    free(got);
}

static const char *const invalid_tools =
    "{\"tools\":["
    "{\"name\":\"valid_tool\",\"inputSchema\":{\"type\":\"object\",\"properties\":"
    "  {\"region\":{\"type\":\"string\",\"x-mcp-header\":\"Region\"}}}},"
    "{\"name\":\"empty\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"string\","
    "  \"x-mcp-header\":\"\"}}}},"
    "{\"name\":\"not_string\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"string\","
    "  \"x-mcp-header\":7}}}},"
    "{\"name\":\"object\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"object\","
    "  \"x-mcp-header\":\"Data\"}}}},"
    "{\"name\":\"array\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"array\","
    "  \"items\":{\"type\":\"string\"},\"x-mcp-header\":\"Items\"}}}},"
    "{\"name\":\"null\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"null\","
    "  \"x-mcp-header\":\"Nil\"}}}},"
    "{\"name\":\"number\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"number\","
    "  \"x-mcp-header\":\"Num\"}}}},"
    "{\"name\":\"untyped\",\"inputSchema\":{\"properties\":{\"v\":{\"x-mcp-header\":\"U\"}}}},"
    "{\"name\":\"union\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":[\"string\","
    "  \"integer\"],\"x-mcp-header\":\"U\"}}}},"
    "{\"name\":\"union_number\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":[\"integer\","
    "  \"number\"],\"x-mcp-header\":\"U\"}}}},"
    "{\"name\":\"dup_same\",\"inputSchema\":{\"properties\":{"
    "  \"a\":{\"type\":\"string\",\"x-mcp-header\":\"Region\"},"
    "  \"b\":{\"type\":\"string\",\"x-mcp-header\":\"Region\"}}}},"
    "{\"name\":\"dup_case\",\"inputSchema\":{\"properties\":{"
    "  \"a\":{\"type\":\"string\",\"x-mcp-header\":\"MyField\"},"
    "  \"b\":{\"properties\":{\"c\":{\"type\":\"string\",\"x-mcp-header\":\"myfield\"}}}}}},"
    "{\"name\":\"space\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"string\","
    "  \"x-mcp-header\":\"My Region\"}}}},"
    "{\"name\":\"colon\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"string\","
    "  \"x-mcp-header\":\"Region:Primary\"}}}},"
    "{\"name\":\"non_ascii\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"string\","
    "  \"x-mcp-header\":\"R\\u00e9gion\"}}}},"
    "{\"name\":\"tab\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"string\","
    "  \"x-mcp-header\":\"Region\\t1\"}}}},"
    "{\"name\":\"crlf\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"string\","
    "  \"x-mcp-header\":\"A\\r\\nX-Injected: 1\"}}}},"
    "{\"name\":\"nul\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"string\","
    "  \"x-mcp-header\":\"A\\u0000B\"}}}},"
    "{\"name\":\"on_root\",\"inputSchema\":{\"type\":\"string\",\"x-mcp-header\":\"Root\"}},"
    "{\"name\":\"in_items\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"array\","
    "  \"items\":{\"type\":\"string\",\"x-mcp-header\":\"I\"}}}}},"
    "{\"name\":\"in_items_properties\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":"
    "  "
    "\"array\",\"items\":{\"properties\":{\"w\":{\"type\":\"string\",\"x-mcp-header\":\"I\"}}}}}}},"
    "{\"name\":\"in_oneOf\",\"inputSchema\":{\"oneOf\":[{\"properties\":{\"v\":{\"type\":"
    "  \"string\",\"x-mcp-header\":\"O\"}}}]}},"
    "{\"name\":\"in_anyOf\",\"inputSchema\":{\"properties\":{\"v\":{\"anyOf\":[{\"type\":"
    "  \"string\",\"x-mcp-header\":\"O\"}]}}}},"
    "{\"name\":\"in_allOf\",\"inputSchema\":{\"allOf\":[{\"properties\":{\"v\":{\"type\":"
    "  \"string\",\"x-mcp-header\":\"O\"}}}]}},"
    "{\"name\":\"in_not\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"string\",\"not\":"
    "  {\"type\":\"string\",\"x-mcp-header\":\"N\"}}}}},"
    "{\"name\":\"in_if\",\"inputSchema\":{\"if\":{\"properties\":{\"v\":{\"type\":\"string\","
    "  \"x-mcp-header\":\"C\"}}},\"then\":{},\"else\":{}}},"
    "{\"name\":\"in_then\",\"inputSchema\":{\"if\":{},\"then\":{\"properties\":{\"v\":{\"type\":"
    "  \"string\",\"x-mcp-header\":\"C\"}}}}},"
    "{\"name\":\"in_else\",\"inputSchema\":{\"if\":{},\"else\":{\"properties\":{\"v\":{\"type\":"
    "  \"string\",\"x-mcp-header\":\"C\"}}}}},"
    "{\"name\":\"in_defs\",\"inputSchema\":{\"properties\":{\"v\":{\"$ref\":\"#/$defs/r\"}},"
    "  \"$defs\":{\"r\":{\"type\":\"string\",\"x-mcp-header\":\"D\"}}}},"
    "{\"name\":\"in_definitions\",\"inputSchema\":{\"properties\":{\"v\":{\"$ref\":"
    "  "
    "\"#/definitions/r\"}},\"definitions\":{\"r\":{\"type\":\"string\",\"x-mcp-header\":\"D\"}}}},"
    "{\"name\":\"in_additional\",\"inputSchema\":{\"additionalProperties\":{\"type\":\"string\","
    "  \"x-mcp-header\":\"A\"}}},"
    "{\"name\":\"in_pattern\",\"inputSchema\":{\"patternProperties\":{\"^x\":{\"type\":"
    "  \"string\",\"x-mcp-header\":\"P\"}}}},"
    "{\"name\":\"string_or_null\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":[\"string\","
    "  \"null\"],\"x-mcp-header\":\"Maybe\"}}}},"
    "{\"name\":\"data_keywords\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":\"object\","
    "  \"default\":{\"x-mcp-header\":\"NotASchema\"},\"examples\":[{\"x-mcp-header\":\"X\"}]}}}}"
    "]}";

static void test_invalid_annotations(void)
{
    mcp_tool_headers_t *h = mcp_tool_headers_new();
    char kept[4096];
    int rc = learn(h, invalid_tools, kept, sizeof kept);
    CHECK(rc == 31);
    CHECK_STR(kept, "valid_tool,string_or_null,data_keywords");
    CHECK_HEADERS(h,
                  "{\"method\":\"tools/call\",\"params\":{\"name\":\"string_or_null\","
                  "\"arguments\":{\"v\":\"x\"}}}",
                  "Mcp-Method: tools/call\nMcp-Name: string_or_null\nMcp-Param-Maybe: x");
    CHECK_HEADERS(h,
                  "{\"method\":\"tools/call\",\"params\":{\"name\":\"string_or_null\","
                  "\"arguments\":{\"v\":null}}}",
                  "Mcp-Method: tools/call\nMcp-Name: string_or_null");
    mcp_tool_headers_free(h);
}

static void test_bounds(void)
{
    mcp_tool_headers_t *h = mcp_tool_headers_new();
    char kept[256];
    char *text = malloc(1 << 16);

    /* A header name of 128 bytes is kept, one of 129 refused. */
    for (int len = 128; len <= 129; len++) {
        snprintf(text, 1 << 16,
                 "{\"tools\":[{\"name\":\"n%d\",\"inputSchema\":{\"properties\":{\"v\":"
                 "{\"type\":\"string\",\"x-mcp-header\":\"",
                 len);
        size_t at = strlen(text);
        memset(text + at, 'B', (size_t)len);
        text[at + (size_t)len] = 0;
        strcat(text, "\"}}}}]}");
        CHECK(learn(h, text, kept, sizeof kept) == (len == 128 ? 0 : 1));
    }

    /* 64 annotations are kept, 65 are refused. */
    for (int count = 64; count <= 65; count++) {
        snprintf(text, 1 << 16,
                 "{\"tools\":[{\"name\":\"many%d\",\"inputSchema\":{\"properties\":{", count);
        for (int i = 0; i < count; i++)
            snprintf(text + strlen(text), (1 << 16) - strlen(text),
                     "%s\"p%d\":{\"type\":\"integer\",\"x-mcp-header\":\"H%d\"}", i ? "," : "", i,
                     i);
        strcat(text, "}}}]}");
        CHECK(learn(h, text, kept, sizeof kept) == (count == 64 ? 0 : 1));
    }
    CHECK_HEADERS(h,
                  "{\"method\":\"tools/call\",\"params\":{\"name\":\"many64\","
                  "\"arguments\":{\"p63\":5}}}",
                  "Mcp-Method: tools/call\nMcp-Name: many64\nMcp-Param-H63: 5");

    /* A property path of 16 is kept, 17 refused. */
    for (int depth = 16; depth <= 17; depth++) {
        snprintf(text, 1 << 16, "{\"tools\":[{\"name\":\"deep%d\",\"inputSchema\":", depth);
        for (int i = 0; i < depth; i++)
            strcat(text, "{\"properties\":{\"p\":");
        strcat(text, "{\"type\":\"boolean\",\"x-mcp-header\":\"Deep\"}");
        for (int i = 0; i < depth; i++)
            strcat(text, "}}");
        strcat(text, "}]}");
        CHECK(learn(h, text, kept, sizeof kept) == (depth == 16 ? 0 : 1));
    }
    /* A schema nested past the walk's limit is refused even without an
     * annotation in reach. */
    strcpy(text, "{\"tools\":[{\"name\":\"nested\",\"inputSchema\":");
    for (int i = 0; i < 40; i++)
        strcat(text, "{\"items\":");
    strcat(text, "{}");
    for (int i = 0; i < 40; i++)
        strcat(text, "}");
    strcat(text, "}]}");
    CHECK(learn(h, text, kept, sizeof kept) == 1);
    CHECK_STR(kept, "");
    free(text);
    mcp_tool_headers_free(h);
}

static void test_values(void)
{
    mcp_tool_headers_t *h = mcp_tool_headers_new();
    char kept[256];
    CHECK(learn(h,
                "{\"tools\":[{\"name\":\"t\",\"inputSchema\":{\"type\":\"object\",\"properties\":{"
                "\"s\":{\"type\":\"string\",\"x-mcp-header\":\"S\"},"
                "\"i\":{\"type\":\"integer\",\"x-mcp-header\":\"I\"},"
                "\"b\":{\"type\":\"boolean\",\"x-mcp-header\":\"B\"},"
                "\"m\":{\"type\":\"string\",\"x-mcp-header\":\"Method\"},"
                "\"q\":{\"type\":\"string\"},"
                "\"o\":{\"type\":\"object\",\"properties\":{\"inner\":{\"type\":\"string\","
                "  \"x-mcp-header\":\"Inner\"}}}}}}]}",
                kept, sizeof kept) == 0);
    const char *pre = "Mcp-Method: tools/call\nMcp-Name: t\n";
    static const struct {
        const char *arguments, *params;
    } rows[] = {
        {"{\"s\":\"us-west1\",\"i\":42,\"b\":false,\"m\":\"x\",\"q\":\"SELECT\"}",
         "Mcp-Param-S: us-west1\nMcp-Param-I: 42\nMcp-Param-B: false\nMcp-Param-Method: x"},
        {"{\"i\":-7,\"b\":true}", "Mcp-Param-I: -7\nMcp-Param-B: true"},
        {"{\"i\":42.0}", "Mcp-Param-I: 42"},
        {"{\"i\":-0.0}", "Mcp-Param-I: 0"},
        {"{\"i\":9007199254740991}", "Mcp-Param-I: 9007199254740991"},
        {"{\"i\":-9007199254740991}", "Mcp-Param-I: -9007199254740991"},
        {"{\"i\":9007199254740992}", ""},
        {"{\"i\":-9007199254740992}", ""},
        {"{\"i\":1e300}", ""},
        {"{\"i\":3.5}", ""},
        {"{\"i\":\"42\"}", ""},
        {"{\"s\":42}", ""},
        {"{\"b\":\"true\"}", ""},
        {"{\"s\":null,\"i\":null,\"b\":null}", ""},
        {"{\"s\":\"\"}", "Mcp-Param-S: "},
        {"{\"s\":\"a\\r\\nX-Evil: 1\"}", "Mcp-Param-S: =?base64?YQ0KWC1FdmlsOiAx?="},
        {"{\"s\":\"a\\u0000b\"}", "Mcp-Param-S: =?base64?YQBi?="},
        {"{\"o\":{\"inner\":\"deep\"}}", "Mcp-Param-Inner: deep"},
        {"{\"o\":\"flat\"}", ""},
        {"{\"inner\":\"wrong level\"}", ""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char msg[512], expected[512];
        snprintf(msg, sizeof msg,
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                 "{\"name\":\"t\",\"arguments\":%s}}",
                 rows[i].arguments);
        snprintf(expected, sizeof expected, "%s%s", pre, rows[i].params);
        if (!rows[i].params[0]) expected[strlen(expected) - 1] = 0;
        CHECK_HEADERS(h, msg, expected);
    }
    /* Arguments that are not an object, or none at all. */
    CHECK_HEADERS(h, "{\"method\":\"tools/call\",\"params\":{\"name\":\"t\",\"arguments\":[1]}}",
                  "Mcp-Method: tools/call\nMcp-Name: t");
    CHECK_HEADERS(h, "{\"method\":\"tools/call\",\"params\":{\"name\":\"t\"}}",
                  "Mcp-Method: tools/call\nMcp-Name: t");
    /* Without an index, no Mcp-Param-*. */
    CHECK_HEADERS(NULL,
                  "{\"method\":\"tools/call\",\"params\":{\"name\":\"t\",\"arguments\":"
                  "{\"s\":\"v\"}}}",
                  "Mcp-Method: tools/call\nMcp-Name: t");
    mcp_tool_headers_free(h);
}

static void test_learn_replace_and_clear(void)
{
    mcp_tool_headers_t *h = mcp_tool_headers_new();
    char kept[256];
    const char *call = "{\"method\":\"tools/call\",\"params\":{\"name\":\"t\",\"arguments\":"
                       "{\"a\":\"1\",\"b\":\"2\"}}}";
    CHECK(learn(h,
                "{\"tools\":[{\"name\":\"t\",\"inputSchema\":{\"properties\":{\"a\":{\"type\":"
                "\"string\",\"x-mcp-header\":\"A\"}}}}]}",
                kept, sizeof kept) == 0);
    CHECK_HEADERS(h, call, "Mcp-Method: tools/call\nMcp-Name: t\nMcp-Param-A: 1");
    /* A second page adds another tool; t stays. */
    CHECK(learn(h,
                "{\"tools\":[{\"name\":\"u\",\"inputSchema\":{\"properties\":{\"a\":{\"type\":"
                "\"string\",\"x-mcp-header\":\"U\"}}}}]}",
                kept, sizeof kept) == 0);
    CHECK_HEADERS(h, call, "Mcp-Method: tools/call\nMcp-Name: t\nMcp-Param-A: 1");
    /* t seen again: its new annotations replace the old ones. */
    CHECK(learn(h,
                "{\"tools\":[{\"name\":\"t\",\"inputSchema\":{\"properties\":{\"b\":{\"type\":"
                "\"string\",\"x-mcp-header\":\"B\"}}}}]}",
                kept, sizeof kept) == 0);
    CHECK_HEADERS(h, call, "Mcp-Method: tools/call\nMcp-Name: t\nMcp-Param-B: 2");
    /* t seen without annotations: nothing is mirrored any more. */
    CHECK(learn(h, "{\"tools\":[{\"name\":\"t\",\"inputSchema\":{\"type\":\"object\"}}]}", kept,
                sizeof kept) == 0);
    CHECK_HEADERS(h, call, "Mcp-Method: tools/call\nMcp-Name: t");
    /* t valid again, then invalid: the invalid listing forgets it. */
    CHECK(learn(h,
                "{\"tools\":[{\"name\":\"t\",\"inputSchema\":{\"properties\":{\"a\":{\"type\":"
                "\"string\",\"x-mcp-header\":\"A\"}}}}]}",
                kept, sizeof kept) == 0);
    CHECK(learn(h,
                "{\"tools\":[{\"name\":\"t\",\"inputSchema\":{\"properties\":{\"a\":{\"type\":"
                "\"number\",\"x-mcp-header\":\"A\"}}}}]}",
                kept, sizeof kept) == 1);
    CHECK_HEADERS(h, call, "Mcp-Method: tools/call\nMcp-Name: t");
    /* clear forgets u too. */
    const char *call_u = "{\"method\":\"tools/call\",\"params\":{\"name\":\"u\",\"arguments\":"
                         "{\"a\":\"x\"}}}";
    CHECK_HEADERS(h, call_u, "Mcp-Method: tools/call\nMcp-Name: u\nMcp-Param-U: x");
    mcp_tool_headers_clear(h);
    CHECK_HEADERS(h, call_u, "Mcp-Method: tools/call\nMcp-Name: u");
    /* Results without a tools array change nothing. */
    CHECK(learn(h, "{}", kept, sizeof kept) == 0);
    CHECK(learn(h, "{\"tools\":{}}", kept, sizeof kept) == 0);
    CHECK(mcp_tool_headers_learn(h, NULL) == 0);
    /* Entries that are not tool objects are left as they are. */
    CHECK(learn(h, "{\"tools\":[1,{\"name\":\"x\"},{\"inputSchema\":{}}]}", kept, sizeof kept) ==
          0);
    mcp_tool_headers_free(h);
}

static void test_messages(void)
{
    const char *meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}";
    char msg[512];
    snprintf(msg, sizeof msg,
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"get_weather\",\"arguments\":{},%s}}",
             meta);
    CHECK_HEADERS(
        NULL, msg,
        "MCP-Protocol-Version: 2026-07-28\nMcp-Method: tools/call\nMcp-Name: get_weather");
    snprintf(msg, sizeof msg,
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/read\",\"params\":{\"uri\":"
             "\"file:///projects/myapp/config.json\",\"name\":\"not this\",%s}}",
             meta);
    CHECK_HEADERS(NULL, msg,
                  "MCP-Protocol-Version: 2026-07-28\nMcp-Method: resources/read\n"
                  "Mcp-Name: file:///projects/myapp/config.json");
    CHECK_HEADERS(NULL,
                  "{\"id\":3,\"method\":\"resources/read\",\"params\":{\"uri\":"
                  "\"file:///a b/\\u00e9\"}}",
                  "Mcp-Method: resources/read\nMcp-Name: =?base64?ZmlsZTovLy9hIGIvw6k=?=");
    snprintf(msg, sizeof msg,
             "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"prompts/get\",\"params\":{\"name\":"
             "\"greet\",\"arguments\":{\"who\":\"x\"},%s}}",
             meta);
    CHECK_HEADERS(NULL, msg,
                  "MCP-Protocol-Version: 2026-07-28\nMcp-Method: prompts/get\nMcp-Name: greet");
    snprintf(msg, sizeof msg,
             "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\",\"params\":{\"name\":\"x\","
             "%s}}",
             meta);
    CHECK_HEADERS(NULL, msg, "MCP-Protocol-Version: 2026-07-28\nMcp-Method: tools/list");
    CHECK_HEADERS(NULL,
                  "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                  "\"params\":{\"requestId\":1}}",
                  "Mcp-Method: notifications/cancelled");
    /* A tool the index does not know: no Mcp-Param-*. */
    mcp_tool_headers_t *h = mcp_tool_headers_new();
    CHECK_HEADERS(h,
                  "{\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"unknown\","
                  "\"arguments\":{\"region\":\"x\"}}}",
                  "Mcp-Method: tools/call\nMcp-Name: unknown");
    /* Names outside the safe set are encoded; a missing one leaves no line. */
    CHECK_HEADERS(h, "{\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"a\\nb\"}}",
                  "Mcp-Method: tools/call\nMcp-Name: =?base64?YQpi?=");
    CHECK_HEADERS(h, "{\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":5}}",
                  "Mcp-Method: tools/call");
    CHECK_HEADERS(h, "{\"id\":9,\"method\":\"tools/call\"}", "Mcp-Method: tools/call");
    mcp_tool_headers_free(h);

    /* What must not be sent with made-up headers. */
    char expect_einval[16];
    snprintf(expect_einval, sizeof expect_einval, "ERR %d", BRIDGE_EINVAL);
    CHECK_HEADERS(NULL, "{\"id\":1,\"method\":\"tools/li\\u0001st\"}", expect_einval);
    CHECK_HEADERS(NULL, "{\"id\":1,\"method\":\"tools/list\\r\\nX-Evil: 1\"}", expect_einval);
    CHECK_HEADERS(NULL, "{\"id\":1,\"method\":\"a b\"}", expect_einval);
    CHECK_HEADERS(NULL, "{\"id\":1,\"method\":\"\\u00e9\"}", expect_einval);
    CHECK_HEADERS(NULL, "{\"id\":1,\"method\":\"a\\u0000b\"}", expect_einval);
    CHECK_HEADERS(NULL, "{\"id\":1,\"method\":\"\"}", expect_einval);
    CHECK_HEADERS(NULL, "{\"id\":1,\"method\":7}", expect_einval);
    CHECK_HEADERS(NULL, "{\"id\":1,\"result\":{}}", expect_einval);
    CHECK_HEADERS(NULL, "[1]", expect_einval);
    CHECK_HEADERS(NULL,
                  "{\"id\":1,\"method\":\"ping\",\"params\":{\"_meta\":{"
                  "\"io.modelcontextprotocol/protocolVersion\":\"2026\\n07\"}}}",
                  expect_einval);
    CHECK_HEADERS(NULL,
                  "{\"id\":1,\"method\":\"ping\",\"params\":{\"_meta\":{"
                  "\"io.modelcontextprotocol/protocolVersion\":20260728}}}",
                  expect_einval);
}

/* Hostile names and values never put CR, LF or NUL into a line. */
static void test_no_injection(void)
{
    mcp_tool_headers_t *h = mcp_tool_headers_new();
    char kept[256];
    learn(h,
          "{\"tools\":[{\"name\":\"a\\r\\nb\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":"
          "\"string\",\"x-mcp-header\":\"V\"}}}},"
          "{\"name\":\"bad\\r\\n\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":"
          "\"string\",\"x-mcp-header\":\"V\\r\\nX-Evil: 1\"}}}}]}",
          kept, sizeof kept);
    CHECK_STR(kept, "a\r\nb");
    static const char *const msgs[] = {
        "{\"method\":\"tools/call\",\"params\":{\"name\":\"a\\r\\nb\",\"arguments\":"
        "{\"v\":\"x\\r\\nX-Evil: 1\\u0000\"}}}",
        "{\"method\":\"tools/"
        "call\",\"params\":{\"name\":\"bad\\r\\n\",\"arguments\":{\"v\":\"x\"}}}",
        "{\"method\":\"resources/read\",\"params\":{\"uri\":\"\\r\\n\\u0000\"}}",
        "{\"method\":\"prompts/get\",\"params\":{\"name\":\"\\n\"}}",
    };
    for (size_t m = 0; m < sizeof msgs / sizeof *msgs; m++) {
        json_t *msg = parse(msgs[m]);
        char **lines;
        size_t n;
        CHECK(mcp_request_headers(h, msg, &lines, &n) == 0);
        for (size_t i = 0; i < n; i++) {
            CHECK(strpbrk(lines[i], "\r\n") == NULL);
            CHECK(strstr(lines[i], "X-Evil") == NULL);
            CHECK(strchr(lines[i], ':') != NULL);
        }
        mcp_header_lines_free(lines, n);
        json_decref(msg);
    }
    char *text = header_text(h, msgs[0]);
    CHECK_STR(text, "Mcp-Method: tools/call\nMcp-Name: =?base64?YQ0KYg==?=\n"
                    "Mcp-Param-V: =?base64?eA0KWC1FdmlsOiAxAA==?=");
    free(text);
    mcp_tool_headers_free(h);
}

static void test_many_tools(void)
{
    mcp_tool_headers_t *h = mcp_tool_headers_new();
    size_t size = 1 << 20;
    char *text = malloc(size);
    strcpy(text, "{\"tools\":[");
    for (int i = 0; i < 500; i++)
        snprintf(text + strlen(text), size - strlen(text),
                 "%s{\"name\":\"tool_%d\",\"inputSchema\":{\"properties\":{\"v\":{\"type\":"
                 "\"integer\",\"x-mcp-header\":\"N%d\"}}}}",
                 i ? "," : "", i, i);
    strcat(text, "]}");
    char kept[16];
    json_t *result = parse(text);
    CHECK(mcp_tool_headers_learn(h, result) == 0);
    CHECK(json_array_size(json_object_get(result, "tools")) == 500);
    json_decref(result);
    (void)kept;
    int right = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 500; i++) {
            char msg[256], expected[256];
            snprintf(msg, sizeof msg,
                     "{\"method\":\"tools/call\",\"params\":{\"name\":\"tool_%d\","
                     "\"arguments\":{\"v\":%d}}}",
                     i, i * 3);
            snprintf(expected, sizeof expected,
                     "Mcp-Method: tools/call\nMcp-Name: tool_%d\nMcp-Param-N%d: %d", i, i, i * 3);
            char *got = header_text(h, msg);
            right += strcmp(got, expected) == 0;
            free(got);
        }
    }
    CHECK(right == 2000);
    free(text);
    mcp_tool_headers_free(h);
}

int main(void)
{
    log_init(LOG_LEVEL_SILENT, NULL);
    test_encoding_table();
    test_invalid_annotations();
    test_bounds();
    test_values();
    test_learn_replace_and_clear();
    test_messages();
    test_no_injection();
    test_many_tools();
    return CHECK_DONE();
}
