/* oauth_free and oauth_cancel while an exchange is in flight: the exchange is
 * cancelled (the server sees the connection close), no callback of the flow
 * runs afterwards, and a done callback may free the flow. Run it under ASan:
 * a step running on freed memory shows there. */
#include "bridge/base/err.h"
#include "bridge/net/http.h"
#include "check.h"
#include "oauth/oauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* A server that reads requests and answers only when told to. */
typedef struct conn {
    uv_tcp_t tcp;
    int open;
} conn_t;

static uv_loop_t *loop;
static uv_tcp_t listener;
static conn_t conns[8];
static int nconns, requests_seen, closed_by_peer;
static int port;

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *b)
{
    static char mem[65536];
    (void)h;
    (void)size;
    *b = uv_buf_init(mem, sizeof mem);
}

/* Whether p[0..n) holds the blank line that ends a request's headers. */
static int has_header_end(const char *p, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++)
        if (!memcmp(p + i, "\r\n\r\n", 4)) return 1;
    return 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn_t *c = (conn_t *)s;
    if (n > 0 && has_header_end(b->base, (size_t)n)) requests_seen++;
    if (n < 0) {
        closed_by_peer++;
        c->open = 0;
        uv_close((uv_handle_t *)s, NULL);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0 || nconns == 8) return;
    conn_t *c = &conns[nconns++];
    uv_tcp_init(loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) == 0) {
        c->open = 1;
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
    }
}

static void answer_all(void)
{
    static char resp[512];
    char body[256];
    snprintf(body, sizeof body,
             "{\"resource\":\"http://127.0.0.1:%d/mcp\",\"authorization_servers\":"
             "[\"http://127.0.0.1:%d\"]}",
             port, port);
    snprintf(resp, sizeof resp,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    for (int i = 0; i < nconns; i++) {
        if (!conns[i].open) continue;
        static uv_write_t w[8];
        uv_buf_t b = uv_buf_init(resp, (unsigned)strlen(resp));
        uv_write(&w[i], (uv_stream_t *)&conns[i].tcp, &b, 1, NULL);
    }
}

static void on_timer(uv_timer_t *t)
{
    (void)t;
}

/* Run the loop for about `ms` milliseconds. */
static void run_for(uint64_t ms)
{
    uv_timer_t t;
    uv_timer_init(loop, &t);
    uv_timer_start(&t, on_timer, ms, 0);
    while (uv_is_active((uv_handle_t *)&t))
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

/* Run until the server has seen `n` requests (or two seconds passed). */
static void run_until_requests(int n)
{
    for (int i = 0; i < 200 && requests_seen < n; i++)
        run_for(10);
}

typedef struct done {
    int calls, rc;
    oauth_t *free_me; /* freed from inside the callback when set */
} done_t;

static void on_done(void *ud, int rc, const char *why)
{
    done_t *d = ud;
    (void)why;
    d->calls++;
    d->rc = rc;
    if (d->free_me) oauth_free(d->free_me);
}

static oauth_t *new_flow(http_client_t *http, char *url)
{
    oauth_config_t cfg = {.loop = loop, .http = http, .server_url = url, .no_browser = 1};
    char err[256];
    return oauth_new(&cfg, err, sizeof err);
}

static void reset_server(void)
{
    nconns = requests_seen = closed_by_peer = 0;
}

int main(void)
{
    loop = uv_default_loop();
    uv_tcp_init(loop, &listener);
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    CHECK(uv_tcp_bind(&listener, (const struct sockaddr *)&addr, 0) == 0);
    CHECK(uv_listen((uv_stream_t *)&listener, 8, on_connection) == 0);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_tcp_getsockname(&listener, (struct sockaddr *)&ss, &len);
    port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/mcp", port);

    http_client_config_t hc = {.connect_timeout_s = 5};
    http_client_t *http = http_client_new(loop, &hc);

    /* 1. oauth_free with the discovery request in flight. */
    reset_server();
    oauth_t *o = new_flow(http, url);
    done_t d = {0};
    oauth_handle_challenge(o, 401, NULL, on_done, &d);
    CHECK(d.calls == 0); /* never from within the call */
    run_until_requests(1);
    CHECK(requests_seen == 1);
    oauth_free(o);
    CHECK(d.calls == 1 && d.rc == BRIDGE_ECLOSED);
    run_for(100);
    CHECK(closed_by_peer == 1); /* the exchange was cancelled */
    answer_all();
    run_for(200);
    CHECK(d.calls == 1);
    CHECK(requests_seen == 1); /* no step ran after the free */

    /* 2. oauth_cancel with the request in flight: the run ends, and when the
     * server answers nothing goes on. */
    reset_server();
    o = new_flow(http, url);
    memset(&d, 0, sizeof d);
    oauth_handle_challenge(o, 401, NULL, on_done, &d);
    run_until_requests(1);
    oauth_cancel(o);
    CHECK(d.calls == 1 && d.rc == BRIDGE_ECLOSED);
    answer_all();
    run_for(200);
    CHECK(d.calls == 1);
    CHECK(requests_seen == 1);
    oauth_free(o);
    run_for(20);

    /* 3. A done callback that frees the flow (the relay's shutdown does). */
    reset_server();
    o = new_flow(http, url);
    done_t a = {0}, b = {0};
    a.free_me = o;
    oauth_handle_challenge(o, 401, NULL, on_done, &a);
    oauth_handle_challenge(o, 401, NULL, on_done, &b); /* joins the run */
    run_until_requests(1);
    oauth_cancel(o);
    CHECK(a.calls == 1 && b.calls == 1);
    run_for(100);
    CHECK(closed_by_peer == 1);
    answer_all();
    run_for(100);
    CHECK(a.calls == 1 && b.calls == 1 && requests_seen == 1);

    http_client_free(http);
    for (int i = 0; i < nconns; i++)
        if (conns[i].open) uv_close((uv_handle_t *)&conns[i].tcp, NULL);
    uv_close((uv_handle_t *)&listener, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(loop) == 0);
    return CHECK_DONE();
}
