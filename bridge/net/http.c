/* The HTTP client as a whole: made and freed here (freeing safely from inside
 * one of its own callbacks), with the settings every request shares (the
 * connection budget, the share of cookies, DNS and TLS sessions) and the pause
 * for backpressure. The parts: http_loop.c (curl on libuv), http_admit.c (the
 * wait queue), http_pool.c (easy handles), http_req.c (a request's set-up and
 * teardown), http_response.c (receiving, and the end of an exchange). */
#include "bridge/net/http_internal.h"

#include <assert.h>
#include <stdlib.h>

http_client_t *http_client_new(uv_loop_t *loop, const http_client_config_t *cfg)
{
    http_client_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->loop = loop;
    c->cfg = *cfg;
    if (!c->cfg.max_header_bytes) c->cfg.max_header_bytes = 256 * 1024;
    list_init(&c->reqs);
    list_init(&c->idle);
    list_init(&c->origins);
    c->multi = curl_multi_init();
    c->share = curl_share_init();
    if (!c->multi || !c->share) {
        if (c->multi) curl_multi_cleanup(c->multi);
        if (c->share) curl_share_cleanup(c->share);
        free(c);
        return NULL;
    }
    /* One thread: no lock callbacks needed. */
    if (!c->cfg.no_cookies) curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    http_loop_init(c);
    uv_timer_init(loop, &c->sweep);
    c->sweep.data = c;
    uv_unref((uv_handle_t *)&c->sweep); /* the sweep alone keeps nothing alive */
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    /* Requests beyond the budget wait in our queue (http_admit.c), so curl
     * never needs more connections than the budget. The cache keeps
     * connections for reuse even when few transfers are in flight (the default
     * cache shrinks with the number of handles, closing live ones). */
    long budget = http_connection_budget();
    c->max_active = budget;
    c->max_per_origin = budget - budget / 8;
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, budget);
    return c;
}

static void free_client_after_timer(uv_handle_t *h)
{
    http_client_t *c = h->data;
    if (--c->open_timers == 0) free(c);
}

/* Free now: no callback of ours is running. */
static void client_destroy(http_client_t *c)
{
    assert(c->dispatching == 0 && c->depth == 0);
    c->open_timers = 2;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->sweep, free_client_after_timer);
    list_node *n;
    while ((n = list_front(&c->reqs)))
        http_req_free(LIST_ENTRY(n, http_req_t, link));
    http_pool_free(c);
    http_origins_free(c);
    /* Closes the cached connections, and their poll handles in close_socket. */
    curl_multi_cleanup(c->multi);
    curl_share_cleanup(c->share);
    http_loop_close_sockets(c);
    uv_close((uv_handle_t *)&c->timer, free_client_after_timer);
}

void http_client_free(http_client_t *c)
{
    if (!c || c->free_requested) return;
    if (c->dispatching) {
        /* Inside one of our callbacks: no more callbacks, and the client goes
         * when the outermost one returns (http_client_leave). */
        c->free_requested = 1;
        c->closing = 1;
        LIST_FOR_EACH(n, &c->reqs)
        LIST_ENTRY(n, http_req_t, link)->cancelled = 1;
        return;
    }
    client_destroy(c);
}

void http_client_enter(http_client_t *c)
{
    c->dispatching++;
}

int http_client_leave(http_client_t *c)
{
    assert(c->dispatching > 0);
    if (--c->dispatching > 0 || !c->free_requested) return 0;
    client_destroy(c);
    return 1;
}

void http_client_pause(http_client_t *c, int paused)
{
    c->paused = paused;
    LIST_FOR_EACH(n, &c->reqs)
    {
        http_req_t *r = LIST_ENTRY(n, http_req_t, link);
        if (!r->added || r->paused == paused) continue;
        r->paused = paused;
        curl_easy_pause(r->easy, paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
    }
}
