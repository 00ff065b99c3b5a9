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
#include "bridge/mcp/mcp_headers.h"
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

/* A 2026-07-28 request sent again (another version, a broken stream, new
 * headers), at most this many times. */
#define RELAY_MAX_RETRIES 2

/* What the server speaks: the revisions with initialize and sessions
 * (2024-11-05 to 2025-11-25, "legacy") or 2026-07-28 and later ("modern"). */
enum relay_era { ERA_UNKNOWN, ERA_LEGACY, ERA_MODERN };

/* out_msg_t.internal: why the bridge sent a message of its own. */
enum relay_internal {
    INTERNAL_NONE,
    INTERNAL_REINIT, /* initialize and initialized of a new session (reinit.c) */
    INTERNAL_PROBE,  /* server/discover, to learn the server's era (era.c) */
    INTERNAL_LISTEN, /* subscriptions/listen for a 2025-era host (subscriptions.c) */
    INTERNAL_RELIST, /* tools/list after a HeaderMismatch (modern.c) */
};

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

    /* The era of the server (era.c) and of the host. */
    int era;               /* enum relay_era */
    int era_cached;        /* the era came from an earlier start's record */
    int host_era;          /* enum relay_era: what the host's first request spoke */
    char *host_version;    /* a 2025-era host's protocolVersion in its initialize */
    char *modern_version;  /* the modern version spoken with the server */
    json_t *discover;      /* the server's DiscoverResult (a 2025-era host's initialize) */
    out_msg_t *probe_msg;  /* the request that tells the era, while in flight */
    char *probe_key;       /* its id key */
    out_msg_t *probe_held; /* the host message that waits for the era */
    int probe_sends;
    unsigned probe_seq;
    /* A 2025-era host with a modern server (modern.c): what its initialize
     * said, to put in every request's _meta, and its logging/setLevel. */
    json_t *client_caps, *client_info;
    char *log_level;
    char *meta_text;   /* their _meta as text, made once (modern.c) */
    unsigned wire_seq; /* ids of requests the bridge sends again */
    /* A tools/list of the bridge's after -32020 on a tools/call: its id key,
     * the host request it is for, the pages read. */
    char *relist_key;
    char *relist_for;
    int relist_pages;
    mcp_tool_headers_t *tool_headers; /* x-mcp-header, from tools/list */
    /* Its change notifications, from subscriptions/listen (subscriptions.c). */
    out_msg_t *listen_msg;
    char *listen_key;
    json_t *sub_uris; /* resources/subscribe */
    int listen_wanted, listen_failures;
    unsigned listen_seq;
    uv_timer_t listen_timer;
    /* A 2026-07-28 host with an older server (legacy_up.c): the rounds of
     * input the server asked for, and the host's subscriptions/listen. */
    list_node up_rounds;
    json_t *up_filter;
    char *up_listen_key;
    /* The host's answers to the input requests of multi round-trip requests
     * (mrtr.c): mrtr_wait_t.link. */
    list_node mrtr_waits;
    unsigned input_seq;
    /* A sign-in at start-up, while the host's initialize was unanswered
     * (signin.c): the host was answered here, and its initialize goes on to
     * the server once the sign-in ends. */
    int signin;              /* enum signin_state */
    char *signin_url;        /* the authorization URL; NULL: another process signs in */
    char *signin_code;       /* the device grant's user code to enter there, or NULL */
    char *signin_elicit_key; /* the id key of the URL elicitation the host was sent */
    unsigned signin_seq;
    char *signin_why;        /* why the sign-in failed */
    char *signin_init_key;   /* the host's initialize answered here, still pending */
    json_t *signin_cached;   /* the result the server gave last time, or NULL */
    unsigned signin_lists;   /* the lists answered here (SIGNIN_LIST_* bits) */
    int signin_noted;        /* the host was told the URL in notifications/message */
    uv_timer_t signin_timer; /* the host's initialize is answered here when it fires */
    /* A 2026-07-28 host (signin_modern.c): its server/discover answered here,
     * the browser held until its next request, its subscriptions/listen
     * acknowledged here (the server's acknowledgement is then not passed on). */
    int signin_modern;       /* its requests were answered here during the sign-in */
    int signin_held;         /* the browser waits for the host's next request */
    int signin_unasked;      /* ended while held: nobody was asked, nothing to say */
    char *signin_listen_key; /* its subscriptions/listen, acknowledged here */
    json_t *signin_listen_id;
    json_t *signin_listen_filter;
    int signin_ack_owed; /* the next acknowledgement of that listen is a repeat: dropped */
};

