/* The relay: stdio on one side, a transport on the other. It owns the table of
 * requests awaiting responses, the host's initialize (to start a new session
 * transparently), batches, --ignore-tool filtering, and shutdown.
 *
 * Everything runs on the loop's thread. The relay's own callbacks (stdio,
 * transport, OAuth, timers, signals) run later, from the loop, never inside
 * relay_start(); none of them frees the relay: after uv_run() returns, the
 * caller reads the exit code and frees it. */
#ifndef MCP_BRIDGE_RELAY_H
#define MCP_BRIDGE_RELAY_H

#include "bridge/net/http.h"
#include "keychain/keychain.h"
#include "oauth/oauth.h"

#include <stddef.h>
#include <uv.h>

/* Which transport to try first, and whether to fall back to the other one
 * when the server refuses initialize (--transport). */
typedef enum transport_mode {
    TRANSPORT_HTTP_FIRST = 0,
    TRANSPORT_SSE_FIRST,
    TRANSPORT_HTTP_ONLY,
    TRANSPORT_SSE_ONLY,
} transport_mode_t;

/* --transport's spelling of a mode ("http-first", ...). */
const char *transport_mode_name(transport_mode_t m);

/* What the relay needs to run; everything is borrowed for the relay's life. */
typedef struct relay_config {
    const char *url;      /* the remote MCP server */
    char *const *headers; /* "Name: value" lines sent with every request */
    size_t headers_len;
    transport_mode_t transport;
    int protocol_legacy;       /* --protocol legacy: never probe for the 2026-07-28 revision */
    size_t max_message_size;   /* longest line accepted from stdin or the server */
    size_t max_queued_bytes;   /* bytes waiting for the host to read, at most */
    long max_pending;          /* requests in flight, at most */
    char *const *ignore_tools; /* --ignore-tool patterns (toolmatch.h) */
    size_t ignore_tools_len;
    long ping_interval_s; /* a keep-alive ping this often; 0: never */
    const http_client_config_t *http;
    /* NULL: credentials were given with the headers, so no sign-in. Else the
     * sign-in's configuration (the relay fills in loop, http and store). */
    const oauth_config_t *oauth;
    keychain_backend_t token_store; /* where the sign-in keeps tokens */
    const char *refresh_token;      /* used when nothing stored has one; may be NULL */
} relay_config_t;

typedef struct relay relay_t;

/* Start relaying on `loop`. Returns NULL after logging why (out of memory, an
 * unusable credential store or OAuth configuration). */
relay_t *relay_start(uv_loop_t *loop, const relay_config_t *cfg);
/* After uv_run() returns: the exit status, and freeing. */
int relay_exit_code(const relay_t *r);
void relay_free(relay_t *r);

#endif
