/* libFuzzer target: the x-mcp-header index and the request header lines. The
 * input is split at its first NUL byte into a tools/list result and a message
 * to the server (without a NUL: its first and second halves); both are parsed
 * with jansson, the result is learnt, then the message's header lines are
 * built and each must be a token, ": ", and a value free of CR, LF and NUL. */
#include "bridge/mcp/mcp_headers.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static void check_line(const char *line)
{
    size_t name = 0;
    while (is_tchar((unsigned char)line[name]))
        name++;
    if (name == 0 || line[name] != ':' || line[name + 1] != ' ') abort();
    for (const char *v = line + name + 2; *v; v++)
        if (*v == '\r' || *v == '\n') abort();
    /* A value is visible ASCII and space, with no space at either end. */
    const char *value = line + name + 2;
    size_t len = strlen(value);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e) abort();
    if (len && (value[0] == ' ' || value[len - 1] == ' ')) abort();
}

static void check_encode(const uint8_t *data, size_t size)
{
    char *encoded = mcp_header_encode((const char *)data, size);
    if (!encoded) return;
    size_t len = strlen(encoded);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)encoded[i] < 0x20 || (unsigned char)encoded[i] > 0x7e) abort();
    /* Plain means byte for byte the input; otherwise the sentinel form. */
    if (len != size || memcmp(encoded, data, size) != 0) {
        if (len < 11 || memcmp(encoded, "=?base64?", 9) || memcmp(encoded + len - 2, "?=", 2))
            abort();
    }
    free(encoded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) quiet = 1, log_init(LOG_LEVEL_SILENT, NULL);

    const uint8_t *nul = memchr(data, 0, size);
    size_t first = nul ? (size_t)(nul - data) : size / 2;
    size_t second_at = nul ? first + 1 : first;
    json_t *result = json_loadb((const char *)data, first, JSON_ALLOW_NUL, NULL);
    json_t *msg =
        json_loadb((const char *)data + second_at, size - second_at, JSON_ALLOW_NUL, NULL);

    mcp_tool_headers_t *h = mcp_tool_headers_new();
    if (h && result) {
        size_t before = json_array_size(json_object_get(result, "tools"));
        int removed = mcp_tool_headers_learn(h, result);
        if (removed != BRIDGE_ENOMEM) {
            if (removed < 0) abort();
            if (json_array_size(json_object_get(result, "tools")) + (size_t)removed != before)
                abort();
        }
        /* Learning what is left again removes nothing more. */
        if (removed >= 0 && mcp_tool_headers_learn(h, result) > 0) abort();
    }
    if (msg) {
        char **lines;
        size_t n;
        int rc = mcp_request_headers(h, msg, &lines, &n);
        if (rc == 0) {
            for (size_t i = 0; i < n; i++)
                check_line(lines[i]);
            mcp_header_lines_free(lines, n);
        } else if (rc != BRIDGE_EINVAL && rc != BRIDGE_ENOMEM) {
            abort();
        }
    }
    check_encode(data, size < 4096 ? size : 4096);

    mcp_tool_headers_free(h);
    json_decref(result);
    json_decref(msg);
    return 0;
}