enum signin_state { SIGNIN_NONE, SIGNIN_WAITING, SIGNIN_FAILED };
#define SIGNIN_LIST_TOOLS 1u
#define SIGNIN_LIST_PROMPTS 2u
#define SIGNIN_LIST_RESOURCES 4u

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
/* The request gets `resp` (a JSON-RPC response, taken; its id is set to the
 * host's) and is forgotten. */
void relay_pending_answer(relay_t *r, pending_t *p, json_t *resp);
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

/* Set up a session with init_body (initialize, then initialized); what is
 * dispatched meanwhile waits. */
void relay_start_session(relay_t *r);

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

void relay_on_transport_message(void *ud, char *raw, size_t len, json_t *root, int skeleton,
                                const out_msg_t *origin);
void relay_on_transport_sent(void *ud, out_msg_t *m, int rc, const char *why);

/* ---- auth.c: signing in while relaying ---- */

void relay_on_auth_challenge(void *ud, out_msg_t *m, long status, const char *www);
/* Whether the server's stream for its own messages may be opened now. */
int relay_session_ready(const relay_t *r);
/* Start the sign-in's read of stored tokens. */
void relay_auth_load(relay_t *r);
/* transport_config_t.auth_headers and .auth_response */
int relay_auth_headers(void *ud, const char *method, const char *url,
                       char *lines[TRANSPORT_AUTH_LINES]);
void relay_auth_response(void *ud, http_req_t *r);
/* oauth_done_cb of a refresh or a sign-in: what waited goes, or fails. */
void relay_on_auth_done(void *ud, int rc, const char *why);

/* ---- era.c: which revision the server speaks ---- */

/* Read the record of an earlier start, or what the options impose. */
void relay_era_init(relay_t *r);
/* A host message as it arrives (method: NULL for a response): what it says
 * of the host's era is noted; while the server's era is unknown it may be
 * held (and a probe sent), or answered. Returns 1 when m was taken. */
int relay_era_intercept(relay_t *r, out_msg_t *m, const char *method, pending_t *p);
/* Before a host message is sent: made ready for the server's era (modern:
 * rewritten or answered here; header lines). Returns 1 when m was taken or
 * must wait (the era is being found out). */
int relay_era_shape(relay_t *r, out_msg_t *m);
/* The response to the probe (root: the whole response). Returns 1 when it was
 * consumed here, 0 when it is the host's own request and goes on as usual. */
int relay_era_on_probe_response(relay_t *r, pending_t *p, json_t *root);
/* The transport reported on the probe. Returns 1 when handled. */
int relay_era_on_probe_sent(relay_t *r, out_msg_t *m, int rc, const char *why);
/* The host's initialize failed over a transport the record said was right:
 * probe again. Returns 1 when m was taken. */
int relay_era_reprobe(relay_t *r, out_msg_t *m);
/* The header lines of a message to the server (out_msg_t.hdrs): Mcp-Method,
 * Mcp-Name..., and MCP-Protocol-Version for a modern one. msg: the full
 * decode, or NULL (then only the method is used). 0 or BRIDGE_E*. */
int relay_msg_headers(relay_t *r, out_msg_t *m, json_t *msg, const char *method);

/* The file of this server's record of a kind under $XDG_CACHE_HOME/mcp-bridge
 * (era.c): 0 or BRIDGE_E*. */
