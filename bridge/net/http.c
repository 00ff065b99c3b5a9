/* libcurl multi-socket driven by libuv. Calls into curl from its own callbacks
 * are not allowed, so starting and cancelling requests while curl is running a
 * callback is deferred until curl_multi_socket_action() returns.
 * Requests beyond the connection budget wait in a queue of ours, in order, and
 * are handed to curl as others finish: curl's own queue counts the wait against
 * the request's timeouts, and how fast it drains differs between versions. */
#include "bridge/net/http.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"

#include <assert.h>
#include <curl/curl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    http_client_config_t cfg;
    int depth;              /* > 0 while inside curl_multi_socket_action */
    http_req_t *reqs;       /* every live request (doubly linked) */
    struct sock_ctx *socks; /* every polled socket */
    int paused;             /* receiving is paused (backpressure) */
    uv_timer_t sweep;       /* once a second: requests that went quiet for too long */
    int sweeping;
    int open_timers; /* while closing */
    CURLSH *share;   /* cookies (load-balancer stickiness), DNS cache, TLS sessions */
    int timer_closed;
    http_req_t *idle; /* finished requests kept with their curl handle for reuse */
    int idle_len;
    int closing;
    /* Admission: at most max_active requests in curl at once, max_per_origin to
     * one scheme://host:port, so another host (the authorization server) is
     * still reached when the server's share is taken. */
    long max_active, max_per_origin;
    long active;
    struct origin *origins;
    http_req_t *wait_head, *wait_tail; /* started, not yet handed to curl (FIFO) */
};

/* Requests in curl for one scheme://host:port. Kept until the client is freed:
 * a bridge talks to a handful of origins. */
typedef struct origin {
    char *key;
    long active;
    struct origin *next;
} origin_t;

/* A set of request header lines many requests share (reference counted). */
struct http_headers {
    struct curl_slist *list;
    int refs;
};

struct http_req {
    http_client_t *c;
    http_req_t *prev, *next;
    CURL *easy;
    struct curl_slist *headers; /* lines added to this request alone */
    http_headers_t *shared;     /* or a shared set */
    char *method, *url;
    http_callbacks_t cbs;
    void *ud;
    size_t header_bytes;
    long status;
    int started, added, cancelled, responded, paused, in_done;
    int waiting;            /* in the client's wait queue */
    http_req_t *wnext;      /* next in the wait queue */
    origin_t *origin;       /* of the URL the request starts with */
    uint64_t last_activity; /* loop time of the start or the last bytes received */
    long timeout_ms;        /* an explicit whole-exchange limit, which replaces the idle ones */
    char errbuf[CURL_ERROR_SIZE];
    char abort_why[256];
    int abort_rc;
};

/* One polled socket. A connection's socket (conn: curl opened it through
 * open_socket) keeps its poll handle while the connection waits in curl's cache
 * for the next request, and loses it in close_socket just before the socket is
 * closed; any other socket curl asks to watch (the resolver's) is dropped as soon
 * as curl stops watching it. */
typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    http_client_t *c;
    int conn;
    int events;  /* what curl last asked to watch (UV_READABLE | UV_WRITABLE), 0: none */
    int closing; /* uv_close was called; freed when it completes */
    struct sock_ctx *prev, *next;
} sock_ctx_t;

/* Idle requests (and their curl handles) kept for the next ones: a reused handle
 * keeps its buffers and every option that does not change between requests. */
#define IDLE_MAX 32

static void check_done(http_client_t *c);
static int respond(http_req_t *r);
static void req_free(http_req_t *r);
static void admit_waiting(http_client_t *c);

static void run_action(http_client_t *c, curl_socket_t s, int flags)
{
    int running;
    c->depth++;
    curl_multi_socket_action(c->multi, s, flags, &running);
    c->depth--;
    if (c->depth) return;
    /* Now outside curl: apply what callbacks asked for. */
    for (http_req_t *r = c->reqs, *next; r; r = next) {
        next = r->next;
        if (r->cancelled) http_req_cancel(r);
    }
    check_done(c);
    admit_waiting(c);
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
     * under it, as it does with a blocking transfer. */
    run_action(sc->c, sc->fd, flags);
    if (status < 0 && !sc->closing && sc->events && !uv_is_active((uv_handle_t *)&sc->poll))
        uv_poll_start(&sc->poll, sc->events, on_poll);
}

