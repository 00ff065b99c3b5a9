/* Shutdown: stdin's end, a signal or a failed write starts it; everything
 * that arrived before is delivered, in order, before the transport ends the
 * session (the DELETE); then stdout drains and the handles close. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/log.h"

#include <signal.h>

#define SIGNAL_GRACE_MS 1500 /* SIGTERM/SIGINT: the host is in a hurry */

static void on_closed_handle(uv_handle_t *h) {}

static void close_everything(void *ud)
{
    relay_t *r = ud;
    if (r->closed) return;
    r->closed = 1;
    stdio_close(&r->stdio);
    uv_close((uv_handle_t *)&r->grace, on_closed_handle);
    uv_close((uv_handle_t *)&r->sigterm, on_closed_handle);
    uv_close((uv_handle_t *)&r->sigint, on_closed_handle);
    uv_close((uv_handle_t *)&r->keepalive, on_closed_handle);
    uv_close((uv_handle_t *)&r->listen_timer, on_closed_handle);
    uv_close((uv_handle_t *)&r->signin_timer, on_closed_handle);
    r->transport->ops->free(r->transport);
    r->transport = NULL;
    oauth_free(r->oauth);
    r->oauth = NULL;
    keychain_close(r->store);
    r->store = NULL;
    if (r->retired) r->retired->ops->free(r->retired);
    r->retired = NULL;
    http_client_free(r->http);
    r->http = NULL;
}

static void on_closing_tick(uv_timer_t *t)
{
    relay_t *r = t->data;
    stdio_when_drained(&r->stdio, close_everything);
}

static void on_transport_closed(void *ud)
{
    relay_t *r = ud;
    /* Whatever is still pending will not be answered now. */
    relay_fail_waitq(r, "the bridge is shutting down");
    pending_t *p;
    while ((p = pending_first(&r->pending)))
        relay_pending_fail(r, p, JR_SERVER_ERROR, "the bridge is shutting down");
    /* We may be inside an HTTP callback: free the HTTP client from the loop. */
    uv_timer_start(&r->grace, on_closing_tick, 0, 0);
}

static void close_transport_now(uv_timer_t *t)
{
    relay_t *r = t->data;
    if (r->oauth && r->authing) oauth_cancel(r->oauth);
    r->transport->ops->shutdown(r->transport, on_transport_closed, r);
}

/* The last answer, a signal or a failed write may come from deep inside an HTTP
 * or SSE callback whose stream the shutdown frees: shut down from the loop. */
static void close_transport(relay_t *r)
{
    if (r->transport_closed) return;
    r->transport_closed = 1;
    uv_timer_stop(&r->grace);
    uv_timer_start(&r->grace, close_transport_now, 0, 0);
}

void relay_maybe_finish_shutdown(relay_t *r)
{
    /* Every host message that came before EOF reaches the server first, and the
     * read of stored tokens ends (cancelling it would report a failed sign-in). */
    if (r->stopping && !r->pending.count && list_empty(&r->waitq) && !r->in_transport &&
        !r->reinit && !r->init_in_flight && !r->authing && !r->loading)
        close_transport(r);
}

static void on_grace_expired(uv_timer_t *t)
{
    relay_t *r = t->data;
    if (r->pending.count)
        log_info("giving up on the %ld request%s still in progress", r->pending.count,
                 r->pending.count == 1 ? "" : "s");
    close_transport(r);
}

void relay_begin_shutdown(relay_t *r, long grace_ms)
{
    if (r->stopping) {
        if (grace_ms == 0) close_transport(r);
        return;
    }
    r->stopping = 1;
    stdio_stop_reading(&r->stdio);
    if (grace_ms <= 0) {
        relay_subs_stop(r);
        close_transport(r);
        return;
    }
    uv_timer_start(&r->grace, on_grace_expired, (uint64_t)grace_ms, 0);
    relay_signin_shutdown(r); /* a sign-in nobody was asked for yet ends here */
    /* Listens never end by themselves (this may finish the shutdown now). */
    relay_modern_shutdown(r);
    relay_maybe_finish_shutdown(r);
}

static void on_signal(uv_signal_t *s, int signum)
{
    relay_t *r = s->data;
    if (r->stopping && signum == SIGINT) {
        log_info("interrupted again; exiting now");
        close_transport(r);
        return;
    }
    log_debug("signal %d; shutting down", signum);
    relay_begin_shutdown(r, SIGNAL_GRACE_MS);
}

void relay_shutdown_init(relay_t *r)
{
    uv_timer_init(r->loop, &r->grace);
    r->grace.data = r;
    uv_signal_init(r->loop, &r->sigterm);
    uv_signal_init(r->loop, &r->sigint);
    r->sigterm.data = r->sigint.data = r;
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    uv_signal_start(&r->sigint, on_signal, SIGINT);
}
