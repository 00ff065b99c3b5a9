/* Inside the relay: its state, shared by the files that each do one part of
 * relaying (relay.c wires them together). Not for use outside bridge/relay.
 *
 * Callback rules, for every file here: transport events (transport.h), stdio
 * callbacks (stdio.h) and OAuth completions run from the loop, never inside
 * the call that started them, except where a function below says "may run
 * now". No function here frees the relay, the transport that is calling, or
 * the stdio channel: a transport replaced during its own callback is kept in
 * `retired`, and the HTTP client and handles are freed from a timer
 * (shutdown.c). */
#ifndef MCP_BRIDGE_RELAY_IMPL_H
#define MCP_BRIDGE_RELAY_IMPL_H

#include "bridge/base/list.h"
#include "bridge/mcp/transport.h"
#include "bridge/relay/pending.h"
#include "bridge/relay/relay.h"
#include "bridge/relay/stdio.h"
#include "keychain/keychain.h"
#include "oauth/oauth.h"

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#define RELAY_BAD_VERSION                                                                          \
    "the server's initialize result has a protocolVersion with control characters, spaces or "     \
    "over 64 characters, which cannot be sent back in a header"

enum reinit_state { REINIT_NONE, REINIT_INIT, REINIT_NOTIFY };

struct relay {
    uv_loop_t *loop;
    const relay_config_t *cfg;
    stdio_chan_t stdio;
    http_client_t *http;
    transport_t *transport;
    transport_t *retired; /* replaced by a fallback; freed at the end */
    transport_config_t tcfg;
    oauth_t *oauth; /* NULL when the user passed an Authorization header */
    keychain_t *store;
    pending_table_t pending;
    /* The host's initialize, to start a new session the same way. */
    char *init_body;
    size_t init_len;
    char *init_key;
    char *protocol_version; /* negotiated in the host's initialize */
    int host_initialized;
    int fell_back;
    /* Messages wait while the host's initialize is in flight (they need the
     * session it creates) or while the bridge sets up a new session itself. */
    int init_in_flight;
    int authing;
    int stream_nonce_retried; /* the server stream was reopened for a DPoP nonce since the last
                                 sign-in */
    out_msg_t *auth_internal; /* a bridge message that met a 401, to resend */
    int reinit;               /* enum reinit_state */
    unsigned reinit_seq;
    char *reinit_key;
    list_node waitq;   /* out_msg_t.link, in arrival order */
    long in_transport; /* messages lent to the transport, not yet reported on */
    int loading;       /* stored tokens are being read */
    /* Shutdown. */
    int stopping, transport_closed, closed;
    uv_timer_t grace;
    uv_signal_t sigterm, sigint;
    uv_timer_t keepalive; /* --keep-alive / --ping-interval */
    unsigned ping_seq;
    int exit_code;
    char *last_failure; /* the last failure logged, and when */
    uint64_t last_failure_at;
    char *fallback_why; /* the first transport's answer, while the fallback has not worked */
};

/* ---- output.c: what the host sees on stdout, and the log of failures ---- */

/* Write a complete JSON text to stdout as one line; takes ownership. */
void relay_emit_owned(relay_t *r, char *json, size_t len);
/* A request or notification from the server (dropped when the host is not
 * reading); takes ownership. */
void relay_emit_server_message(relay_t *r, char *json, size_t len);
/* A response for the host: straight out, or into its batch b (may be NULL).
 * Takes ownership. */
void relay_emit_response(relay_t *r, batch_t *b, char *json, size_t len);
void relay_emit_error(relay_t *r, batch_t *b, json_t *id, int code, const char *msg);
/* The request gets an error response and is forgotten. */
void relay_pending_fail(relay_t *r, pending_t *p, int code, const char *why);
/* Log a failure once per cause (not once per request it fails). */
void relay_log_failure(relay_t *r, const char *why);

/* ---- waitq.c: sending to the server, and the messages that wait ---- */

out_msg_t *relay_msg_new(const char *body, size_t len, jr_kind_t kind, json_t *id);
void relay_msg_free(out_msg_t *m);
/* Send now, or hold while a sign-in, a refresh or a new session is under way
 * (the refresh starts here). Owns m from here on. */
void relay_dispatch(relay_t *r, out_msg_t *m);
/* Hold m until relay_flush_waitq. */
void relay_waitq_push(relay_t *r, out_msg_t *m);
/* Send what waited, in order; what still cannot go waits again. */
void relay_flush_waitq(relay_t *r);
/* A message could not be delivered: its requests get errors, and it is freed. */
void relay_fail_msg(relay_t *r, out_msg_t *m, const char *why);
/* Every waiting message fails for this reason. */
void relay_fail_waitq(relay_t *r, const char *why);
/* The host's initialize was answered or failed: what waited for it goes. */
void relay_host_init_settled(relay_t *r);
/* Lend m to the transport (counted until it reports on it); 0 or BRIDGE_ENOMEM
 * (m is still the caller's then). */
int relay_transport_send(relay_t *r, out_msg_t *m);
/* The transport reported on m (may be NULL). */
void relay_transport_returned(relay_t *r, const out_msg_t *m);

/* ---- reinit.c: a new session, set up by the bridge when the server lost ours ---- */

void relay_reinit_failed(relay_t *r, const char *why);
/* The answer to the bridge's own initialize (root: the whole response). */
void relay_on_reinit_response(relay_t *r, json_t *root);
/* The transport reported on a message the bridge itself sent; frees m. */
void relay_on_internal_sent(relay_t *r, out_msg_t *m, int rc, const char *why);
/* transport_events_t.on_session_lost */
void relay_on_session_lost(void *ud, out_msg_t *m, int stale);

/* ---- tool_filter.c: --ignore-tool ---- */

int relay_tool_ignored(const relay_t *r, const char *name);
/* A tools/list response without the ignored tools (malloc'd), or NULL when
 * nothing was removed. Edits root. */
char *relay_filter_tools(const relay_t *r, json_t *root);

/* ---- host_input.c: a line from stdin ---- */

void relay_on_stdin_line(void *ud, char *line, size_t len);
void relay_on_stdin_oversize(void *ud, size_t dropped);

/* ---- server_input.c: messages and reports from the transport ---- */

void relay_on_transport_message(void *ud, char *raw, size_t len, json_t *root, int skeleton);
void relay_on_transport_sent(void *ud, out_msg_t *m, int rc, const char *why);

/* ---- auth.c: signing in while relaying ---- */

void relay_on_auth_challenge(void *ud, out_msg_t *m, long status, const char *www);
/* Start the sign-in's read of stored tokens. */
void relay_auth_load(relay_t *r);
/* transport_config_t.auth_headers and .auth_response */
int relay_auth_headers(void *ud, const char *method, const char *url,
                       char *lines[TRANSPORT_AUTH_LINES]);
void relay_auth_response(void *ud, http_req_t *r);
/* oauth_done_cb of a refresh or a sign-in: what waited goes, or fails. */
void relay_on_auth_done(void *ud, int rc, const char *why);

/* ---- keepalive.c ---- */

void relay_keepalive_start(relay_t *r);

/* ---- shutdown.c: stdin's end, signals, and the order of the last steps ---- */

/* Init the grace timer and the signal handlers. */
void relay_shutdown_init(relay_t *r);
/* Stop reading stdin; what arrived before is delivered first, for up to
 * grace_ms (0: close now). */
void relay_begin_shutdown(relay_t *r, long grace_ms);
/* Close the transport once nothing is left to deliver; call after anything
 * that may have been the last. */
void relay_maybe_finish_shutdown(relay_t *r);

#endif