static void free_sock(uv_handle_t *h)
{
    free(h->data);
}

static void sock_close(http_client_t *c, sock_ctx_t *sc)
{
    if (sc->prev)
        sc->prev->next = sc->next;
    else
        c->socks = sc->next;
    if (sc->next) sc->next->prev = sc->prev;
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
    sc->next = c->socks;
    if (c->socks) c->socks->prev = sc;
    c->socks = sc;
    return sc;
}

static sock_ctx_t *sock_find(http_client_t *c, curl_socket_t fd)
{
    for (sock_ctx_t *sc = c->socks; sc; sc = sc->next)
        if (sc->fd == fd) return sc;
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
    if (sc) sock_close(c, sc); /* before close(): the fd number may be reused at once */
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
                sock_close(c, sc);
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

/* How many connections may be open at once: half the descriptors left after
 * a reserve for stdio, files and the loop, at most 256. Without a cap, a few
 * thousand requests in flight each open a connection, and those past the
 * descriptor limit fail as if the server had refused them. The server's host
 * may use 7/8 of them, so that an authorization server can still be reached. */
static long connection_budget(void)
{
    struct rlimit rl;
    long fds = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)LONG_MAX)
        fds = (long)rl.rlim_cur;
    long budget = (fds - 64) / 2;
    if (budget > 256) budget = 256;
    if (budget < 8) budget = 8;
    return budget;
}

http_client_t *http_client_new(uv_loop_t *loop, const http_client_config_t *cfg)
{
    http_client_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->loop = loop;
    c->cfg = *cfg;
    if (!c->cfg.max_header_bytes) c->cfg.max_header_bytes = 256 * 1024;
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
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    uv_timer_init(loop, &c->sweep);
    c->sweep.data = c;
    uv_unref((uv_handle_t *)&c->sweep); /* the sweep alone keeps nothing alive */
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    /* Requests beyond the budget wait in our queue (admit_waiting), so curl
     * never needs more connections than the budget. The cache keeps
     * connections for reuse even when few transfers are in flight (the default
     * cache shrinks with the number of handles, closing live ones). */
    long budget = connection_budget();
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

void http_client_free(http_client_t *c)
{
    if (!c) return;
    c->open_timers = 2;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->sweep, free_client_after_timer);
    while (c->reqs) {
        c->reqs->cancelled = 0;
        http_req_cancel(c->reqs);
    }
    while (c->idle) {
        http_req_t *r = c->idle;
        c->idle = r->next;
        curl_easy_cleanup(r->easy);
        free(r);
    }
    while (c->origins) {
        origin_t *o = c->origins;
        c->origins = o->next;
        free(o->key);
        free(o);
    }
    /* Closes the cached connections, and their poll handles in close_socket. */
    curl_multi_cleanup(c->multi);
    curl_share_cleanup(c->share);
    while (c->socks)
        sock_close(c, c->socks);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, free_client_after_timer);
}

static size_t on_header_line(char *p, size_t size, size_t n, void *ud)
{
    http_req_t *r = ud;
    size_t len = size * n;
    if (r->cancelled) return 0;
    r->header_bytes += len;
    if (r->header_bytes > r->c->cfg.max_header_bytes) {
        snprintf(r->abort_why, sizeof r->abort_why,
                 "the response headers are larger than %zu bytes", r->c->cfg.max_header_bytes);
        r->abort_rc = BRIDGE_ETOOBIG;
        return 0;
    }
    if (len >= 5 && !memcmp(p, "HTTP/", 5)) r->header_bytes = len; /* a new header block */
    if ((len == 2 && p[0] == '\r') || (len == 1 && p[0] == '\n')) {
        /* The end of a header block: the final one unless curl follows a redirect
         * or it was an interim 1xx. */
        long code = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
        int redirect = code >= 300 && code < 400 && http_req_header(r, "Location");
        if (code >= 200 && !redirect && respond(r)) return 0;
    }
    return len;
}

