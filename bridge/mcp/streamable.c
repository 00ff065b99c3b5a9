/* The Streamable HTTP transport (MCP 2025-03-26, 2025-06-18, 2025-11-25): one
 * POST per message, answered with JSON or an SSE stream; a GET stream for
 * server-initiated messages; resumption with Last-Event-ID; the session id; a
 * DELETE at the end. */
#include "bridge/base/buf.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/net/sse.h"
#include "bridge/mcp/transport.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_RETRY_MS 1000
/* A server's retry: is obeyed within these bounds: a retry of 0 would make a
 * server that ends every stream at once a loop of requests, and a huge one
 * would leave the host waiting forever for a response being resumed. */
#define RETRY_FLOOR_MS 250
#define MAX_RESUME_DELAY_MS 5000
#define MAX_LISTEN_BACKOFF_MS 30000
/* Resumptions in a row that bring no message (a priming event is not one)
 * before the request is answered with an error. */
#define MAX_RESUMES_WITHOUT_PROGRESS 5
/* A GET stream that ends sooner than this without a message counts as a
 * failure: the next one waits longer. */
#define LISTEN_MIN_LIFETIME_MS 1000
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
    struct stream *prev, *next;
    stream_kind_t kind;
    out_msg_t *msg; /* POST/RESUME: the message this stream answers */
    http_req_t *req;
    uv_timer_t timer; /* delay before (re)starting */
    int timer_active;
    int is_sse;
    sse_parser_t *sse;
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
    stream_t *streams;
    stream_t *listen;
    int listen_unsupported;
    /* Right after initialized, messages wait (at most HOLD_MS) for the GET stream
     * to be answered: servers drop server-initiated requests (elicitation,
     * sampling) made while no GET stream is open. */
    int listen_opening;
    out_msg_t *held, *held_tail;
    uv_timer_t hold_timer;
    /* POSTs of notifications and responses the server has not answered yet.
     * What the host sends after one waits for that answer: concurrent POSTs
     * may reach the server in any order, and notifications/initialized must
     * not be overtaken by the requests that follow it. */
    int ordering;
    void (*shutdown_done)(void *);
    void *shutdown_ud;
    int shutting_down;
};

static void stream_begin(stream_t *s);
static void release_held(streamable_t *t);
static void pump_held(streamable_t *t);

/* The server has answered the POST of a message that later ones wait behind. */
static void stream_accepted(stream_t *s)
{
    if (!s->orders) return;
    s->orders = 0;
    s->t->ordering--;
}

static void stream_closed(uv_handle_t *h)
{
    stream_t *s = h->data;
    free(s->last_event_id);
    free(s);
}

static void stream_free(stream_t *s)
{
    streamable_t *t = s->t;
    if (s->closing) return;
    s->closing = 1;
    stream_accepted(s);
    if (s->req) http_req_cancel(s->req);
    s->req = NULL;
    if (s->sse) sse_parser_free(s->sse);
    s->sse = NULL;
    buf_free(&s->body);
    if (s->prev)
        s->prev->next = s->next;
    else
        t->streams = s->next;
    if (s->next) s->next->prev = s->prev;
    if (t->listen == s) t->listen = NULL;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, stream_closed);
}

static stream_t *stream_new(streamable_t *t, stream_kind_t kind, out_msg_t *m)
{
    stream_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->t = t;
    s->kind = kind;
    s->msg = m;
    s->retry_ms = -1;
    uv_timer_init(t->cfg.loop, &s->timer);
    s->timer.data = s;
    s->next = t->streams;
    if (t->streams) t->streams->prev = s;
    t->streams = s;
    return s;
}

/* Hand the message back to the relay and end the stream. */
static void stream_report(stream_t *s, int rc, const char *why)
{
    streamable_t *t = s->t;
    out_msg_t *m = s->msg;
    s->msg = NULL;
    stream_free(s);
    if (m) t->cfg.ev.on_sent(t->cfg.ud, m, rc, why);
}

