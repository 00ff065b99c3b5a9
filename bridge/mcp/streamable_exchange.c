/* One exchange of the Streamable HTTP transport and its response: a JSON body
 * or an SSE stream, messages handed to the relay, and what the end of the
 * exchange means for its stream (answered, resumed, session lost, fallback,
 * authorization, an error in words). */
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/mcp/streamable_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A GET stream that ends sooner than this without a message counts as a
 * failure: the next one waits longer. */
#define LISTEN_MIN_LIFETIME_MS 1000

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
        json_array_foreach (root, i, el)
            if (is_response_to(el, s->msg)) s->answered = 1;
    }
    t->cfg.ev.on_message(t->cfg.ud, raw, len, root, skeleton, s->msg);
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
    /* The relay may have ended the stream meanwhile: stop the parser (it is
     * freed once sse_parser_feed returns). A resumed stream has done its job once
     * the response came; the server may keep it open, so close it (returning
     * non-zero ends the exchange). */
    return s->closing || (s->kind == STREAM_RESUME && s->answered);
}

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
    if (t->cfg.auth_response) t->cfg.auth_response(t->cfg.ud, r);
    long status = http_req_status(r);
    const char *ct = http_req_header(r, "Content-Type");
    if (s->kind == STREAM_LISTEN) streamable_release_held(t);
    if (s->orders) {
        stream_accepted(s);
        streamable_pump_held(t);
    }
    s->is_sse = 0;
    buf_free(&s->body);
    if (status >= 200 && status < 300) {
        if (s->kind == STREAM_POST && s->msg && s->msg->is_initialize)
            streamable_take_session_id(t, r);
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
        /* A message delivered from inside the feed may end this stream (the
         * relay re-initializes, shuts down...): stream_free then leaves the
         * parser to be freed here, once the parser has returned. */
        s->feeding = 1;
        int rc = sse_parser_feed(s->sse, p, n);
        s->feeding = 0;
        if (s->closing) {
            sse_parser_free(s->sse);
            s->sse = NULL;
            return 1;
        }
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

static void stream_done(http_req_t *r, void *ud, int rc, const char *why_in)
{
    stream_t *s = ud;
    streamable_t *t = s->t;
    long status = http_req_status(r);
    char why[768];
    s->req = NULL;
    if (s->msg) s->msg->status = status;
    if (s->kind == STREAM_LISTEN) streamable_release_held(t);

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
            stream_listen_retry(s, 1);
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
            stream_resume_or_fail(s, why);
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
        (t->session_id || s->session_gen != t->session_gen) && streamable_session_gone(s, status)) {
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
                stream_listen_retry(s, empty);
            } else {
                log_debug("GET %s did not answer with an event stream; not listening", t->cfg.url);
                stream_free(s);
            }
        } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
            describe_http_error(s, status, why, sizeof why);
            log_info("no stream for server-initiated messages: %s", why);
            stream_free(s);
        } else {
            stream_listen_retry(s, 1);
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
            stream_resume_or_fail(s, why);
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
    streamable_pump_held(t);
}

const http_callbacks_t streamable_stream_callbacks = {on_response, on_body, on_done};