/* Tell the owner about the final response once. Returns non-zero to abort. */
static int respond(http_req_t *r)
{
    if (r->responded) return 0;
    r->responded = 1;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->c->cfg.verbose) log_debug("%s %s -> HTTP %ld", r->method, r->url, r->status);
    if (r->cbs.on_response && r->cbs.on_response(r, r->ud)) {
        if (!r->abort_rc) r->abort_rc = BRIDGE_ECLOSED;
        return 1;
    }
    return 0;
}

static size_t on_body_chunk(char *p, size_t size, size_t n, void *ud)
{
    http_req_t *r = ud;
    size_t len = size * n;
    if (r->cancelled || respond(r)) return 0;
    r->last_activity = uv_now(r->c->loop);
    if (r->cbs.on_body && r->cbs.on_body(r, r->ud, p, len)) {
        if (!r->abort_rc) r->abort_rc = BRIDGE_ECLOSED;
        return 0;
    }
    return len;
}

/* A curl handle with every option that is the same for all requests. */
static CURL *easy_new(http_client_t *c, http_req_t *r)
{
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR,
                     c->cfg.allow_http_redirects ? "http,https" : "https");
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->cfg.connect_timeout_s);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header_line);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body_chunk);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, c);
    /* libcurl never reads proxy variables itself: the proxy, or none, is set
     * for each request in http_req_new from cfg.proxy. */
    curl_easy_setopt(e, CURLOPT_NOPROXY, "");
    tls_config_apply(c->cfg.tls, e);
    if (c->cfg.ipv4_only) curl_easy_setopt(e, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
    /* Cookies a server sets (load balancers pin a session to a node with one)
     * are kept in memory, shared by every request, and never written to disk;
     * with --disable-cookies the cookie engine stays off. */
    curl_easy_setopt(e, CURLOPT_SHARE, c->share);
    if (!c->cfg.no_cookies) curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");
    return e;
}

/* "Expect:" turns off curl's "Expect: 100-continue" round trip for large bodies;
 * the User-Agent line is sent as a header rather than through CURLOPT_USERAGENT,
 * which curl formats again for every request. */
static struct curl_slist *base_headers(void)
{
    struct curl_slist *l = curl_slist_append(NULL, "Expect:"), *m;
    if (!l) return NULL;
    if (!(m = curl_slist_append(l, "User-Agent: mcp-bridge/" MCP_BRIDGE_VERSION))) {
        curl_slist_free_all(l);
        return NULL;
    }
    return m;
}

http_req_t *http_req_new(http_client_t *c, const char *method, const char *url)
{
    http_req_t *r = c->idle;
    CURL *e;
    if (r) {
        c->idle = r->next;
        c->idle_len--;
        e = r->easy;
        memset(r, 0, sizeof *r);
        r->easy = e;
    } else {
        if (!(r = calloc(1, sizeof *r))) return NULL;
        if (!(r->easy = e = easy_new(c, r))) {
            free(r);
            return NULL;
        }
    }
    r->c = c;
    r->method = strdup(method);
    r->url = strdup(url);
    if (!r->method || !r->url) goto fail;
    curl_easy_setopt(e, CURLOPT_URL, url);
    /* Proxies from the environment only when asked (--enable-proxy): a proxy
     * sees every request, and a variable set for other tools should not route
     * credentials through it silently. "" keeps libcurl from reading them. */
    const char *proxy = c->cfg.proxy ? proxy_for_url(c->cfg.proxy, url) : NULL;
    curl_easy_setopt(e, CURLOPT_PROXY, proxy ? proxy : "");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 0L);
    if (!strcmp(method, "POST")) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, ""); /* never read a body from stdin */
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
    }
    r->next = c->reqs;
    if (c->reqs) c->reqs->prev = r;
    c->reqs = r;
    return r;
fail:
    curl_easy_cleanup(r->easy);
    free(r->method);
    free(r->url);
    free(r);
    return NULL;
}

int http_req_add_header(http_req_t *r, const char *line)
{
    if (!r->headers && !(r->headers = base_headers())) return BRIDGE_ENOMEM;
    struct curl_slist *l = curl_slist_append(r->headers, line);
    if (!l) return BRIDGE_ENOMEM;
    r->headers = l;
    return 0;
}

http_headers_t *http_headers_new(void)
{
    http_headers_t *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->refs = 1;
    if (!(h->list = base_headers())) {
        free(h);
        return NULL;
    }
    return h;
}

