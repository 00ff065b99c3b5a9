/* The curl easy handles: made with every option that is the same for all
 * requests, and kept (up to IDLE_MAX) with their request structure when a
 * request ends, so the next one reuses the buffers and those options. */
#include "bridge/net/http_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define IDLE_MAX 32

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
    http_response_set_callbacks(e, r);
    http_loop_set_easy_sockets(c, e);
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

/* A zeroed request with a curl handle: a kept one, or a new one. NULL when out
 * of memory. */
http_req_t *http_pool_take(http_client_t *c)
{
    http_req_t *r;
    list_node *n = list_pop_front(&c->idle);
    if (n) {
        r = LIST_ENTRY(n, http_req_t, link);
        c->idle_len--;
        CURL *e = r->easy;
        memset(r, 0, sizeof *r);
        r->easy = e;
    } else {
        if (!(r = calloc(1, sizeof *r))) return NULL;
        if (!(r->easy = easy_new(c, r))) {
            free(r);
            return NULL;
        }
    }
    r->c = c;
    list_node_init(&r->link);
    list_node_init(&r->wait_link);
    return r;
}

void http_pool_put(http_req_t *r)
{
    http_client_t *c = r->c;
    assert(!r->added && !list_linked(&r->link) && !list_linked(&r->wait_link));
    /* A paused handle would carry its pause into the next request. */
    if (c->closing || r->paused || c->idle_len >= IDLE_MAX) {
        curl_easy_cleanup(r->easy);
        free(r);
        return;
    }
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, NULL);
    list_push_front(&c->idle, &r->link);
    c->idle_len++;
}

void http_pool_free(http_client_t *c)
{
    list_node *n;
    while ((n = list_pop_front(&c->idle))) {
        http_req_t *r = LIST_ENTRY(n, http_req_t, link);
        curl_easy_cleanup(r->easy);
        free(r);
    }
    c->idle_len = 0;
}