static void on_stream_timer(uv_timer_t *timer)
{
    stream_begin(timer->data);
}

static void stream_schedule(stream_t *s, long delay_ms)
{
    uv_timer_start(&s->timer, on_stream_timer, (uint64_t)(delay_ms < 0 ? 0 : delay_ms), 0);
}

/* ---- messages ---------------------------------------------------------- */

static int is_response_to(json_t *root, const out_msg_t *m)
{
    if (!m || !m->id_key) return 0;
    json_t *id = NULL;
    if (jr_classify(root, &id, NULL, NULL) != JR_RESPONSE) return 0;
    return jr_id_is(id, m->id_key);
}

/* A complete message from the server (JSON body or SSE data); takes ownership
 * of raw (malloc'd, NUL-terminated). */
static void deliver(stream_t *s, char *raw, size_t len)
{
    streamable_t *t = s->t;
    char err[256];
    int skeleton = 0;
    if (!raw) {
        log_error("out of memory reading a message from %s; dropped", t->cfg.url);
        return;
    }
    json_t *root = jr_decode_fast(raw, len, &skeleton, err, sizeof err);
    if (!root) {
        log_error("%s sent a message that is not JSON (%s); dropped", t->cfg.url, err);
        free(raw);
        return;
    }
    if (is_response_to(root, s->msg)) s->answered = 1;
    if (json_is_array(root)) {
        size_t i;
        json_t *el;
        json_array_foreach(root, i, el) if (is_response_to(el, s->msg)) s->answered = 1;
    }
    t->cfg.ev.on_message(t->cfg.ud, raw, len, root, skeleton);
    json_decref(root);
}

static int on_sse_event(void *ud, const sse_event_t *ev)
{
    stream_t *s = ud;
    if (ev->data_len == 0) return 0; /* a priming event: only its id matters */
    if (strcmp(ev->type, "message") != 0) {
        log_debug("ignoring SSE event of type \"%s\" from %s", ev->type, s->t->cfg.url);
        return 0;
    }
    s->progress = 1;
    deliver(s, sse_parser_take_data(s->sse), ev->data_len);
    /* A resumed stream has done its job once the response came; the server may
     * keep it open, so close it (returning non-zero ends the exchange). */
    return s->kind == STREAM_RESUME && s->answered;
}

/* ---- requests ------------------------------------------------------------ */

typedef int (*add_line_fn)(void *to, const char *line);

/* The lines every request carries: --header lines, session, credentials, version. */
static int common_lines(streamable_t *t, const char *auth, add_line_fn add, void *to)
{
    char line[512];
    int rc = 0;
    for (size_t i = 0; i < t->cfg.headers_len && !rc; i++)
        rc = add(to, t->cfg.headers[i]);
    if (!rc && t->session_id) {
        snprintf(line, sizeof line, "Mcp-Session-Id: %s", t->session_id);
        rc = add(to, line);
    }
    if (!rc && auth) rc = add(to, auth);
    if (!rc && t->protocol_version) {
        snprintf(line, sizeof line, "MCP-Protocol-Version: %s", t->protocol_version);
        rc = add(to, line);
    }
    return rc;
}

static int add_to_req(void *r, const char *line)
{
    return http_req_add_header(r, line);
}

static int add_to_set(void *h, const char *line)
{
    return http_headers_add(h, line);
}