int http_headers_add(http_headers_t *h, const char *line)
{
    struct curl_slist *l = curl_slist_append(h->list, line);
    if (!l) return BRIDGE_ENOMEM;
    h->list = l;
    return 0;
}

/* Header lines may carry credentials: wipe them before they are freed. */
static void free_lines(struct curl_slist *l)
{
    for (struct curl_slist *i = l; i; i = i->next)
        OPENSSL_cleanse(i->data, strlen(i->data));
    curl_slist_free_all(l);
}

void http_headers_unref(http_headers_t *h)
{
    if (!h || --h->refs > 0) return;
    free_lines(h->list);
    free(h);
}

void http_req_use_headers(http_req_t *r, http_headers_t *h)
{
    h->refs++;
    http_headers_unref(r->shared);
    r->shared = h;
}

void http_req_set_body(http_req_t *r, const char *body, size_t len)
{
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
}

void http_req_set_timeout_ms(http_req_t *r, long ms)
{
    r->timeout_ms = ms;
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, ms);
}

void http_req_set_follow(http_req_t *r, int follow)
{
    curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
}

/* scheme://host:port of a URL (what follows is cut at the first '/', '?' or '#'). */
static origin_t *origin_of(http_client_t *c, const char *url)
{
    const char *p = strstr(url, "://");
    size_t n = p ? (size_t)(p + 3 - url) + strcspn(p + 3, "/?#") : strlen(url);
    for (origin_t *o = c->origins; o; o = o->next)
        if (strlen(o->key) == n && !strncasecmp(o->key, url, n)) return o;
    origin_t *o = calloc(1, sizeof *o);
    if (!o || !(o->key = strndup(url, n))) {
        free(o);
        return NULL;
    }
    o->next = c->origins;
    c->origins = o;
    return o;
}

static void unqueue(http_req_t *r)
{
    http_client_t *c = r->c;
    http_req_t *prev = NULL;
    for (http_req_t *w = c->wait_head; w; prev = w, w = w->wnext) {
        if (w != r) continue;
        if (prev)
            prev->wnext = r->wnext;
        else
            c->wait_head = r->wnext;
        if (c->wait_tail == r) c->wait_tail = prev;
        break;
    }
    r->waiting = 0;
    r->wnext = NULL;
}

/* Out of curl: its place goes to the next request waiting. */
static void retire(http_req_t *r)
{
    assert(r->added);
    curl_multi_remove_handle(r->c->multi, r->easy);
    r->added = 0;
    r->c->active--;
    r->origin->active--;
}

/* Hand waiting requests to curl, oldest first, while the budget allows; one
 * whose origin has its full share waits without holding up the others. Not
 * from inside curl (depth 0 only). */
static void admit_waiting(http_client_t *c)
{
    assert(c->depth == 0);
    http_req_t *prev = NULL;
    for (http_req_t *r = c->wait_head, *next; r && c->active < c->max_active; r = next) {
        next = r->wnext;
        if (r->origin->active >= c->max_per_origin) {
            prev = r;
            continue;
        }
        if (prev)
            prev->wnext = next;
        else
            c->wait_head = next;
        if (c->wait_tail == r) c->wait_tail = prev;
        r->waiting = 0;
        r->wnext = NULL;
        if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
            /* Only out of memory: report it as this request's end. */
            r->in_done = 1;
            if (r->cbs.on_done) r->cbs.on_done(r, r->ud, BRIDGE_ENOMEM, "out of memory");
            req_free(r);
            return admit_waiting(c); /* on_done may have changed the queue */
        }
        r->added = 1;
        c->active++;
        r->origin->active++;
        r->last_activity = uv_now(c->loop); /* the limits count from here */
    }
}

/* --headers-timeout and --body-timeout: one timer for every request. */
static void on_sweep(uv_timer_t *t)
{
    http_client_t *c = t->data;
    uint64_t now = uv_now(c->loop);
    for (http_req_t *r = c->reqs, *next; r; r = next) {
        next = r->next;
        if (!r->added || r->cancelled || r->paused || r->timeout_ms) continue;
        long limit_s = r->responded ? c->cfg.body_timeout_s : c->cfg.headers_timeout_s;
        if (limit_s <= 0 || now - r->last_activity < (uint64_t)limit_s * 1000) continue;
        snprintf(r->abort_why, sizeof r->abort_why,
                 r->responded ? "no data for %ld s (--body-timeout)"
                              : "no response headers within %ld s (--headers-timeout)",
                 limit_s);
        if (c->cfg.verbose) log_debug("%s %s: %s", r->method, r->url, r->abort_why);
        retire(r);
        r->in_done = 1;
        if (r->cbs.on_done) r->cbs.on_done(r, r->ud, BRIDGE_ETIMEOUT, r->abort_why);
        req_free(r);
        next = c->reqs; /* on_done may have cancelled others: start over */
    }
    admit_waiting(c);
}

