/* Loopback redirect listener on libuv TCP. Each connection is read up to a
 * bound and a deadline; only a GET of OAUTH_CALLBACK_PATH with the right state
 * completes the flow. Anything else gets a small error page and is forgotten. */
#include "oauth/callback.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"
#include "bridge/base/list.h"
#include "bridge/base/log.h"
#include "oauth/callback_parse.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONN_TIMEOUT_MS 10000

typedef struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    oauth_callback_t *owner;
    list_node link; /* on the owner's conns until closing */
    buf_t in;
    int closing, handles;
} conn_t;

struct oauth_callback {
    uv_loop_t *loop;
    uv_tcp_t listen4, listen6;
    int has6, port;
    uv_timer_t deadline;
    char *state, *path, *success_url;
    oauth_callback_cb cb;
    void *ud;
    list_node conns; /* conn_t, open ones */
    int handles, closing, done;
    /* libuv reads into this, one read at a time; each read is copied into its
     * connection's buffer and wiped at once: it may hold the code. */
    char chunk[4096];
};

static const char page_ok[] =
    "<!doctype html><meta charset=utf-8><title>Signed in</title>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Signed in</h1>"
    "<p>mcp-bridge received the authorization. You can close this tab.</p>";
static const char page_error[] =
    "<!doctype html><meta charset=utf-8><title>Sign-in failed</title>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Sign-in failed</h1>"
    "<p>mcp-bridge could not use this answer; the reason is in its log. You can close "
    "this tab.</p>";
static const char page_unknown[] =
    "<!doctype html><meta charset=utf-8><title>Not found</title><p>Not found.</p>";