static int add_common_headers(streamable_t *t, http_req_t *r)
{
    const char *auth = t->cfg.auth_header ? t->cfg.auth_header(t->cfg.ud) : NULL;
    return common_lines(t, auth, add_to_req, r);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static void drop_post_headers(streamable_t *t)
{
    http_headers_unref(t->post_hdrs);
    t->post_hdrs = NULL;
    free(t->post_hdrs_version);
    t->post_hdrs_version = NULL;
    if (t->post_hdrs_auth) OPENSSL_cleanse(t->post_hdrs_auth, strlen(t->post_hdrs_auth));
    free(t->post_hdrs_auth);
    t->post_hdrs_auth = NULL;
}

/* The header set for a POST: the one built for the previous POST while nothing
 * in it changed. NULL when out of memory. */
static http_headers_t *post_headers(streamable_t *t)
{
    const char *auth = t->cfg.auth_header ? t->cfg.auth_header(t->cfg.ud) : NULL;
    if (t->post_hdrs && t->post_hdrs_gen == t->session_gen &&
        same_str(t->post_hdrs_version, t->protocol_version) && same_str(t->post_hdrs_auth, auth))
        return t->post_hdrs;
    drop_post_headers(t);
    http_headers_t *h = http_headers_new();
    int rc = h ? common_lines(t, auth, add_to_set, h) : BRIDGE_ENOMEM;
    if (!rc) rc = http_headers_add(h, "Content-Type: application/json");
    if (!rc) rc = http_headers_add(h, "Accept: application/json, text/event-stream");
    char *version = t->protocol_version ? strdup(t->protocol_version) : NULL;
    char *auth_copy = auth ? strdup(auth) : NULL;
    if (rc || (t->protocol_version && !version) || (auth && !auth_copy)) {
        http_headers_unref(h);
        free(version);
        if (auth_copy) OPENSSL_cleanse(auth_copy, strlen(auth_copy));
        free(auth_copy);
        return NULL;
    }
    t->post_hdrs = h;
    t->post_hdrs_gen = t->session_gen;
    t->post_hdrs_version = version;
    t->post_hdrs_auth = auth_copy;
    return h;
}

/* A value the server chose that we send back in a header line: visible ASCII
 * only (no CR/LF that would start a header of the server's choosing), bounded. */
static int header_value_valid(const char *v, size_t max)
{
    if (!v || !*v || strlen(v) > max) return 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x21 || *p > 0x7e) return 0;
    return 1;
}

#define SESSION_ID_MAX 256
#define PROTOCOL_VERSION_MAX 64

