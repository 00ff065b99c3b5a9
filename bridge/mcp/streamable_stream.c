/* A stream of the Streamable HTTP transport: one HTTP exchange (POST, its
 * resumption, the GET stream, DELETE) with the state that outlives a
 * connection: made, (re)started after a delay, and ended. */
#include "bridge/base/err.h"
#include "bridge/mcp/streamable_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

/* The server has answered the POST of a message that later ones wait behind. */
void stream_accepted(stream_t *s)
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

void stream_free(stream_t *s)
{
    if (s->closing) return;
    streamable_t *t = s->t;
    s->closing = 1;
    stream_accepted(s);
    if (s->req) http_req_cancel(s->req);
    s->req = NULL;
    /* Never from inside the parser's own callback: on_body frees it once
     * sse_parser_feed has returned. */
    if (s->sse && !s->feeding) {
        sse_parser_free(s->sse);
        s->sse = NULL;
    }
    buf_free(&s->body);
    list_remove(&s->link);
    if (t->listen == s) t->listen = NULL;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, stream_closed);
}

stream_t *stream_new(streamable_t *t, stream_kind_t kind, out_msg_t *m)
{
    stream_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->t = t;
    s->kind = kind;
    s->msg = m;
    s->retry_ms = -1;
    uv_timer_init(t->cfg.loop, &s->timer);
    s->timer.data = s;
    list_node_init(&s->link);
    list_push_front(&t->streams, &s->link);
    return s;
}

void stream_report(stream_t *s, int rc, const char *why)
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

void stream_schedule(stream_t *s, long delay_ms)
{
    assert(!s->closing);
    uv_timer_start(&s->timer, on_stream_timer, (uint64_t)(delay_ms < 0 ? 0 : delay_ms), 0);
}

void stream_begin(stream_t *s)
{
    assert(!s->closing && !s->req);
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
        rc = streamable_add_post_headers(t, r, s->msg);
        http_req_set_body(r, s->msg->body, s->msg->len);
    } else if (!rc && !(rc = streamable_add_common_headers(t, r)) && s->kind != STREAM_DELETE) {
        rc = http_req_add_header(r, "Accept: text/event-stream");
        if (!rc && s->last_event_id && s->last_event_id[0]) {
            char line[600];
            snprintf(line, sizeof line, "Last-Event-ID: %.512s", s->last_event_id);
            rc = http_req_add_header(r, line);
        }
    } else if (!rc) {
        http_req_set_timeout_ms(r, DELETE_TIMEOUT_MS);
    }
    if (!rc) rc = http_req_start(r, &streamable_stream_callbacks, s);
    if (rc) {
        http_req_cancel(r);
        stream_report(s, rc, "out of memory starting an HTTP request");
        return;
    }
    s->req = r;
}