static void owner_maybe_free(oauth_callback_t *c)
{
    if (c->closing && c->handles == 0) {
        OPENSSL_cleanse(c->chunk, sizeof c->chunk);
        free(c->state);
        free(c->path);
        free(c->success_url);
        free(c);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    oauth_callback_t *c = h->data;
    c->handles--;
    owner_maybe_free(c);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    conn_t *k = h->data;
    if (--k->handles > 0) return;
    oauth_callback_t *c = k->owner;
    buf_free_secret(&k->in);
    free(k);
    c->handles--;
    owner_maybe_free(c);
}

static void conn_close(conn_t *k)
{
    if (k->closing) return;
    k->closing = 1;
    assert(list_linked(&k->link)); /* open connections are on their owner's list */
    list_remove(&k->link);
    uv_close((uv_handle_t *)&k->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&k->timer, on_conn_handle_closed);
}

static void close_all(oauth_callback_t *c)
{
    if (c->closing) return;
    c->closing = 1;
    while (!list_empty(&c->conns))
        conn_close(LIST_ENTRY(list_front(&c->conns), conn_t, link));
    uv_close((uv_handle_t *)&c->listen4, on_handle_closed);
    if (c->has6) uv_close((uv_handle_t *)&c->listen6, on_handle_closed);
    uv_close((uv_handle_t *)&c->deadline, on_handle_closed);
}

typedef struct write_req {
    uv_write_t req;
    conn_t *k;
    char *data;
} write_req_t;

static void on_written(uv_write_t *req, int status)
{
    write_req_t *w = (write_req_t *)req;
    free(w->data);
    conn_close(w->k);
    free(w);
}

static void respond(conn_t *k, int code, const char *reason, const char *page)
{
    write_req_t *w = malloc(sizeof *w);
    char *data = malloc(strlen(page) + 256);
    if (!w || !data) {
        free(w);
        free(data);
        conn_close(k);
        return;
    }
    int n = sprintf(data,
                    "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                    "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n%s",
                    code, reason, strlen(page), page);
    w->k = k;
    w->data = data;
    uv_buf_t b = uv_buf_init(data, (unsigned)n);
    uv_read_stop((uv_stream_t *)&k->tcp);
    if (uv_write(&w->req, (uv_stream_t *)&k->tcp, &b, 1, on_written) != 0) {
        free(data);
        free(w);
        conn_close(k);
    }
}

static void redirect(conn_t *k, const char *url)
{
    write_req_t *w = malloc(sizeof *w);
    size_t n = strlen(url) + 200;
    char *data = malloc(n);
    if (!w || !data) {
        free(w);
        free(data);
        conn_close(k);
        return;
    }
    int len = snprintf(data, n,
                       "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n"
                       "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                       url);
    w->k = k;
    w->data = data;
    uv_buf_t b = uv_buf_init(data, (unsigned)len);
    uv_read_stop((uv_stream_t *)&k->tcp);
    if (uv_write(&w->req, (uv_stream_t *)&k->tcp, &b, 1, on_written) != 0) {
        free(data);
        free(w);
        conn_close(k);
    }
}

static void finish(oauth_callback_t *c, int rc, const char *code, const char *iss, const char *why)
{
    if (c->done) return;
    c->done = 1;
    oauth_callback_cb cb = c->cb;
    void *ud = c->ud;
    /* Stop listening at once; connections in flight finish their page. */
    uv_close((uv_handle_t *)&c->listen4, on_handle_closed);
    if (c->has6) uv_close((uv_handle_t *)&c->listen6, on_handle_closed);
    c->has6 = 0;
    uv_timer_stop(&c->deadline);
    c->cb = NULL;
    if (cb) cb(ud, rc, code, iss, why);
}

static void handle_request(conn_t *k)
{
    oauth_callback_t *c = k->owner;
    oauth_callback_params_t p;
    int rc = oauth_callback_parse(k->in.data, k->in.len, c->path, &p);
    if (rc == OAUTH_CALLBACK_NEED_MORE) return;
    OPENSSL_cleanse(k->in.data, k->in.len); /* parsed: the copy in p is wiped by its free */
    if (rc < 0) {
        respond(k, 400, "Bad Request", page_error);
        return;
    }
    if (!p.path_ok) {
        respond(k, 404, "Not Found", page_unknown);
    } else if (c->done || !c->state || !p.state || strlen(p.state) != strlen(c->state) ||
               CRYPTO_memcmp(p.state, c->state, strlen(c->state)) != 0) {
        log_error("the sign-in redirect carried a wrong or missing state; ignored");
        respond(k, 400, "Bad Request", page_error);
    } else if (p.error) {
        char why[600];
        snprintf(why, sizeof why, "the authorization server refused: %.100s%s%.400s", p.error,
                 p.error_description ? " - " : "", p.error_description ? p.error_description : "");
        respond(k, 200, "OK", page_error);
        finish(c, BRIDGE_EHTTP, NULL, NULL, why);
    } else if (!p.code || !*p.code) {
        respond(k, 400, "Bad Request", page_error);
        finish(c, BRIDGE_EPROTO, NULL, NULL, "the sign-in redirect carried no code");
    } else {
        if (c->success_url)
            redirect(k, c->success_url);
        else
            respond(k, 200, "OK", page_ok);
        finish(c, 0, p.code, p.iss, NULL);
    }
    oauth_callback_params_free(&p);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    conn_t *k = h->data;
    b->base = k->owner->chunk;
    b->len = sizeof k->owner->chunk;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn_t *k = s->data;
    if (n < 0) {
        conn_close(k);
        return;
    }
    if (n == 0) return;
    int rc = buf_append(&k->in, b->base, (size_t)n);
    OPENSSL_cleanse(b->base, (size_t)n);
    if (rc != 0) {
        respond(k, 431, "Request Header Fields Too Large", page_error);
        return;
    }
    handle_request(k);
}

static void on_conn_timeout(uv_timer_t *t)
{
    conn_close(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    oauth_callback_t *c = server->data;
    if (status < 0 || c->done) return;
    conn_t *k = calloc(1, sizeof *k);
    if (!k) return;
    k->owner = c;
    buf_init_secret(&k->in, OAUTH_CALLBACK_MAX_REQUEST + 1);
    uv_tcp_init(c->loop, &k->tcp);
    uv_timer_init(c->loop, &k->timer);
    k->tcp.data = k->timer.data = k;
    k->handles = 2;
    c->handles++;
    list_node_init(&k->link);
    list_push_front(&c->conns, &k->link);
    if (uv_accept(server, (uv_stream_t *)&k->tcp) != 0) {
        conn_close(k);
        return;
    }
    uv_timer_start(&k->timer, on_conn_timeout, CONN_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&k->tcp, on_alloc, on_read);
}

static void on_deadline(uv_timer_t *t)
{
    finish(t->data, BRIDGE_ETIMEOUT, NULL, NULL, "no sign-in arrived before the time limit");
}

static int bind_listen(uv_loop_t *loop, uv_tcp_t *h, const char *ip, int port, int v6,
                       oauth_callback_t *c)
{
    uv_tcp_init(loop, h);
    h->data = c;
    c->handles++;
    struct sockaddr_storage ss;
    if (v6)
        uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss);
    else
        uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss);
    int rc = uv_tcp_bind(h, (struct sockaddr *)&ss, v6 ? UV_TCP_IPV6ONLY : 0);
    if (!rc) rc = uv_listen((uv_stream_t *)h, 8, on_connection);
    return rc;
}

int oauth_callback_listen(uv_loop_t *loop, int port, int also_ipv6, const char *path,
                          oauth_callback_t **out)
{
    *out = NULL;
    oauth_callback_t *c = calloc(1, sizeof *c);
    if (!c) return BRIDGE_ENOMEM;
    list_init(&c->conns);
    c->path = strdup(path ? path : OAUTH_CALLBACK_PATH);
    c->loop = loop;
    uv_timer_init(loop, &c->deadline);
    c->deadline.data = c;
    c->handles++;
    int rc = bind_listen(loop, &c->listen4, "127.0.0.1", port, 0, c);
    if (rc) {
        c->closing = 1;
        uv_close((uv_handle_t *)&c->listen4, on_handle_closed);
        uv_close((uv_handle_t *)&c->deadline, on_handle_closed);
        return BRIDGE_EIO;
    }
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_tcp_getsockname(&c->listen4, (struct sockaddr *)&ss, &len);
    c->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (also_ipv6) {
        if (bind_listen(loop, &c->listen6, "::1", c->port, 1, c) == 0) {
            c->has6 = 1;
        } else {
            uv_close((uv_handle_t *)&c->listen6, on_handle_closed);
        }
    }
    *out = c;
    return 0;
}

int oauth_callback_port(const oauth_callback_t *c)
{
    return c->port;
}

void oauth_callback_wait(oauth_callback_t *c, const char *state, long timeout_ms,
                         const char *success_url, oauth_callback_cb cb, void *ud)
{
    free(c->state);
    c->state = strdup(state);
    free(c->success_url);
    c->success_url = success_url ? strdup(success_url) : NULL;
    c->cb = cb;
    c->ud = ud;
    uv_timer_start(&c->deadline, on_deadline, (uint64_t)timeout_ms, 0);
}

void oauth_callback_close(oauth_callback_t *c)
{
    if (!c) return;
    c->cb = NULL;
    if (c->done) {
        /* listeners are closed already */
        c->closing = 1;
        while (!list_empty(&c->conns))
            conn_close(LIST_ENTRY(list_front(&c->conns), conn_t, link));
        uv_close((uv_handle_t *)&c->deadline, on_handle_closed);
        return;
    }
    close_all(c);
}