static int content_type_is(const char *ct, const char *want)
{
    if (!ct) return 0;
    while (*ct == ' ')
        ct++;
    size_t n = strlen(want);
    return !strncasecmp(ct, want, n) && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

static int on_response(http_req_t *r, void *ud)
{
    stream_t *s = ud;
    streamable_t *t = s->t;
    long status = http_req_status(r);
    const char *ct = http_req_header(r, "Content-Type");
    if (s->kind == STREAM_LISTEN) release_held(t);
    if (s->orders) {
        stream_accepted(s);
        pump_held(t);
    }
    s->is_sse = 0;
    buf_free(&s->body);
    if (status >= 200 && status < 300) {
        if (s->kind == STREAM_POST && s->msg && s->msg->is_initialize) {
            const char *sid = http_req_header(r, "Mcp-Session-Id");
            if (sid && header_value_valid(sid, SESSION_ID_MAX)) {
                free(t->session_id);
                t->session_id = strdup(sid);
                t->session_gen++;
                log_debug("session id received from %s", t->cfg.url);
            } else if (sid) {
                log_error("%s sent a session id with characters outside visible ASCII; ignored",
                          t->cfg.url);
            }
        }
        if (content_type_is(ct, "text/event-stream")) {
            s->is_sse = 1;
            if (s->sse) sse_parser_free(s->sse);
            s->sse = sse_parser_new(t->cfg.max_message_size + 1024, on_sse_event, s);
            if (!s->sse) return 1;
        } else {
            buf_init(&s->body, t->cfg.max_message_size);
            /* A declared length sizes the buffer once (bounded by the limit). */
            const char *cl = http_req_header(r, "Content-Length");
            if (cl) {
                char *end;
                unsigned long long n = strtoull(cl, &end, 10);
                if (end != cl && *end == 0 && n > 0 && n <= t->cfg.max_message_size)
                    buf_presize(&s->body, (size_t)n);
            }
        }
    } else {
        buf_init(&s->body, ERROR_BODY_MAX);
    }
    return 0;
}

/* The exchange fails because a message is over --max-message-size. */
static void too_big(http_req_t *r, const stream_t *s, const char *what)
{
    char why[160];
    snprintf(why, sizeof why,
             "the server sent %s larger than the %zu-byte limit (--max-message-size)", what,
             s->t->cfg.max_message_size);
    http_req_set_error(r, BRIDGE_ETOOBIG, why);
}

static int on_body(http_req_t *r, void *ud, const char *p, size_t n)
{
    stream_t *s = ud;
    if (s->is_sse) {
        int rc = sse_parser_feed(s->sse, p, n);
        if (rc == BRIDGE_ETOOBIG) too_big(r, s, "an SSE event");
        return rc;
    }
    long status = http_req_status(r);
    if (buf_append(&s->body, p, n) != 0) {
        if (status >= 200 && status < 300) {
            too_big(r, s, "a response");
            return 1;
        }
        /* An error body is only read for its message: keep the start. */
    }
    return 0;
}

/* "HTTP 500 from URL: message" using a JSON-RPC error in the body if there is one. */
static void describe_http_error(stream_t *s, long status, char *why, size_t n)
{
    const char *detail = NULL;
    json_t *root = NULL;
    if (s->body.len) {
        root = json_loadb(s->body.data, s->body.len, 0, NULL);
        json_t *e = json_object_get(root, "error");
        json_t *msg = json_object_get(e, "message");
        if (!msg) msg = json_object_get(root, "error_description");
        if (!msg && json_is_string(e)) msg = e;
        if (json_is_string(msg)) detail = json_string_value(msg);
    }
    if (detail)
        snprintf(why, n, "%s answered HTTP %ld: %.300s", s->t->cfg.url, status, detail);
    else
        snprintf(why, n, "%s answered HTTP %ld", s->t->cfg.url, status);
    json_decref(root);
}

/* The wait before reconnecting: the server's retry (or our default) within
 * [RETRY_FLOOR_MS, cap], doubled for each failed attempt after the first. */
static long backoff_ms(long retry_ms, int failures, long cap)
{
    long delay = retry_ms >= 0 ? retry_ms : DEFAULT_RETRY_MS;
    if (delay < RETRY_FLOOR_MS) delay = RETRY_FLOOR_MS;
    if (delay > cap) delay = cap;
    for (int i = 1; i < failures && delay < cap; i++)
        delay *= 2;
    return delay > cap ? cap : delay;
}

/* Whether `text` (n bytes) mentions a session, in any case. */
static int mentions_session(const char *text, size_t n)
{
    static const char word[] = "session";
    for (size_t i = 0; i + sizeof word - 1 <= n; i++)
        if (!strncasecmp(text + i, word, sizeof word - 1)) return 1;
    return 0;
}

/* How servers say they no longer know the session we sent: 404 (the spec), or
 * 400 with an error about the session, as the TypeScript SDK's example servers
 * (server-everything among them) do: "Bad Request: No valid session ID
 * provided". Any other 400, a JSON-RPC error for the request among them, is
 * the request's answer. */
static int session_gone(const stream_t *s, long status)
{
    if (status == 404) return 1;
    if (status != 400 || !s->body.len) return 0;
    json_t *root = json_loadb(s->body.data, s->body.len, 0, NULL);
    if (!root) return mentions_session(s->body.data, s->body.len);
    json_t *e = json_object_get(root, "error");
    json_t *msg = json_is_string(e) ? e : json_object_get(e, "message");
    if (!json_is_string(msg)) msg = json_object_get(root, "error_description");
    int gone =
        json_is_string(msg) && mentions_session(json_string_value(msg), json_string_length(msg));
    json_decref(root);
    return gone;
}

static void listen_retry(stream_t *s, int failed)
{
    s->failures = failed ? s->failures + 1 : 0;
    long delay = backoff_ms(s->retry_ms, s->failures, MAX_LISTEN_BACKOFF_MS);
    log_debug("reopening the GET stream of %s in %ld ms", s->t->cfg.url, delay);
    stream_schedule(s, delay);
}

/* A stream that ended while a request still waits for its response: resume it
 * with GET + Last-Event-ID when the server gave an event id, else give up. */
static void resume_or_fail(stream_t *s, const char *why)
{
    char text[768];
    if (s->progress) s->resumes = 0;
    if (!s->last_event_id || !s->last_event_id[0] || s->t->shutting_down) {
        stream_report(s, BRIDGE_EPROTO, why);
        return;
    }
    if (s->resumes >= MAX_RESUMES_WITHOUT_PROGRESS) {
        snprintf(text, sizeof text,
                 "%s ended the response stream %d times in a row without sending a message; "
                 "giving up on this request",
                 s->t->cfg.url, s->resumes + 1);
        stream_report(s, BRIDGE_EPROTO, text);
        return;
    }
    s->resumes++;
    s->kind = STREAM_RESUME;
    long delay = backoff_ms(s->retry_ms, s->resumes, MAX_RESUME_DELAY_MS);
    log_debug("stream of %s ended before the response; resuming after event %s in %ld ms",
              s->t->cfg.url, s->last_event_id, delay);
    stream_schedule(s, delay);
}

static void stream_done(http_req_t *r, void *ud, int rc, const char *why_in)
{
    stream_t *s = ud;
    streamable_t *t = s->t;
    long status = http_req_status(r);
    char why[768];
    s->req = NULL;
    if (s->kind == STREAM_LISTEN) release_held(t);

    /* What the stream taught us, whatever happens next. */
    if (s->sse) {
        const char *id = sse_parser_last_event_id(s->sse);
        if (id && *id) {
            free(s->last_event_id);
            s->last_event_id = strdup(id);
        }
        if (sse_parser_retry_ms(s->sse) >= 0) s->retry_ms = sse_parser_retry_ms(s->sse);
        sse_parser_free(s->sse);
        s->sse = NULL;
    }

    if (rc != 0) {
        snprintf(why, sizeof why, "%s %s: %s", http_req_method(r), t->cfg.url, why_in);
        if (s->kind == STREAM_LISTEN) {
            log_debug("GET stream of %s failed: %s", t->cfg.url, why_in);
            listen_retry(s, 1);
        } else if (s->kind == STREAM_DELETE) {
            stream_free(s);
        } else if (s->answered) {
            stream_report(s, 0, NULL);
        } else if (s->kind == STREAM_POST && rc == BRIDGE_ECONNECT && s->msg &&
                   s->msg->connect_retries < 1 && !t->shutting_down) {
            /* Nothing was sent: one quick retry covers a server restarting. */
            s->msg->connect_retries++;
            stream_schedule(s, CONNECT_RETRY_MS);
        } else if (s->is_sse && s->msg && s->msg->id_key) {
            resume_or_fail(s, why);
        } else {
            stream_report(s, rc, why);
        }
        return;
    }

    if (s->kind == STREAM_DELETE) {
        if (status != 405 && (status < 200 || status >= 300))
            log_debug("DELETE of the session at %s answered HTTP %ld", t->cfg.url, status);
        stream_free(s);
        return;
    }

    /* A POST carrying our session id answered "no such session": the session is
     * gone. (A GET may be 404 merely because the server has no GET route; the
     * next POST tells.) */
    if (s->kind == STREAM_POST && !s->msg->is_initialize &&
        (t->session_id || s->session_gen != t->session_gen) && session_gone(s, status)) {
        int stale = s->session_gen != t->session_gen;
        if (!stale) {
            log_info("%s no longer knows our session (HTTP %ld); starting a new one", t->cfg.url,
                     status);
            free(t->session_id);
            t->session_id = NULL;
            t->session_gen++;
        }
        out_msg_t *m = s->msg;
        s->msg = NULL;
        stream_free(s);
        t->cfg.ev.on_session_lost(t->cfg.ud, m, stale);
        return;
    }

    if ((status == 401 || status == 403) && t->cfg.oauth && s->kind != STREAM_DELETE) {
        char *challenge = http_req_header_all(r, "WWW-Authenticate");
        out_msg_t *m = NULL;
        if (s->kind == STREAM_RESUME) {
            stream_report(s, BRIDGE_EHTTP, "authorization expired while resuming the response");
        } else {
            m = s->msg;
            s->msg = NULL;
            stream_free(s);
        }
        t->cfg.ev.on_auth_challenge(t->cfg.ud, m, status, challenge);
        free(challenge);
        return;
    }

    if (s->kind == STREAM_LISTEN) {
        if (status == 405) {
            log_debug("%s offers no GET stream (HTTP 405)", t->cfg.url);
            t->listen_unsupported = 1;
            stream_free(s);
        } else if (status >= 200 && status < 300) {
            if (s->is_sse) {
                /* The server closed the stream: open another, later if this one
                 * was short and brought nothing. */
                int empty =
                    !s->progress && uv_now(t->cfg.loop) - s->started_at < LISTEN_MIN_LIFETIME_MS;
                listen_retry(s, empty);
            } else {
                log_debug("GET %s did not answer with an event stream; not listening", t->cfg.url);
                stream_free(s);
            }
        } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
            describe_http_error(s, status, why, sizeof why);
            log_info("no stream for server-initiated messages: %s", why);
            stream_free(s);
        } else {
            listen_retry(s, 1);
        }
        return;
    }

    if (s->kind == STREAM_POST && s->msg && s->msg->is_initialize && !t->session_id &&
        t->cfg.allow_fallback && (status == 400 || status == 404 || status == 405)) {
        out_msg_t *m = s->msg;
        s->msg = NULL;
        stream_free(s);
        t->cfg.ev.on_fallback(t->cfg.ud, m, status);
        return;
    }

    if (status >= 200 && status < 300) {
        if (!s->is_sse && s->body.len) {
            size_t n = s->body.len;
            deliver(s, buf_steal(&s->body), n);
        }
        if (s->answered || !s->msg || !s->msg->id_key) {
            stream_report(s, 0, NULL);
        } else if (s->is_sse) {
            snprintf(why, sizeof why, "%s closed the response stream without answering",
                     t->cfg.url);
            resume_or_fail(s, why);
        } else {
            snprintf(why, sizeof why, "%s answered HTTP %ld without a JSON-RPC response",
                     t->cfg.url, status);
            stream_report(s, BRIDGE_EPROTO, why);
        }
        return;
    }

    /* An HTTP error. A JSON-RPC error response with our id is the answer itself. */
    if (s->body.len && s->msg && s->msg->id_key) {
        json_t *root = json_loadb(s->body.data, s->body.len, 0, NULL);
        int ours = root && is_response_to(root, s->msg);
        json_decref(root);
        if (ours) {
            size_t n = s->body.len;
            deliver(s, buf_steal(&s->body), n);
            stream_report(s, 0, NULL);
            return;
        }
    }
    if (status == 404 && s->kind == STREAM_POST && s->msg && s->msg->is_initialize &&
        !t->session_id)
        snprintf(why, sizeof why, "%s answered 404 Not Found to POST: check the URL's path",
                 t->cfg.url);
    else
        describe_http_error(s, status, why, sizeof why);
    /* Without --header Authorization, 401 and 403 go to the sign-in instead. */
    if ((status == 401 || status == 403) && !t->cfg.oauth)
        strncat(why, ": the server refused the Authorization header given with --header",
                sizeof why - strlen(why) - 1);
    stream_report(s, BRIDGE_EHTTP, why);
}

