/* libcurl's multi-socket API driven by the libuv loop: one uv_poll_t per socket
 * curl watches, one uv_timer_t for curl's timeouts. Calls into curl from its
 * own callbacks are not allowed, so what callbacks ask for (cancelling,
 * starting) is applied when curl_multi_socket_action() returns. */
#include "bridge/net/http_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* One polled socket. A connection's socket (conn: curl opened it through
 * open_socket) keeps its poll handle while the connection waits in curl's cache
 * for the next request, and loses it in close_socket just before the socket is
 * closed; any other socket curl asks to watch (the resolver's) is dropped as soon
 * as curl stops watching it. */
typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    http_client_t *c;
    list_node link; /* in c->socks until closing */
    int conn;
    int events;  /* what curl last asked to watch (UV_READABLE | UV_WRITABLE), 0: none */
    int closing; /* uv_close was called; freed when it completes */
} sock_ctx_t;

static void run_action(http_client_t *c, curl_socket_t s, int flags)
{
    int running;
    http_client_enter(c);
    c->depth++;
    curl_multi_socket_action(c->multi, s, flags, &running);
    c->depth--;
    if (!c->depth) {
        /* Now outside curl: apply what callbacks asked for. */
        LIST_FOR_EACH_SAFE(n, tmp, &c->reqs)
        {
            http_req_t *r = LIST_ENTRY(n, http_req_t, link);
            if (r->cancelled) http_req_free(r);
        }
        http_check_done(c);
        http_admit_waiting(c);
    }
    http_client_leave(c);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock_ctx_t *sc = h->data;
    int flags = 0;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    /* An error condition (a reset, say) comes with no events, and libuv stops the
     * handle. Rather than CURL_CSELECT_ERR, which fails the transfer on the spot,
     * pass no flags: curl then looks at the socket itself, meets the error in
     * recv or send, and retries a request whose reused connection was closed
     * under it, as it does with a blocking transfer. sc outlives run_action even
     * when the client is freed in it: it is freed only when its close completes. */
    run_action(sc->c, sc->fd, flags);
    if (status < 0 && !sc->closing && sc->events && !uv_is_active((uv_handle_t *)&sc->poll))
        uv_poll_start(&sc->poll, sc->events, on_poll);
}

static void free_sock(uv_handle_t *h)
{
    free(h->data);
}

static void sock_close(sock_ctx_t *sc)
{
    assert(!sc->closing);
    list_remove(&sc->link);
    sc->closing = 1;
    uv_close((uv_handle_t *)&sc->poll, free_sock);
}

static sock_ctx_t *sock_new(http_client_t *c, curl_socket_t fd, int conn)
{
    sock_ctx_t *sc = calloc(1, sizeof *sc);
    if (!sc) return NULL;
    sc->fd = fd;
    sc->c = c;
    sc->conn = conn;
    if (uv_poll_init_socket(c->loop, &sc->poll, fd) != 0) {
        free(sc);
        return NULL;
    }
    sc->poll.data = sc;
    list_node_init(&sc->link);
    list_push_front(&c->socks, &sc->link);
    return sc;
}

static sock_ctx_t *sock_find(http_client_t *c, curl_socket_t fd)
{
    LIST_FOR_EACH(n, &c->socks)
    {
        sock_ctx_t *sc = LIST_ENTRY(n, sock_ctx_t, link);
        if (sc->fd == fd) return sc;
    }
    return NULL;
}

static curl_socket_t open_socket(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
    http_client_t *c = userp;
    (void)purpose;
    curl_socket_t fd = socket(a->family, a->socktype, a->protocol);
    if (fd == CURL_SOCKET_BAD) return fd;
    if (!sock_new(c, fd, 1)) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    return fd;
}

static int close_socket(void *userp, curl_socket_t fd)
{
    http_client_t *c = userp;
    sock_ctx_t *sc = sock_find(c, fd);
    if (sc) sock_close(sc); /* before close(): the fd number may be reused at once */
    return close(fd);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    http_client_t *c = userp;
    sock_ctx_t *sc = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            sc->events = 0;
            if (sc->conn)
                uv_poll_stop(&sc->poll);
            else
                sock_close(sc);
            curl_multi_assign(c->multi, s, NULL);
        }
        return 0;
    }
    if (!sc) {
        sc = sock_find(c, s);
        if (!sc && !(sc = sock_new(c, s, 0))) return -1;
        curl_multi_assign(c->multi, s, sc);
    }
    int ev = 0;
    if (what & CURL_POLL_IN) ev |= UV_READABLE;
    if (what & CURL_POLL_OUT) ev |= UV_WRITABLE;
    sc->events = ev;
    uv_poll_start(&sc->poll, ev, on_poll);
    return 0;
}

static void on_timer(uv_timer_t *t)
{
    run_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    http_client_t *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

void http_loop_init(http_client_t *c)
{
    list_init(&c->socks);
    uv_timer_init(c->loop, &c->timer);
    c->timer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
}

/* Every connection's socket goes through open_socket and close_socket, so a
 * connection curl keeps for reuse keeps its poll handle. */
void http_loop_set_easy_sockets(http_client_t *c, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, c);
}

/* After curl_multi_cleanup: the poll handles of sockets curl left behind. */
void http_loop_close_sockets(http_client_t *c)
{
    while (!list_empty(&c->socks))
        sock_close(LIST_ENTRY(list_front(&c->socks), sock_ctx_t, link));
    uv_timer_stop(&c->timer);
}