int http_req_start(http_req_t *r, const http_callbacks_t *cbs, void *ud)
{
    r->cbs = *cbs;
    r->ud = ud;
    if (!r->headers && !r->shared && !(r->headers = base_headers())) return BRIDGE_ENOMEM;
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers ? r->headers : r->shared->list);
    r->started = 1;
    r->last_activity = uv_now(r->c->loop);
    http_client_t *c = r->c;
    if (!c->sweeping && (c->cfg.headers_timeout_s > 0 || c->cfg.body_timeout_s > 0)) {
        c->sweeping = 1;
        uv_timer_start(&c->sweep, on_sweep, 1000, 1000);
    }
    if (!r->origin && !(r->origin = origin_of(c, r->url))) return BRIDGE_ENOMEM;
    r->waiting = 1;
    r->wnext = NULL;
    if (c->wait_tail)
        c->wait_tail->wnext = r;
    else
        c->wait_head = r;
    c->wait_tail = r;
    if (!c->depth) admit_waiting(c); /* else when curl returns */
    return 0;
}

static void req_free(http_req_t *r)
{
    http_client_t *c = r->c;
    if (r->added) retire(r);
    if (r->waiting) unqueue(r);
    free_lines(r->headers);
    http_headers_unref(r->shared);
    if (r->prev)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next) r->next->prev = r->prev;
    free(r->method);
    free(r->url);
    /* A paused handle would carry its pause into the next request. */
    if (c->closing || r->paused || c->idle_len >= IDLE_MAX) {
        curl_easy_cleanup(r->easy);
        free(r);
        return;
    }
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, NULL);
    r->next = c->idle;
    c->idle = r;
    c->idle_len++;
}

void http_req_cancel(http_req_t *r)
{
    if (!r || r->in_done) return; /* freed by check_done() after on_done returns */
    http_client_t *c = r->c;
    if (c->depth) {
        r->cancelled = 1; /* freed when curl returns */
        return;
    }
    req_free(r);
    if (!c->closing) admit_waiting(c);
}

void http_req_set_error(http_req_t *r, int rc, const char *why)
{
    assert(rc < 0);
    if (r->abort_rc) return; /* the first reason stands */
    r->abort_rc = rc;
    snprintf(r->abort_why, sizeof r->abort_why, "%s", why);
}

