/* What the parts of the Streamable HTTP transport share: streamable.c (the
 * transport's operations and the order of messages), streamable_stream.c (a
 * stream's life), streamable_exchange.c (a response: JSON or SSE, and what its
 * end means), streamable_resume.c (reconnecting: resumption and the GET
 * stream), streamable_session.c (session id, protocol version, DELETE).
 * Internal to bridge/mcp. */
#ifndef MCP_BRIDGE_STREAMABLE_INTERNAL_H
#define MCP_BRIDGE_STREAMABLE_INTERNAL_H

#include "bridge/base/buf.h"
#include "bridge/base/list.h"
#include "bridge/mcp/transport.h"
#include "bridge/net/sse.h"

#include <stdint.h>

#define CONNECT_RETRY_MS 300
#define ERROR_BODY_MAX 4096
#define DELETE_TIMEOUT_MS 3000
#define HOLD_MS 1000

typedef struct streamable streamable_t;

typedef enum stream_kind {
    STREAM_POST,   /* a message POSTed; its response stream */
    STREAM_RESUME, /* GET + Last-Event-ID continuing a POST's broken stream */
    STREAM_LISTEN, /* the GET stream for server-initiated messages */
    STREAM_DELETE,
} stream_kind_t;

typedef struct stream {
    streamable_t *t;
    list_node link; /* in t->streams until stream_free */
    stream_kind_t kind;
    out_msg_t *msg; /* POST/RESUME: the message this stream answers */
    http_req_t *req;
    uv_timer_t timer; /* delay before (re)starting */
    int is_sse;
    sse_parser_t *sse;
    int feeding;          /* inside sse_parser_feed: the parser is freed after it returns */
    buf_t body;           /* a JSON body, or the start of an error body */
    int answered;         /* the response to msg came */
    int progress;         /* messages delivered on the current connection */
    int resumes;          /* resumptions without progress */
    int failures;         /* consecutive failed connections (LISTEN) */
    unsigned session_gen; /* of the session the request was sent on */
    char *last_event_id;
    long retry_ms;
    uint64_t started_at; /* loop time of the current connection's start */
    int orders;          /* counted in t->ordering until the server answers */
    int closing;
} stream_t;

struct streamable {
    transport_t base;
    transport_config_t cfg;
    char *session_id;
    unsigned session_gen; /* changes whenever session_id does */
    char *protocol_version;
    /* The header lines of every POST, built again only when the session id, the
     * protocol version or the Authorization line changes. */
    http_headers_t *post_hdrs;
    unsigned post_hdrs_gen;
    char *post_hdrs_version;
    char *post_hdrs_auth;
    list_node streams;
    stream_t *listen;
    int listen_unsupported;
    /* Right after initialized, messages wait (at most HOLD_MS) for the GET stream
     * to be answered: servers drop server-initiated requests (elicitation,
     * sampling) made while no GET stream is open. */
    int listen_opening;
    list_node held; /* out_msg_t.link: messages held back, in order */
    uv_timer_t hold_timer;
    /* POSTs of notifications and responses the server has not answered yet.
     * What the host sends after one waits for that answer: concurrent POSTs
     * may reach the server in any order, and notifications/initialized must
     * not be overtaken by the requests that follow it. */
    int ordering;
    void (*shutdown_done)(void *);
    void *shutdown_ud;
    int shutting_down;
    int modern; /* 2026-07-28: no session, no GET stream, no resumption */
};

/* streamable.c: messages held back for ordering or for the GET stream. */
void streamable_release_held(streamable_t *t);
void streamable_pump_held(streamable_t *t);

/* streamable_stream.c */
stream_t *stream_new(streamable_t *t, stream_kind_t kind, out_msg_t *m);
/* Ends the stream: cancels its request, unlinks it; the memory goes once its
 * timer has closed. Allowed inside the stream's own callbacks, the SSE
 * parser's included (the parser is then freed when sse_parser_feed returns). */
void stream_free(stream_t *s);
/* Hand the message back to the relay (on_sent) and end the stream. */
void stream_report(stream_t *s, int rc, const char *why);
void stream_accepted(stream_t *s);
void stream_schedule(stream_t *s, long delay_ms);
void stream_begin(stream_t *s);

/* streamable_exchange.c: the HTTP callbacks of every stream. */
extern const http_callbacks_t streamable_stream_callbacks;

/* streamable_resume.c */
void stream_listen_retry(stream_t *s, int failed);
void stream_resume_or_fail(stream_t *s, const char *why);

/* streamable_session.c */
int streamable_add_common_headers(streamable_t *t, http_req_t *r);
/* The lines of a POST of m: a header set shared by the POSTs of a session
 * while nothing in it changes, or lines of its own when it carries a proof
 * made for it or lines of m's own (m->hdrs). 0 or a negative BRIDGE_E* code. */
int streamable_add_post_headers(streamable_t *t, http_req_t *r, const out_msg_t *m);
void streamable_drop_post_headers(streamable_t *t);
/* initialize was answered 2xx: keep the session id it carries, if valid. */
void streamable_take_session_id(streamable_t *t, http_req_t *r);
int streamable_session_gone(const stream_t *s, long status);
int streamable_set_protocol_version(transport_t *base, const char *version);
/* Start the DELETE that ends the session; 0 when started. */
int streamable_delete_session(streamable_t *t);
void streamable_check_shutdown_done(streamable_t *t);

#endif
