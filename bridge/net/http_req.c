/* Setting a request up (method, URL, proxy, header lines, body, limits),
 * starting it, and tearing it down: cancelled, or freed after on_done. */
#include "bridge/base/err.h"
#include "bridge/net/http_internal.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Header lines may carry credentials: wipe them before they are freed. */
static void free_lines(struct curl_slist *l)
{
    for (struct curl_slist *i = l; i; i = i->next)
        OPENSSL_cleanse(i->data, strlen(i->data));
    curl_slist_free_all(l);
}

http_req_t *http_req_new(http_client_t *c, const char *method, const char *url)
{
    assert(!c->closing);
    http_req_t *r = http_pool_take(c);
    if (!r) return NULL;
    CURL *e = r->easy;
    r->method = strdup(method);
    r->url = strdup(url);
    if (!r->method || !r->url) {
        curl_easy_cleanup(r->easy);
        free(r->method);
        free(r->url);
        free(r);
        return NULL;
    }
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
    list_push_front(&c->reqs, &r->link);
    return r;
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

void http_headers_unref(http_headers_t *h)
{
    if (!h || --h->refs > 0) return;
    free_lines(h->list);
    free(h);
}

void http_req_use_headers(http_req_t *r, http_headers_t *h)
{
    assert(h->refs > 0);
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

int http_req_start(http_req_t *r, const http_callbacks_t *cbs, void *ud)
{
    http_client_t *c = r->c;
    assert(!r->started && !c->closing);
    r->cbs = *cbs;
    r->ud = ud;
    if (!r->headers && !r->shared && !(r->headers = base_headers())) return BRIDGE_ENOMEM;
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers ? r->headers : r->shared->list);
    r->started = 1;
    r->last_activity = uv_now(c->loop);
    http_sweep_start(c);
    if (!r->origin && !(r->origin = http_origin_of(c, r->url))) return BRIDGE_ENOMEM;
    http_admit_enqueue(r);
    if (!c->depth) http_admit_waiting(c); /* else when curl returns */
    return 0;
}

void http_req_free(http_req_t *r)
{
    if (r->added) http_admit_retire(r);
    http_admit_unqueue(r);
    free_lines(r->headers);
    http_headers_unref(r->shared);
    list_remove(&r->link);
    free(r->method);
    free(r->url);
    http_pool_put(r);
}

void http_req_cancel(http_req_t *r)
{
    if (!r || r->in_done) return; /* freed by http_req_finish after on_done returns */
    http_client_t *c = r->c;
    if (c->depth || c->free_requested) {
        r->cancelled = 1; /* freed when curl returns, or with the client */
        return;
    }
    http_req_free(r);
    http_admit_waiting(c);
}

void http_req_set_error(http_req_t *r, int rc, const char *why)
{
    assert(rc < 0);
    if (r->abort_rc) return; /* the first reason stands */
    r->abort_rc = rc;
    snprintf(r->abort_why, sizeof r->abort_why, "%s", why);
}
