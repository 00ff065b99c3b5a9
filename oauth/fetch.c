/* Bounded JSON-over-HTTP exchanges for the OAuth flow. */
#include "oauth/fetch.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

typedef struct fetch {
    list_node link; /* on the owner's pending list, or on none */
    http_req_t *req;
    buf_t body;
    char *req_body;
    oauth_fetch_cb cb;
    void *ud;
} fetch_t;

static int on_body(http_req_t *r, void *ud, const char *p, size_t n)
{
    fetch_t *f = ud;
    if (buf_append(&f->body, p, n) != 0) {
        log_error("%s sent more than %zu bytes; refused", http_req_url(r), f->body.max);
        return 1;
    }
    return 0;
}

static void fetch_free(fetch_t *f)
{
    buf_free_secret(&f->body); /* token responses pass through here */
    if (f->req_body) {
        OPENSSL_cleanse(f->req_body, strlen(f->req_body));
        free(f->req_body);
    }
    free(f);
}

static void on_done(http_req_t *r, void *ud, int rc, const char *why)
{
    fetch_t *f = ud;
    list_remove(&f->link); /* the callback may cancel the rest of its list */
    oauth_fetch_result_t res = {.rc = rc, .why = why, .url = http_req_url(r)};
    if (!rc) {
        res.status = http_req_status(r);
        res.www_authenticate = http_req_header(r, "WWW-Authenticate");
        res.dpop_nonce = http_req_header(r, "DPoP-Nonce");
        res.content_type = http_req_header(r, "Content-Type");
        res.session_id = http_req_header(r, "Mcp-Session-Id");
        res.body = f->body.data ? f->body.data : "";
        res.body_len = f->body.len;
        if (f->body.len) {
            json_t *j = json_loadb(f->body.data, f->body.len, 0, NULL);
            if (json_is_object(j))
                res.json = j;
            else
                json_decref(j);
        }
    } else if (rc == BRIDGE_ECLOSED && f->body.len >= f->body.max) {
        res.why = "the response is larger than allowed";
    }
    f->cb(f->ud, &res);
    json_decref(res.json);
    fetch_free(f);
}

static const http_callbacks_t callbacks = {NULL, on_body, on_done};

int oauth_fetch(http_client_t *http, const char *method, const char *url,
                const char *const *headers, const char *body, size_t max_bytes, oauth_fetch_cb cb,
                void *ud)
{
    return oauth_fetch_on(NULL, http, method, url, headers, body, max_bytes, cb, ud);
}

int oauth_fetch_on(list_node *pending, http_client_t *http, const char *method, const char *url,
                   const char *const *headers, const char *body, size_t max_bytes,
                   oauth_fetch_cb cb, void *ud)
{
    assert(http && method && url && cb);
    fetch_t *f = calloc(1, sizeof *f);
    if (!f) return BRIDGE_ENOMEM;
    list_node_init(&f->link);
    buf_init_secret(&f->body, max_bytes);
    f->cb = cb;
    f->ud = ud;
    http_req_t *r = http_req_new(http, method, url);
    int rc = r ? 0 : BRIDGE_ENOMEM;
    for (size_t i = 0; headers && headers[i] && !rc; i++)
        rc = http_req_add_header(r, headers[i]);
    if (!rc) rc = http_req_add_header(r, "Accept: application/json");
    if (!rc && body) {
        f->req_body = strdup(body);
        if (!f->req_body)
            rc = BRIDGE_ENOMEM;
        else
            http_req_set_body(r, f->req_body, strlen(f->req_body));
    }
    if (!rc) http_req_set_timeout_ms(r, 30000);
    /* A form with a code, a verifier, a refresh token or a secret goes where it
     * was meant to go and nowhere else: no redirects for anything but GET. */
    if (!rc && strcmp(method, "GET") != 0) http_req_set_follow(r, 0);
    if (!rc) rc = http_req_start(r, &callbacks, f);
    if (rc) {
        http_req_cancel(r);
        free(f->req_body);
        buf_free(&f->body);
        free(f);
        return rc;
    }
    f->req = r;
    if (pending) list_push_back(pending, &f->link);
    return 0;
}

void oauth_fetch_cancel_all(list_node *pending)
{
    LIST_FOR_EACH_SAFE (n, tmp, pending) {
        fetch_t *f = LIST_ENTRY(n, fetch_t, link);
        list_remove(&f->link);
        http_req_cancel(f->req);
        fetch_free(f);
    }
}