/* Whatever became of the stream, messages waiting behind it may go now. */
static void on_done(http_req_t *r, void *ud, int rc, const char *why)
{
    streamable_t *t = ((stream_t *)ud)->t;
    stream_done(r, ud, rc, why);
    pump_held(t);
}

static const http_callbacks_t stream_callbacks = {on_response, on_body, on_done};

static void stream_begin(stream_t *s)
{
    streamable_t *t = s->t;
    const char *method = s->kind == STREAM_POST     ? "POST"
                         : s->kind == STREAM_DELETE ? "DELETE"
                                                    : "GET";
    s->progress = 0;
    s->is_sse = 0;
    s->session_gen = t->session_gen;
    s->started_at = uv_now(t->cfg.loop);
    http_req_t *r = http_req_new(t->cfg.http, method, t->cfg.url);
    int rc = r ? 0 : BRIDGE_ENOMEM;
    if (!rc && s->kind == STREAM_POST) {
        http_headers_t *h = post_headers(t);
        if (h)
            http_req_use_headers(r, h);
        else
            rc = BRIDGE_ENOMEM;
        http_req_set_body(r, s->msg->body, s->msg->len);
    } else if (!rc && !(rc = add_common_headers(t, r)) && s->kind != STREAM_DELETE) {
        rc = http_req_add_header(r, "Accept: text/event-stream");
        if (!rc && s->last_event_id && s->last_event_id[0]) {
            char line[600];
            snprintf(line, sizeof line, "Last-Event-ID: %.512s", s->last_event_id);
            rc = http_req_add_header(r, line);
        }
    } else if (!rc) {
        http_req_set_timeout_ms(r, DELETE_TIMEOUT_MS);
    }
    if (!rc) rc = http_req_start(r, &stream_callbacks, s);
    if (rc) {
        http_req_cancel(r);
        stream_report(s, rc, "out of memory starting an HTTP request");
        return;
    }
    s->req = r;
}

