/* What mcp-remote (the npm package, 0.15) derives from its command line, so that
 * the bridge can take over where it left off: the hash naming its files in
 * ~/.mcp-auth, the callback port derived from that hash, and its redirect URI.
 * Pure functions: no I/O. */
#ifndef MCP_BRIDGE_OAUTH_MCP_REMOTE_H
#define MCP_BRIDGE_OAUTH_MCP_REMOTE_H

#include <stddef.h>

#define MCP_REMOTE_HASH_LEN 32 /* hex digits of MD5 */

/* The inputs of mcp-remote's getServerUrlHash(): the server URL exactly as given,
 * then each option that changes what its credentials are for. */
typedef struct mcp_remote_key {
    const char *server_url;
    const char *resource;          /* --resource; NULL or "" when none */
    char *const *authorize_params; /* "key=value", in command-line order */
    size_t authorize_params_len;
    char *const *headers; /* "Name: value" */
    size_t headers_len;
    const char *client_metadata_url; /* NULL when none */
    const char *token_endpoint;      /* NULL when none */
} mcp_remote_key_t;

/* out receives MCP_REMOTE_HASH_LEN lowercase hex digits and a NUL. Returns 0 or
 * BRIDGE_ENOMEM. */
int mcp_remote_hash(const mcp_remote_key_t *k, char out[MCP_REMOTE_HASH_LEN + 1]);

/* The callback port mcp-remote derives from that hash when none is given. */
int mcp_remote_port(const char *hash);

/* The "aud" claim (a string or an array, new reference) of a token that is a
 * JWT, or NULL: where mcp-remote's stored access token is for, which its files
 * do not otherwise say. Nothing is verified: it is only a guess to be
 * confirmed by mcp_remote_hash. Bounded: a payload over 16 KiB is ignored. */
struct json_t;
struct json_t *mcp_remote_token_audience(const char *token);

/* mcp-remote's host name in the redirect URI when --host is not given. */
const char *mcp_remote_default_host(void);

#endif