int relay_cache_path(const relay_t *r, const char *kind, char *dir, size_t dn, char *file,
                     size_t fn);

/* ---- signin.c: start-up while the person signs in ---- */

void relay_signin_init(relay_t *r);
/* oauth_config_t.on_signin: a person is asked to sign in (url NULL: another
 * process is signing in). Answers the host's unanswered initialize here. */
void relay_signin_on_url(void *ud, const char *url, const char *user_code);
/* A response from the host: 1 when it answers the sign-in's URL elicitation. */
int relay_signin_host_response(relay_t *r, json_t *id);
/* The sign-in ended (before relay_on_auth_done does its work). */
void relay_signin_on_done(relay_t *r, int rc, const char *why);
/* A host request while signing in: 1 when answered here. */
int relay_signin_host_request(relay_t *r, json_t *msg, json_t *id, const char *method, batch_t *b);
/* The host sent notifications/initialized. */
void relay_signin_host_initialized(relay_t *r);
/* The server's answer to the host's initialize p (root: the whole response):
 * 1 when p was answered here already; the answer is kept and p forgotten. */
int relay_signin_take_init(relay_t *r, pending_t *p, json_t *root);
/* A modern server's DiscoverResult is in: 1 when p, the host's initialize,
 * was answered here already (p is then forgotten). */
int relay_signin_take_modern_init(relay_t *r, pending_t *p);
void relay_signin_free(relay_t *r);
/* Shared by signin.c and signin_modern.c. */
json_t *relay_signin_cache_read(const relay_t *r, const char *kind, const char *member,
                                json_type type);
void relay_signin_cache_write(const relay_t *r, const char *kind, json_t *result);
char *relay_signin_status(const relay_t *r); /* one sentence for the person (malloc'd) */
/* Answer a host request (result taken; resultType added for a 2026 host). */
void relay_signin_answer(relay_t *r, batch_t *b, json_t *id, json_t *result);
void relay_signin_notify(relay_t *r, json_t *note); /* note taken */
/* result.capabilities (made when absent) declares tools, prompts and resources
 * with listChanged: the real lists follow when the sign-in ends. */
void relay_signin_declare_lists(json_t *result);
/* notifications/<list>/list_changed, the way this host hears of changes. */
void relay_signin_list_changed(relay_t *r, const char *list);

/* ---- signin_modern.c: the same for a 2026-07-28 host ---- */

/* oauth_config_t.hold_browser: 1 when the host's own server/discover is all
 * that waits (it is answered now, and the browser opens at its next request). */
int relay_signin_hold(void *ud);
/* The grace is over: what the host asked is answered here. */
void relay_signin_modern_grace(relay_t *r);
/* A request of a 2026 host while signing in: 1 answered here, 0 sent on (a
 * listen, acknowledged here), -1 for the common handling. */
int relay_signin_modern_request(relay_t *r, json_t *msg, json_t *id, const char *method,
                                batch_t *b);
/* The server's era is known (result: its DiscoverResult, or NULL for an older
 * server); p is the host's own server/discover, or NULL. 1 when p was answered
 * here already (p is then forgotten). */
int relay_signin_era_known(relay_t *r, pending_t *p, json_t *result);
/* The server acknowledged a listen (note: the whole notification): 1 when the
 * host was told already, and it is dropped. */
int relay_signin_repeat_ack(relay_t *r, const char *raw, size_t len);
/* A listen acknowledged here, by its id key: 1 when the host was told already. */
int relay_signin_listen_acked(relay_t *r, const char *key);
/* p was answered here (a stand-in): 1, and p is forgotten without a word. */
int relay_signin_swallow(relay_t *r, pending_t *p);
/* The bridge stops: a held sign-in ends without opening the browser. */
void relay_signin_shutdown(relay_t *r);
void relay_signin_modern_free(relay_t *r);

/* ---- modern.c: a host with a 2026-07-28 server ---- */

