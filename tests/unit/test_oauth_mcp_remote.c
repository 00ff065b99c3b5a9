/* mcp-remote's naming: the expected values were computed by mcp-remote 0.15.1's
 * own getServerUrlHash() and calculateDefaultPort(), evaluated from its dist. */
#include "oauth/mcp_remote.h"
#include "check.h"

#include <jansson.h>

static void plain_url(void)
{
    char h[MCP_REMOTE_HASH_LEN + 1];
    mcp_remote_key_t k = {.server_url = "https://mcp.example.com/mcp"};
    CHECK(mcp_remote_hash(&k, h) == 0);
    CHECK_STR(h, "94baabe3c3fadb285b26c035e4e86046");
    CHECK(mcp_remote_port(h) == 41409);
}

static void with_resource(void)
{
    char h[MCP_REMOTE_HASH_LEN + 1];
    mcp_remote_key_t k = {.server_url = "https://mcp.example.com/mcp",
                          .resource = "https://tenant-a.example/mcp"};
    CHECK(mcp_remote_hash(&k, h) == 0);
    CHECK_STR(h, "83a3795dcc52d06be420c3e18c6297e7");
    CHECK(mcp_remote_port(h) == 37034);
    k.resource = ""; /* --resource "": no resource, as without the option */
    CHECK(mcp_remote_hash(&k, h) == 0);
    CHECK_STR(h, "94baabe3c3fadb285b26c035e4e86046");
}

static void with_params_and_headers(void)
{
    /* Given out of order: mcp-remote sorts the keys. */
    char *params[] = {"prompt=consent", "audience=https://api.example.com"};
    char *headers[] = {"X-Tenant: b c", "Authorization: Bearer x"};
    char h[MCP_REMOTE_HASH_LEN + 1];
    mcp_remote_key_t k = {.server_url = "https://mcp.example.com/mcp",
                          .authorize_params = params,
                          .authorize_params_len = 2,
                          .headers = headers,
                          .headers_len = 2};
    CHECK(mcp_remote_hash(&k, h) == 0);
    CHECK_STR(h, "7b707770d55973bcf301947943a2aab2");
    CHECK(mcp_remote_port(h) == 34935);
}

static void token_audience(void)
{
    /* {"aud":"https://mcp.example.com/mcp"}, no padding (base64url) */
    json_t *a = mcp_remote_token_audience(
        "eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL21jcC5leGFtcGxlLmNvbS9tY3AifQ.");
    CHECK_STR(json_string_value(a), "https://mcp.example.com/mcp");
    json_decref(a);
    /* {"aud":["a","b"]} */
    a = mcp_remote_token_audience("x.eyJhdWQiOlsiYSIsImIiXX0.y");
    CHECK(json_is_array(a) && json_array_size(a) == 2);
    json_decref(a);
    CHECK(mcp_remote_token_audience("at_opaque") == NULL);
    CHECK(mcp_remote_token_audience("a..b") == NULL);
    CHECK(mcp_remote_token_audience("a.!!!!.b") == NULL);
    CHECK(mcp_remote_token_audience("x.eyJhdWQiOjF9.y") == NULL); /* {"aud":1} */
    CHECK(mcp_remote_token_audience(NULL) == NULL);
}

int main(void)
{
    token_audience();
    plain_url();
    with_resource();
    with_params_and_headers();
    return CHECK_DONE();
}