/* ---- transport operations -------------------------------------------------- */

static int send_now(streamable_t *t, out_msg_t *m)
{
    stream_t *s = stream_new(t, STREAM_POST, m);
    if (!s) return BRIDGE_ENOMEM;
    if (!m->id_key && !m->is_initialize) {
        s->orders = 1;
        t->ordering++;
    }
    stream_begin(s);
    return 0;
}

static int holding(const streamable_t *t)
{
    return t->listen_opening || t->ordering > 0;
}

static void hold(streamable_t *t, out_msg_t *m)
{
    m->next = NULL;
    if (t->held_tail)
        t->held_tail->next = m;
    else
        t->held = m;
    t->held_tail = m;
}

/* Send held messages, in order, until one has to be waited for. */
static void pump_held(streamable_t *t)
{
    while (t->held && !holding(t) && !t->shutting_down) {
        out_msg_t *m = t->held;
        t->held = m->next;
        if (!t->held) t->held_tail = NULL;
        if (send_now(t, m) != 0) t->cfg.ev.on_sent(t->cfg.ud, m, BRIDGE_ENOMEM, "out of memory");
    }
}

static void release_held(streamable_t *t)
{
    if (!t->listen_opening) return;
    t->listen_opening = 0;
    uv_timer_stop(&t->hold_timer);
    pump_held(t);
}