/* A host message when the server is modern: answered here, rewritten, or
 * sent as it is. Returns 1 when m was taken (sent or answered and freed). */
int relay_modern_host_message(relay_t *r, out_msg_t *m, json_t *msg, jr_kind_t kind,
                              const char *method, pending_t *p, batch_t *b);
/* A response from a modern server to p: returns 1 when consumed (a retry, a
 * multi round-trip request under way); else 0, and *replacement may hold the
 * JSON to give the host instead of raw (malloc'd). */
int relay_modern_on_response(relay_t *r, pending_t *p, const char *raw, size_t len, json_t *root,
                             char **replacement);
/* A host request the transport could not deliver (m->broken: its stream
 * broke): send it again as a new request. Returns 1 when taken. */
int relay_modern_reissue(relay_t *r, out_msg_t *m);
/* Send a request of the bridge's own making for p with a new wire id. */
int relay_modern_send_for(relay_t *r, pending_t *p, json_t *req);
/* The answer to a 2025-era host's initialize, from the DiscoverResult. */
void relay_modern_answer_initialize(relay_t *r, pending_t *p);
/* The level, the version or the host's capabilities changed: the _meta text
 * is made again. */
void relay_modern_meta_changed(relay_t *r);
/* Shutting down: end the streams that never end by themselves. */
void relay_modern_shutdown(relay_t *r);

/* ---- relist.c: HeaderMismatch on a tools/call ---- */

/* Read the tools again, then send p again. Returns 1 when under way. */
int relay_relist_then_retry(relay_t *r, pending_t *p);
/* The answer to the bridge's tools/list (root: the whole response), and the
 * transport's report on it. */
void relay_modern_on_relist(relay_t *r, json_t *root);
void relay_modern_relist_sent(relay_t *r, out_msg_t *m, int rc, const char *why);

/* ---- mrtr.c: multi round-trip requests for a 2025-era host ---- */

/* p's response is an InputRequiredResult: ask the host. Returns 1 when taken. */
int relay_mrtr_start(relay_t *r, pending_t *p, json_t *result);
/* A response from the host: 1 when it answers an input request. */
int relay_mrtr_host_response(relay_t *r, json_t *msg, json_t *id);
void relay_mrtr_free(relay_t *r);

/* ---- legacy_up.c: a 2026-07-28 host with an older server ---- */

/* A host message, before it is sent: the session opened, subscriptions/listen
 * answered here, a retry answering the server's requests. 1 when taken. */
int relay_up_host_message(relay_t *r, out_msg_t *m);
/* A server request or notification: 1 when handled here (raw taken). */
int relay_up_server_message(relay_t *r, char *raw, size_t len, json_t *root, int skeleton,
                            const out_msg_t *origin);
/* The server's response to p while the host answers its questions: kept for
 * the host's retry; 1 when kept (raw taken). */
int relay_up_hold_final(relay_t *r, pending_t *p, char *raw, size_t len);
/* A response of an older server as a 2026-07-28 result (resultType, and the
 * caching hints of cacheable results); takes raw, returns the text to send. */
char *relay_up_result(const char *method, char *raw, size_t *len);
void relay_up_free(relay_t *r);

/* ---- subscriptions.c: change notifications for a 2025-era host ---- */

void relay_subs_init(relay_t *r);
/* The host is initialized: listen (again) with the current filter. */
void relay_subs_start(relay_t *r);
/* The response that ends the listen (root: whole response). */
void relay_subs_on_response(relay_t *r, json_t *root);
void relay_subs_on_sent(relay_t *r, out_msg_t *m, int rc, const char *why);
/* A notification from the server, for a 2025-era host: 1 when it goes to the
 * host (*raw may be replaced), 0 when dropped. */
int relay_subs_note(relay_t *r, char **raw, size_t *len, json_t *root, int skeleton);
/* resources/subscribe or unsubscribe: the filter changes. */
void relay_subs_change(relay_t *r, const char *uri, int subscribe);
void relay_subs_stop(relay_t *r);

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
