/* The Streamable HTTP transport (MCP 2025-03-26, 2025-06-18, 2025-11-25): one
 * POST per message, answered with JSON or an SSE stream; a GET stream for
 * server-initiated messages; resumption with Last-Event-ID; the session id; a
 * DELETE at the end. Set modern (2026-07-28), it keeps only the POSTs. This file: the transport's
 * operations and the order in which messages go out (held while the GET stream opens, or behind a
 * POST the server has not answered yet). */
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/mcp/streamable_internal.h"

#include <assert.h>
#include <stdlib.h>

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
    assert(!list_linked(&m->link));
    list_push_back(&t->held, &m->link);
}

/* Send held messages, in order, until one has to be waited for. */
void streamable_pump_held(streamable_t *t)
{
    while (!list_empty(&t->held) && !holding(t) && !t->shutting_down) {
        out_msg_t *m = LIST_ENTRY(list_pop_front(&t->held), out_msg_t, link);
        if (send_now(t, m) != 0) t->cfg.ev.on_sent(t->cfg.ud, m, BRIDGE_ENOMEM, "out of memory");
    }
}

void streamable_release_held(streamable_t *t)
{
    if (!t->listen_opening) return;
    t->listen_opening = 0;
    uv_timer_stop(&t->hold_timer);
    streamable_pump_held(t);
}

static void on_hold_timeout(uv_timer_t *timer)
{
    streamable_release_held(timer->data);
}

static int t_send(transport_t *base, out_msg_t *m)
{
    streamable_t *t = (streamable_t *)base;
    if ((!list_empty(&t->held) || holding(t)) && !m->is_initialize) {
        hold(t, m);
        return 0;
    }
    if (m->is_initialize) {
        streamable_release_held(t);
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

static void t_start_listening(transport_t *base)
{
    streamable_t *t = (streamable_t *)base;
    if (t->modern || t->listen || t->listen_unsupported || t->shutting_down) return;
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
    while (!list_empty(&t->held)) {
        out_msg_t *m = LIST_ENTRY(list_pop_front(&t->held), out_msg_t, link);
        t->cfg.ev.on_session_lost(t->cfg.ud, m, 1);
    }
    free(t->session_id);
    t->session_id = NULL;
    t->session_gen++;
    if (t->listen) stream_free(t->listen);
}

static void t_resume(transport_t *base) {}

static void t_set_modern(transport_t *base)
{
    streamable_t *t = (streamable_t *)base;
    t->modern = 1;
    if (t->listen) stream_free(t->listen);
    free(t->protocol_version); /* each message carries its own (m->hdrs) */
    t->protocol_version = NULL;
}

static int t_cancel(transport_t *base, out_msg_t *m)
{
    streamable_t *t = (streamable_t *)base;
    LIST_FOR_EACH (n, &t->held)
        if (LIST_ENTRY(n, out_msg_t, link) == m) {
            list_remove(&m->link);
            t->cfg.ev.on_sent(t->cfg.ud, m, 0, NULL);
            return 0;
        }
    LIST_FOR_EACH (n, &t->streams) {
        stream_t *s = LIST_ENTRY(n, stream_t, link);
        if (s->msg == m && !s->closing) {
            log_debug("closing the response stream of a cancelled request to %s", t->cfg.url);
            stream_report(s, 0, NULL);
            return 0;
        }
    }
    return BRIDGE_EINVAL;
}

static void t_shutdown(transport_t *base, void (*done)(void *), void *ud)
{
    streamable_t *t = (streamable_t *)base;
    streamable_release_held(t);
    t->shutting_down = 1;
    t->shutdown_done = done;
    t->shutdown_ud = ud;
    while (!list_empty(&t->held)) {
        out_msg_t *m = LIST_ENTRY(list_pop_front(&t->held), out_msg_t, link);
        t->cfg.ev.on_sent(t->cfg.ud, m, BRIDGE_ECLOSED, "the bridge is shutting down");
    }
    /* Streams still open: their messages fail without a callback storm. */
    list_node *n;
    while ((n = list_front(&t->streams))) {
        stream_t *s = LIST_ENTRY(n, stream_t, link);
        if (s->msg)
            stream_report(s, BRIDGE_ECLOSED, "the bridge is shutting down");
        else
            stream_free(s);
    }
    if (t->session_id && streamable_delete_session(t) == 0) return;
    streamable_check_shutdown_done(t);
}

static void free_after_close(uv_handle_t *h)
{
    free(h->data);
}

static void t_free(transport_t *base)
{
    streamable_t *t = (streamable_t *)base;
    list_node *n;
    while ((n = list_front(&t->streams)))
        stream_free(LIST_ENTRY(n, stream_t, link));
    streamable_drop_post_headers(t);
    free(t->session_id);
    free(t->protocol_version);
    uv_close((uv_handle_t *)&t->hold_timer, free_after_close);
}

static const transport_ops_t streamable_ops = {
    .name = "streamable-http",
    .send = t_send,
    .set_protocol_version = streamable_set_protocol_version,
    .start_listening = t_start_listening,
    .reset_session = t_reset_session,
    .resume = t_resume,
    .set_modern = t_set_modern,
    .cancel = t_cancel,
    .shutdown = t_shutdown,
    .free = t_free,
};

transport_t *streamable_new(const transport_config_t *cfg)
{
    streamable_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->base.ops = &streamable_ops;
    t->cfg = *cfg;
    list_init(&t->streams);
    list_init(&t->held);
    uv_timer_init(cfg->loop, &t->hold_timer);
    t->hold_timer.data = t;
    return &t->base;
}
