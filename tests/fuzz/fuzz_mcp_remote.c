/* libFuzzer target: mcp-remote's naming and the token audience read from its
 * files. The input is split at NUL bytes: a token, then "k=v" parameters and
 * "Name: value" headers alternately. */
#include "oauth/mcp_remote.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    json_t *aud = mcp_remote_token_audience(text);
    if (aud && !json_is_string(aud) && !json_is_array(aud)) abort();
    json_decref(aud);

    char *items[16], *params[8], *headers[8];
    size_t n = 0, np = 0, nh = 0;
    for (char *p = text; n < 16 && p <= text + size; p += strlen(p) + 1)
        items[n++] = p;
    for (size_t i = 1; i < n; i++) {
        if (i % 2)
            params[np++] = items[i];
        else
            headers[nh++] = items[i];
    }
    mcp_remote_key_t k = {.server_url = items[0],
                          .resource = n > 1 ? items[1] : NULL,
                          .authorize_params = params,
                          .authorize_params_len = np,
                          .headers = headers,
                          .headers_len = nh};
    char hash[MCP_REMOTE_HASH_LEN + 1];
    if (mcp_remote_hash(&k, hash) == 0) {
        if (strlen(hash) != MCP_REMOTE_HASH_LEN ||
            strspn(hash, "0123456789abcdef") != MCP_REMOTE_HASH_LEN)
            abort();
        int port = mcp_remote_port(hash);
        if (port < 3335 || port >= 3335 + 45816) abort();
    }
    free(text);
    return 0;
}