static void on_hold_timeout(uv_timer_t *timer)
{
    release_held(timer->data);
}

static int t_send(transport_t *base, out_msg_t *m)
{
    streamable_t *t = (streamable_t *)base;
    if ((t->held || holding(t)) && !m->is_initialize) {
        hold(t, m);
        return 0;
    }
    if (m->is_initialize) {
        release_held(t);
        /* A new initialize starts a new session. */
        free(t->session_id);
        t->session_id = NULL;
        t->session_gen++;
        free(t->protocol_version);
        t->protocol_version = NULL;
        if (t->listen) stream_free(t->listen);
    }
    return send_now(t, m);
}

static int t_set_protocol_version(transport_t *base, const char *version)
{
    streamable_t *t = (streamable_t *)base;
    free(t->protocol_version);
    t->protocol_version = NULL;
    if (version && !header_value_valid(version, PROTOCOL_VERSION_MAX)) return BRIDGE_EPROTO;
    t->protocol_version = version ? strdup(version) : NULL;
    return 0;
}

static void t_start_listening(transport_t *base)
{
    streamable_t *t = (streamable_t *)base;
    if (t->listen || t->listen_unsupported || t->shutting_down) return;
    t->listen = stream_new(t, STREAM_LISTEN, NULL);
    if (!t->listen) return;
    t->listen_opening = 1;
    uv_timer_start(&t->hold_timer, on_hold_timeout, HOLD_MS, 0);
    stream_begin(t->listen);
}