static const char *describe(CURLcode cc, http_req_t *r, int *rc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
        *rc = BRIDGE_ECONNECT;
        return "cannot resolve the host name of the proxy (--enable-proxy, HTTPS_PROXY/HTTP_PROXY)";
    case CURLE_COULDNT_RESOLVE_HOST:
        *rc = BRIDGE_ECONNECT;
        return "cannot resolve the host name";
    case CURLE_COULDNT_CONNECT:
        *rc = BRIDGE_ECONNECT;
        if (r->c->cfg.proxy && proxy_for_url(r->c->cfg.proxy, r->url))
            return "the proxy (--enable-proxy, HTTPS_PROXY/HTTP_PROXY) refused the connection or "
                   "is unreachable";
        return "connection refused or unreachable";
    case CURLE_OPERATION_TIMEDOUT:
        *rc = BRIDGE_ETIMEOUT;
        return "timed out";
    case CURLE_PEER_FAILED_VERIFICATION:
        *rc = BRIDGE_ECONNECT;
        return "its TLS certificate is not trusted; if a private CA issued it, pass --cacert FILE "
               "or set NODE_EXTRA_CA_CERTS";
    case CURLE_SSL_CERTPROBLEM:
        *rc = BRIDGE_ECONNECT;
        return "the client certificate (--cert, --key) could not be used";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        *rc = BRIDGE_ECONNECT;
        /* TLS 1.3 servers send these alerts after the handshake, so they may
         * come as a receive error too. */
        if (strstr(r->errbuf, "alert certificate required"))
            return "the server requires a client certificate; pass --cert FILE --key FILE";
        if (strstr(r->errbuf, "alert unknown ca") || strstr(r->errbuf, "alert bad certificate"))
            return "the server refused the client certificate (--cert)";
        if (cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR) break;
        return "TLS handshake failed";
    case CURLE_TOO_MANY_REDIRECTS:
        *rc = BRIDGE_EPROTO;
        return "too many redirects";
    case CURLE_UNSUPPORTED_PROTOCOL:
        *rc = BRIDGE_EPROTO;
        return "redirected to a refused URL scheme";
    case CURLE_GOT_NOTHING:
        *rc = BRIDGE_EPROTO;
        return "the server closed the connection without answering";
    case CURLE_PARTIAL_FILE: {
        /* Said in our words: libcurl's own changed between versions. */
        curl_off_t want = -1, got = 0;
        curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &want);
        curl_easy_getinfo(r->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
        *rc = BRIDGE_EPROTO;
        if (want > got)
            snprintf(r->errbuf, sizeof r->errbuf,
                     "the server closed the connection with %" CURL_FORMAT_CURL_OFF_T
                     " bytes of the response missing",
                     want - got);
        else
            snprintf(r->errbuf, sizeof r->errbuf,
                     "the server closed the connection before the end of the response");
        return r->errbuf;
    }
    default:
        break;
    }
    *rc = BRIDGE_EIO;
    return r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc);
}

static void check_done(http_client_t *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        http_req_t *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode cc = m->data.result;
        retire(r);
        int rc = 0;
        char why[512] = "";
        if (r->abort_rc) {
            rc = r->abort_rc;
            snprintf(why, sizeof why, "%s", r->abort_why[0] ? r->abort_why : "aborted");
        } else if (cc != CURLE_OK) {
            const char *d = describe(cc, r, &rc);
            if (r->errbuf[0] && strcmp(d, r->errbuf) != 0)
                snprintf(why, sizeof why, "%s (%s)", d, r->errbuf);
            else
                snprintf(why, sizeof why, "%s", d);
        } else if (respond(r)) {
            rc = r->abort_rc;
            snprintf(why, sizeof why, "aborted");
        }
        if (rc && c->cfg.verbose) log_debug("%s %s failed: %s", r->method, r->url, why);
        r->in_done = 1;
        if (!r->cancelled && r->cbs.on_done) r->cbs.on_done(r, r->ud, rc, why);
        req_free(r);
    }
}

long http_req_status(const http_req_t *r)
{
    return r->status;
}

const char *http_req_header(http_req_t *r, const char *name)
{
    struct curl_header *h;
    if (curl_easy_header(r->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK) return NULL;
    return h->value;
}

char *http_req_header_all(http_req_t *r, const char *name)
{
    struct curl_header *h;
    size_t amount = 0;
    if (curl_easy_header(r->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK) return NULL;
    amount = h->amount;
    size_t total = 0;
    for (size_t i = 0; i < amount; i++)
        if (curl_easy_header(r->easy, name, i, CURLH_HEADER, -1, &h) == CURLHE_OK)
            total += strlen(h->value) + 2;
    char *out = malloc(total + 1), *p = out;
    if (!out) return NULL;
    *p = 0;
    for (size_t i = 0; i < amount; i++) {
        if (curl_easy_header(r->easy, name, i, CURLH_HEADER, -1, &h) != CURLHE_OK) continue;
        p += sprintf(p, "%s%s", p == out ? "" : ", ", h->value);
    }
    return out;
}

const char *http_req_method(const http_req_t *r)
{
    return r->method;
}

const char *http_req_url(const http_req_t *r)
{
    return r->url;
}

const char *http_req_effective_url(http_req_t *r)
{
    char *u = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &u);
    return u ? u : r->url;
}

void http_client_pause(http_client_t *c, int paused)
{
    c->paused = paused;
    for (http_req_t *r = c->reqs; r; r = r->next) {
        if (!r->added || r->paused == paused) continue;
        r->paused = paused;
        curl_easy_pause(r->easy, paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
    }
}
