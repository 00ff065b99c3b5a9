/* bridge/net/http: freeing the client from inside a request's callback
 * (on_response, on_body, on_done) against a real loopback HTTP server: no
 * callback runs afterwards, and the loop ends with every handle closed (run it
 * under AddressSanitizer for the use-after-free half). */
#include "bridge/net/http.h"
#include "check.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a loopback server: answers every request with a small body, then closes */

static uv_tcp_t server;
static int port;

typedef struct conn {
    uv_tcp_t tcp;
    uv_write_t w;
    char got[4096];
    size_t len;
    int answered;
} conn_t;

static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
                             "Connection: close\r\n\r\nhello";

static void conn_closed(uv_handle_t *h)
{
    free(h->data);
}

static void written(uv_write_t *w, int status)
{
    conn_t *k = w->data;
    uv_close((uv_handle_t *)&k->tcp, conn_closed);
}

static void alloc_cb(uv_handle_t *h, size_t want, uv_buf_t *b)
{
    conn_t *k = h->data;
    b->base = k->got + k->len;
    b->len = sizeof k->got - k->len - 1;
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn_t *k = s->data;
    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, conn_closed);
        return;
    }
    k->len += (size_t)n;
    k->got[k->len] = 0;
    if (k->answered || !strstr(k->got, "\r\n\r\n")) return;
    k->answered = 1;
    uv_read_stop(s);
    uv_buf_t out = uv_buf_init((char *)answer, sizeof answer - 1);
    k->w.data = k;
    uv_write(&k->w, s, &out, 1, written);
}

static void on_connection(uv_stream_t *srv, int status)
{
    conn_t *k = calloc(1, sizeof *k);
    uv_tcp_init(srv->loop, &k->tcp);
    k->tcp.data = k;
    if (uv_accept(srv, (uv_stream_t *)&k->tcp) == 0)
        uv_read_start((uv_stream_t *)&k->tcp, alloc_cb, read_cb);
    else
        uv_close((uv_handle_t *)&k->tcp, conn_closed);
}

static void server_start(uv_loop_t *loop)
{
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_init(loop, &server);
    uv_tcp_bind(&server, (const struct sockaddr *)&a, 0);
    uv_listen((uv_stream_t *)&server, 16, on_connection);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_tcp_getsockname(&server, (struct sockaddr *)&ss, &len);
    port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* ---- the client ------------------------------------------------------------- */

enum free_in { FREE_IN_RESPONSE, FREE_IN_BODY, FREE_IN_DONE };

static http_client_t *client;
static enum free_in where;
static int responses, bodies, dones, freed;

static void free_client_once(void)
{
    if (freed++) return;
    http_client_free(client);
    uv_close((uv_handle_t *)&server, NULL);
}

static int on_response(http_req_t *r, void *ud)
{
    responses++;
    CHECK(!freed);
    if (where == FREE_IN_RESPONSE) free_client_once();
    return 0;
}

static int on_body(http_req_t *r, void *ud, const char *p, size_t n)
{
    bodies++;
    CHECK(!freed);
    if (where == FREE_IN_BODY) free_client_once();
    return 0;
}

static void on_done(http_req_t *r, void *ud, int rc, const char *why)
{
    dones++;
    CHECK(!freed);
    CHECK(rc == 0);
    CHECK(http_req_status(r) == 200);
    if (where == FREE_IN_DONE) {
        free_client_once();
        http_req_cancel(r); /* allowed, and nothing happens: r goes when this returns */
    }
}

static const http_callbacks_t cbs = {on_response, on_body, on_done};

static void run(enum free_in w, int nreqs)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    server_start(&loop);
    where = w;
    responses = bodies = dones = freed = 0;
    http_client_config_t cfg = {.connect_timeout_s = 5};
    client = http_client_new(&loop, &cfg);
    CHECK(client != NULL);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
    for (int i = 0; i < nreqs; i++) {
        http_req_t *r = http_req_new(client, "GET", url);
        CHECK(r && http_req_start(r, &cbs, NULL) == 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT); /* ends only once every handle has closed */
    CHECK(freed == 1);
    CHECK(uv_loop_close(&loop) == 0);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    alarm(60); /* a client that cannot be freed keeps the loop running */

    run(FREE_IN_DONE, 1);
    CHECK(dones == 1);
    run(FREE_IN_DONE, 3); /* the other two never hear of it again */
    CHECK(dones == 1);
    run(FREE_IN_RESPONSE, 2);
    CHECK(responses == 1 && bodies == 0 && dones == 0);
    run(FREE_IN_BODY, 2);
    CHECK(bodies == 1 && dones == 0);

    curl_global_cleanup();
    return CHECK_DONE();
}