static void t_reset_session(transport_t *base)
{
    streamable_t *t = (streamable_t *)base;
    /* Messages held for the old session's GET stream go back to the relay. */
    t->listen_opening = 0;
    uv_timer_stop(&t->hold_timer);
    while (t->held) {
        out_msg_t *m = t->held;
        t->held = m->next;
        if (!t->held) t->held_tail = NULL;
        t->cfg.ev.on_session_lost(t->cfg.ud, m, 1);
    }
    free(t->session_id);
    t->session_id = NULL;
    t->session_gen++;
    if (t->listen) stream_free(t->listen);
}

static void t_resume(transport_t *base) {}

static void check_shutdown_done(streamable_t *t)
{
    if (!t->shutting_down || !t->shutdown_done) return;
    for (stream_t *s = t->streams; s; s = s->next)
        if (s->kind == STREAM_DELETE) return;
    void (*done)(void *) = t->shutdown_done;
    t->shutdown_done = NULL;
    done(t->shutdown_ud);
}

static void on_delete_done(http_req_t *r, void *ud, int rc, const char *why)
{
    stream_t *s = ud;
    streamable_t *t = s->t;
    on_done(r, ud, rc, why);
    check_shutdown_done(t);
}

static const http_callbacks_t delete_callbacks = {NULL, NULL, on_delete_done};

static void t_shutdown(transport_t *base, void (*done)(void *), void *ud)
{
    streamable_t *t = (streamable_t *)base;
    release_held(t);
    t->shutting_down = 1;
    t->shutdown_done = done;
    t->shutdown_ud = ud;
    while (t->held) {
        out_msg_t *m = t->held;
        t->held = m->next;
        if (!t->held) t->held_tail = NULL;
        t->cfg.ev.on_sent(t->cfg.ud, m, BRIDGE_ECLOSED, "the bridge is shutting down");
    }
    /* Streams still open: their messages fail without a callback storm. */
    while (t->streams) {
        stream_t *s = t->streams;
        if (s->msg)
            stream_report(s, BRIDGE_ECLOSED, "the bridge is shutting down");
        else
            stream_free(s);
    }
    if (t->session_id) {
        stream_t *s = stream_new(t, STREAM_DELETE, NULL);
        if (s) {
            http_req_t *r = http_req_new(t->cfg.http, "DELETE", t->cfg.url);
            if (r && add_common_headers(t, r) == 0) {
                http_req_set_timeout_ms(r, DELETE_TIMEOUT_MS);
                if (http_req_start(r, &delete_callbacks, s) == 0) {
                    s->req = r;
                    log_debug("ending the session at %s (DELETE)", t->cfg.url);
                    return;
                }
            }
            http_req_cancel(r);
            stream_free(s);
        }
    }
    check_shutdown_done(t);
}

static void free_after_close(uv_handle_t *h)
{
    free(h->data);
}

static void t_free(transport_t *base)
{
    streamable_t *t = (streamable_t *)base;
    while (t->streams)
        stream_free(t->streams);
    drop_post_headers(t);
    free(t->session_id);
    free(t->protocol_version);
    uv_close((uv_handle_t *)&t->hold_timer, free_after_close);
}

static const transport_ops_t streamable_ops = {
    "streamable-http", t_send, t_set_protocol_version, t_start_listening, t_reset_session, t_resume,
    t_shutdown,        t_free,
};

transport_t *streamable_new(const transport_config_t *cfg)
{
    streamable_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->base.ops = &streamable_ops;
    t->cfg = *cfg;
    uv_timer_init(cfg->loop, &t->hold_timer);
    t->hold_timer.data = t;
    return &t->base;
}
