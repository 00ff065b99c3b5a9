/* What the relay needs from a way of talking to the remote server. Two
 * implementations: Streamable HTTP (streamable.c) and the 2024-11-05 HTTP+SSE
 * transport (legacy_sse.c). The relay does not know which one it has. */
#ifndef MCP_BRIDGE_TRANSPORT_H
#define MCP_BRIDGE_TRANSPORT_H

#include "bridge/net/http.h"
#include "bridge/base/jsonrpc.h"
#include "bridge/base/list.h"

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

/* One message on its way to the server. Owned by the relay; lent to the
 * transport from send() until the transport reports on it exactly once through
 * on_sent(), on_session_lost() or on_fallback(). */
typedef struct out_msg {
    char *body; /* the JSON bytes as the host sent them */
    size_t len;
    jr_kind_t kind;
    char *id_key; /* requests: jr_id_key(id) */
    int internal; /* sent by the bridge itself; its response never reaches stdout */
    int is_initialize;
    int is_initialized_note; /* the host's notifications/initialized */
    int resends;             /* times re-sent after a lost session */
    int connect_retries;
    int auth_attempts;    /* authorizations this message has caused */
    unsigned auth_gen;    /* the token generation it was sent with */
    int nonce_resent; /* sent again once for a server's DPoP nonce */
    /* Header lines of this message alone ("Name: value"; the 2026-07-28
     * Mcp-Method, Mcp-Name...), owned by the message; NULL when none. */
    char **hdrs;
    size_t nhdrs;
    long status;   /* set by the transport before it reports: the last HTTP status (0: none) */
    int broken;    /* reported because its response stream broke before the response */
    char *method;  /* a request's or notification's method, when the relay knows it */
    int shaped;    /* the relay has made it ready for the server's revision */
    void *pending; /* the relay's record of the request it carries; not the transport's */
    /* On the relay's wait queue; while lent to a transport, on the
     * transport's own queue if it holds the message back; else on no list. */
    list_node link;
} out_msg_t;

typedef struct transport transport_t;

/* When the events run, and what they may do:
 *   - Mostly later, from the loop (inside an HTTP or SSE callback). Some run
 *     from inside the operation that caused them: on_sent from send() when a
 *     request cannot even be started (out of memory), on_session_lost from
 *     reset_session() (held messages handed back), on_sent for every message
 *     still lent, and possibly `done`, from shutdown().
 *   - Inside any of them the relay may call the transport's operations
 *     (send, reset_session, shutdown...) and free the HTTP client; the stream
 *     or parser the event came from is then ended without freeing it under
 *     the caller (see sse.h, http.h).
 *   - free() is not for inside an event: call it from the loop, after
 *     shutdown's done (the transport's memory goes when its handles close).
 *   - A message handed back (on_sent, on_session_lost, on_fallback,
 *     on_auth_challenge) is the relay's again: the transport no longer
 *     touches it. */
typedef struct transport_events {
    /* One message from the server (an object, or an array from a 2025-03-26
     * server). `raw` is the exact bytes, malloc'd and NUL-terminated, and the
     * callee owns it (it is relayed without a copy); `root` is the decoded value,
     * borrowed: only its routing members when `skeleton` (see jr_decode_fast), so
     * decode `raw` when the content is needed. `origin`: the message whose
     * response stream carried it (a server request is related to it), or NULL
     * (the GET stream, the legacy transport's one stream); only compared. */
    void (*on_message)(void *ud, char *raw, size_t len, json_t *root, int skeleton,
                       const out_msg_t *origin);
    /* The server took the message (rc 0), or it could not be delivered or
     * answered (rc < 0, `why` a sentence naming the URL and cause). For a request,
     * rc 0 means the exchange ended: its response has been passed to on_message,
     * or will not come. */
    void (*on_sent)(void *ud, out_msg_t *m, int rc, const char *why);
    /* The server no longer knows our session (404): the relay re-initializes and
     * sends `m` again. m may be NULL (the loss was seen on a stream). `stale`: m
     * was sent on a session that has been replaced since (or is being replaced):
     * send it again without starting yet another session. */
    void (*on_session_lost)(void *ud, out_msg_t *m, int stale);
    /* http-first: the initialize POST was answered 400/404/405; the relay should
     * switch to the legacy transport and send `m` there. */
    void (*on_fallback)(void *ud, out_msg_t *m, long status);
    /* The server answered 401 or 403: authorization is needed. `m` (may be NULL:
     * the challenge came on a stream) is handed back to be sent again once the
     * relay has a token. www_authenticate may be NULL. */
    void (*on_auth_challenge)(void *ud, out_msg_t *m, long status, const char *www_authenticate);
} transport_events_t;

typedef struct transport_ops {
    const char *name;
    int (*send)(transport_t *t, out_msg_t *m);
    /* initialize was answered: the negotiated protocol version. Returns 0, or
     * BRIDGE_EPROTO when the version cannot be sent as a header value (it is
     * then not used). */
    int (*set_protocol_version)(transport_t *t, const char *version);
    /* notifications/initialized went through: open the stream for server-initiated messages. */
    void (*start_listening)(transport_t *t);
    /* Forget the session (before re-initializing). */
    void (*reset_session)(transport_t *t);
    /* Authorization succeeded: go on with what waited for it (legacy: reconnect). */
    void (*resume)(transport_t *t);
    /* The server speaks the 2026-07-28 revision: no session, no GET stream, no
     * resumption (a broken response stream is reported with m->broken). */
    void (*set_modern)(transport_t *t);
    /* Stop the exchange of m (closing its response stream is the 2026-07-28
     * cancellation): m is reported through on_sent with rc 0, now. 0, or
     * BRIDGE_EINVAL when the transport does not hold m (or cannot cancel). */
    int (*cancel)(transport_t *t, out_msg_t *m);
    /* End the session (DELETE where it applies) and call done when finished:
     * later, or before shutdown returns when there is nothing to wait for. */
    void (*shutdown)(transport_t *t, void (*done)(void *ud), void *ud);
    void (*free)(transport_t *t);
} transport_ops_t;

struct transport {
    const transport_ops_t *ops;
};

#define TRANSPORT_AUTH_LINES 2

typedef struct transport_config {
    uv_loop_t *loop;
    http_client_t *http;
    const char *url;
    char **headers; /* extra "Name: value" lines for every request */
    size_t headers_len;
    size_t max_message_size;
    int allow_fallback; /* http-first */
    /* The authorization lines for one request (its method and URL): at most
     * TRANSPORT_AUTH_LINES "Name: value" lines into lines[] ("Authorization:
     * ...", and with a DPoP-bound token a "DPoP: <proof>" made for this method
     * and URL), each a new string and a secret: the transport wipes and frees
     * them. Returns how many (0: none), or a negative BRIDGE_E* code (the
     * request is not sent). Runs now, while the request is built; it must not
     * call the transport. May be NULL. */
    int (*auth_headers)(void *ud, const char *method, const char *url,
                        char *lines[TRANSPORT_AUTH_LINES]);
    /* Every response, as soon as its status and headers are in and before the
     * transport acts on them (a 401 included): the relay takes what the
     * authorization needs (a DPoP-Nonce). Runs now; it must not call the
     * transport nor keep r. May be NULL. */
    void (*auth_response)(void *ud, http_req_t *r);
    int oauth; /* 401/403 go to on_auth_challenge (else they are errors) */
    transport_events_t ev;
    void *ud;
} transport_config_t;

transport_t *streamable_new(const transport_config_t *cfg);
transport_t *legacy_sse_new(const transport_config_t *cfg);

#endif
