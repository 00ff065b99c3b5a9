/* The HTTP+SSE transport of MCP 2024-11-05: a GET event stream whose first
 * event, "endpoint", names the URL to POST messages to; every server message
 * (responses included) arrives on that stream. A stream that ends is
 * reconnected (a new session) by the policy of retry.h. */
#include "bridge/base/buf.h"
#include "bridge/base/err.h"
#include "bridge/base/list.h"
#include "bridge/base/log.h"
#include "bridge/net/sse.h"
#include "bridge/mcp/retry.h"
#include "bridge/mcp/transport.h"
#include "bridge/base/url.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECONNECT_MS 30000
#define ERROR_BODY_MAX 4096

typedef struct legacy legacy_t;

/* A message lent to us: queued until the endpoint is known, then POSTed, then
 * (for requests) waiting for its response on the stream. */
typedef struct item {
    legacy_t *t;
    list_node link; /* in legacy.items, in the order the relay sent them */
    out_msg_t *m;
    http_req_t *post;
    int posted, answered;
    unsigned epoch; /* the stream connection the message was posted on */
    buf_t err_body;
} item_t;

struct legacy {
    transport_t base;
    transport_config_t cfg;
    http_req_t *get;
    sse_parser_t *sse;
    char *endpoint;
    unsigned epoch;
    int had_endpoint, shutting_down, fallback_done;
    int failures;  /* streams in a row that ended without bringing a message */
    int progress;  /* messages on the current stream */
    long retry_ms; /* the server's last retry:, or -1 */
    int feeding;   /* inside sse_parser_feed: the parser is freed after it returns */
    int freed;     /* t_free was called (from inside the parser's callback, say) */
    long get_status;
    char *challenge; /* WWW-Authenticate of a 401/403 to the GET */
    uv_timer_t timer;
    list_node items;
};

static void connect_stream(legacy_t *t);

static void item_unlink(item_t *it)
{
    list_remove(&it->link);
}

#define ITEM(n) LIST_ENTRY(n, item_t, link)

static void item_finish(item_t *it, int rc, const char *why)
{
    legacy_t *t = it->t;
    out_msg_t *m = it->m;
    if (it->post) http_req_cancel(it->post);
    item_unlink(it);
    buf_free(&it->err_body);
    free(it);
    t->cfg.ev.on_sent(t->cfg.ud, m, rc, why);
}

static int add_headers(legacy_t *t, http_req_t *r, int rc)
{
    for (size_t i = 0; i < t->cfg.headers_len && !rc; i++)
        rc = http_req_add_header(r, t->cfg.headers[i]);
    char *auth[TRANSPORT_AUTH_LINES] = {NULL, NULL};
    int n = !rc && t->cfg.auth_headers
                ? t->cfg.auth_headers(t->cfg.ud, http_req_method(r), http_req_url(r), auth)
                : 0;
    if (n < 0) rc = n;
    for (int i = 0; i < TRANSPORT_AUTH_LINES; i++) {
        if (!rc && i < n) rc = http_req_add_header(r, auth[i]);
        if (auth[i]) OPENSSL_cleanse(auth[i], strlen(auth[i]));
        free(auth[i]);
    }
    return rc;
}

/* ---- POSTs ----------------------------------------------------------------- */

static int post_on_body(http_req_t *r, void *ud, const char *p, size_t n)
{
    item_t *it = ud;
    buf_append(&it->err_body, p, n); /* only the start is kept, for error messages */
    return 0;
}

static void post_on_done(http_req_t *r, void *ud, int rc, const char *why_in)
{
    item_t *it = ud;
    legacy_t *t = it->t;
    long status = http_req_status(r);
    char why[768];
    it->post = NULL;
    if (!rc && t->cfg.auth_response) t->cfg.auth_response(t->cfg.ud, r);
    if (rc) {
        snprintf(why, sizeof why, "POST %s: %s", t->endpoint ? t->endpoint : t->cfg.url, why_in);
        item_finish(it, rc, why);
    } else if ((status == 401 || status == 403) && t->cfg.oauth) {
        char *challenge = http_req_header_all(r, "WWW-Authenticate");
        out_msg_t *m = it->m;
        item_unlink(it);
        buf_free(&it->err_body);
        free(it);
        t->cfg.ev.on_auth_challenge(t->cfg.ud, m, status, challenge);
        free(challenge);
    } else if (status < 200 || status >= 300) {
        snprintf(why, sizeof why, "%s answered HTTP %ld", t->endpoint ? t->endpoint : t->cfg.url,
                 status);
        item_finish(it, BRIDGE_EHTTP, why);
    } else if (!it->m->id_key || it->answered) {
        item_finish(it, 0, NULL);
    } else if (it->epoch != t->epoch) {
        item_finish(it, BRIDGE_EPROTO, "the SSE stream closed before the response arrived");
    }
    /* else: the response is still to come on the stream. */
}

static const http_callbacks_t post_callbacks = {NULL, post_on_body, post_on_done};

static void post_item(item_t *it)
{
    legacy_t *t = it->t;
    http_req_t *r = http_req_new(t->cfg.http, "POST", t->endpoint);
    int rc = r ? 0 : BRIDGE_ENOMEM;
    rc = add_headers(t, r, rc);
    if (!rc) rc = http_req_add_header(r, "Content-Type: application/json");
    if (!rc) {
        http_req_set_body(r, it->m->body, it->m->len);
        buf_init(&it->err_body, ERROR_BODY_MAX);
        it->posted = 1;
        it->epoch = t->epoch;
        rc = http_req_start(r, &post_callbacks, it);
    }
    if (rc) {
        http_req_cancel(r);
        item_finish(it, rc, "out of memory starting an HTTP request");
        return;
    }
    it->post = r;
}

/* ---- the event stream ---------------------------------------------------------- */

/* Takes ownership of data (malloc'd, NUL-terminated). */
static void on_message_event(legacy_t *t, char *data, size_t len)
{
    char err[256];
    int skeleton = 0;
    if (!data) {
        log_error("out of memory reading a message from %s; dropped", t->cfg.url);
        return;
    }
    json_t *root = jr_decode_fast(data, len, &skeleton, err, sizeof err);
    if (!root) {
        log_error("%s sent a message that is not JSON (%s); dropped", t->cfg.url, err);
        free(data);
        return;
    }
    t->progress = 1;
    json_t *id = NULL;
    item_t *done = NULL;
    if (jr_classify(root, &id, NULL, NULL) == JR_RESPONSE) {
        char *key = jr_id_key(id);
        LIST_FOR_EACH (n, &t->items) {
            item_t *it = ITEM(n);
            if (!key) break; /* out of memory: no item is matched */
            if (it->posted && it->m->id_key && !strcmp(it->m->id_key, key)) {
                it->answered = 1;
                if (!it->post) done = it;
                break;
            }
        }
        free(key);
    }
    t->cfg.ev.on_message(t->cfg.ud, data, len, root, skeleton, NULL);
    json_decref(root);
    if (done && !t->freed && !t->shutting_down) item_finish(done, 0, NULL); /* else already gone */
}

static int on_endpoint_event(legacy_t *t, const char *data)
{
    char *resolved = NULL;
    if (url_resolve(t->cfg.url, data, &resolved) != 0) {
        log_error("%s sent an endpoint event that is not a URL; closing the stream", t->cfg.url);
        return 1;
    }
    if (!url_same_origin(resolved, t->cfg.url)) {
        log_error("%s named a message endpoint on another origin (%s); refused", t->cfg.url,
                  resolved);
        free(resolved);
        return 1;
    }
    free(t->endpoint);
    t->endpoint = resolved;
    log_debug("legacy SSE endpoint of %s: %s", t->cfg.url, resolved);
    int reconnected = t->had_endpoint;
    t->had_endpoint = 1;
    if (reconnected) {
        /* A new stream is a new session: what waited goes back to the relay,
         * which re-initializes first and then sends it again. */
        int handed_back = 0;
        LIST_FOR_EACH_SAFE (n, tmp, &t->items) {
            item_t *it = ITEM(n);
            if (it->posted) continue;
            out_msg_t *m = it->m;
            item_unlink(it);
            free(it);
            t->cfg.ev.on_session_lost(t->cfg.ud, m, 0);
            handed_back = 1;
        }
        if (!handed_back) t->cfg.ev.on_session_lost(t->cfg.ud, NULL, 0);
        return 0;
    }
    LIST_FOR_EACH_SAFE (n, tmp, &t->items) {
        item_t *it = ITEM(n);
        if (!it->posted) post_item(it);
    }
    return 0;
}

static int on_event(void *ud, const sse_event_t *ev)
{
    legacy_t *t = ud;
    if (!strcmp(ev->type, "endpoint")) return on_endpoint_event(t, ev->data);
    if (!strcmp(ev->type, "message")) {
        if (!t->endpoint) log_debug("message before the endpoint event from %s", t->cfg.url);
        on_message_event(t, sse_parser_take_data(t->sse), ev->data_len);
    }
    return t->freed; /* the relay let go of us meanwhile: stop parsing */
}

static int get_on_response(http_req_t *r, void *ud)
{
    legacy_t *t = ud;
    if (t->cfg.auth_response) t->cfg.auth_response(t->cfg.ud, r);
    t->get_status = http_req_status(r);
    if ((t->get_status == 401 || t->get_status == 403) && t->cfg.oauth) {
        free(t->challenge);
        t->challenge = http_req_header_all(r, "WWW-Authenticate");
    }
    if (t->get_status < 200 || t->get_status >= 300) return 1;
    t->sse = sse_parser_new(t->cfg.max_message_size + 1024, on_event, t);
    return t->sse ? 0 : 1;
}

static int get_on_body(http_req_t *r, void *ud, const char *p, size_t n)
{
    legacy_t *t = ud;
    t->feeding = 1;
    int rc = sse_parser_feed(t->sse, p, n);
    t->feeding = 0;
    if (t->freed) {
        /* t_free ran inside the feed and left the parser to us; t itself
         * goes once its timer has closed. */
        sse_parser_free(t->sse);
        t->sse = NULL;
        return 1;
    }
    return rc;
}

static void on_reconnect_timer(uv_timer_t *timer)
{
    connect_stream(timer->data);
}

/* Returns how many messages failed (each reported to the relay). */
static int fail_queued(legacy_t *t, int rc, const char *why, int include_unposted)
{
    int failed = 0;
    LIST_FOR_EACH_SAFE (n, tmp, &t->items) {
        item_t *it = ITEM(n);
        if ((it->posted && !it->post) || (!it->posted && include_unposted)) {
            item_finish(it, rc, why);
            failed++;
        }
    }
    return failed;
}

static void get_on_done(http_req_t *r, void *ud, int rc, const char *why_in)
{
    legacy_t *t = ud;
    long status = t->get_status;
    char why[768];
    t->get = NULL;
    if (t->sse) {
        if (sse_parser_retry_ms(t->sse) >= 0) t->retry_ms = sse_parser_retry_ms(t->sse);
        sse_parser_free(t->sse);
        t->sse = NULL;
    }
    t->get_status = 0;
    free(t->endpoint);
    t->endpoint = NULL;
    t->epoch++;
    if (t->shutting_down) return;

    if (rc && status == 0)
        snprintf(why, sizeof why, "GET %s: %s", t->cfg.url, why_in);
    else if (status >= 200 && status < 300)
        snprintf(why, sizeof why, "the SSE stream of %s closed", t->cfg.url);
    else
        snprintf(why, sizeof why, "GET %s answered HTTP %ld (expected an SSE stream)%s", t->cfg.url,
                 status,
                 (status == 401 || status == 403) && !t->cfg.oauth
                     ? ": the server refused the Authorization header given with --header"
                     : "");

    if ((status == 401 || status == 403) && t->cfg.oauth) {
        /* What waits stays queued; the relay resumes us once it has a token. */
        char *challenge = t->challenge;
        t->challenge = NULL;
        t->cfg.ev.on_auth_challenge(t->cfg.ud, NULL, status, challenge);
        free(challenge);
        return;
    }
    if (!t->had_endpoint) {
        /* Never connected. sse-first: let the relay try Streamable HTTP. */
        if (t->cfg.allow_fallback && !t->fallback_done && status >= 400 && status < 500 &&
            status != 401 && status != 403) {
            t->fallback_done = 1;
            list_node *front = list_front(&t->items);
            if (front) {
                item_t *first = ITEM(front);
                out_msg_t *m = first->m;
                item_unlink(first);
                free(first);
                fail_queued(t, BRIDGE_ECONNECT, why, 1);
                t->cfg.ev.on_fallback(t->cfg.ud, m, status);
                return;
            }
        }
        /* The relay reports it with the messages that fail, if any. */
        if (fail_queued(t, rc ? rc : BRIDGE_EHTTP, why, 1) == 0) log_error("%s", why);
        t->failures++;
        return; /* connect again on the next message */
    }
    /* The session is gone with the stream: requests waiting for answers fail,
     * and a new stream (a new session) is opened, by the policy of retry.h. */
    fail_queued(t, BRIDGE_EPROTO, "the SSE stream closed before the response arrived", 0);
    if (rc && status == 0) fail_queued(t, rc, why, 1); /* the server is unreachable */
    t->failures = t->progress ? 0 : t->failures + 1;
    if (t->failures > RETRY_MAX_EMPTY) {
        /* Connect again on the next message from the host (t_send). */
        snprintf(why, sizeof why,
                 "%s ended the SSE stream %d times in a row without sending a message; not "
                 "reconnecting until the next message",
                 t->cfg.url, t->failures);
        if (fail_queued(t, BRIDGE_EPROTO, why, 1) == 0) log_error("%s", why);
        return;
    }
    long delay = retry_delay_ms(t->retry_ms, t->failures, MAX_RECONNECT_MS);
    log_info("%s; reconnecting in %ld ms", why, delay);
    uv_timer_start(&t->timer, on_reconnect_timer, (uint64_t)delay, 0);
}

static const http_callbacks_t get_callbacks = {get_on_response, get_on_body, get_on_done};

static void connect_stream(legacy_t *t)
{
    if (t->get || t->shutting_down) return;
    http_req_t *r = http_req_new(t->cfg.http, "GET", t->cfg.url);
    int rc = r ? 0 : BRIDGE_ENOMEM;
    rc = add_headers(t, r, rc);
    if (!rc) rc = http_req_add_header(r, "Accept: text/event-stream");
    if (!rc) rc = http_req_start(r, &get_callbacks, t);
    if (rc) {
        http_req_cancel(r);
        fail_queued(t, rc, "out of memory starting an HTTP request", 1);
        return;
    }
    log_debug("opening the legacy SSE stream at %s", t->cfg.url);
    t->get = r;
    t->progress = 0;
}

/* ---- transport operations ------------------------------------------------------ */

static int t_send(transport_t *base, out_msg_t *m)
{
    legacy_t *t = (legacy_t *)base;
    item_t *it = calloc(1, sizeof *it);
    if (!it) return BRIDGE_ENOMEM;
    it->t = t;
    it->m = m;
    list_node_init(&it->link);
    list_push_back(&t->items, &it->link); /* messages keep their order */
    if (t->endpoint) {
        post_item(it);
    } else if (!t->get) {
        /* A message to send: reconnect now rather than when the backoff ends. */
        uv_timer_stop(&t->timer);
        connect_stream(t);
    }
    return 0;
}

static int t_set_protocol_version(transport_t *base, const char *version)
{
    return 0; /* this transport sends no protocol version header */
}

static void t_start_listening(transport_t *base) {}

static void t_reset_session(transport_t *base) {}

static void t_resume(transport_t *base)
{
    legacy_t *t = (legacy_t *)base;
    if (!t->get && !list_empty(&t->items) && !uv_is_active((uv_handle_t *)&t->timer))
        connect_stream(t);
}

static void t_shutdown(transport_t *base, void (*done)(void *), void *ud)
{
    legacy_t *t = (legacy_t *)base;
    t->shutting_down = 1;
    uv_timer_stop(&t->timer);
    if (t->get) http_req_cancel(t->get);
    t->get = NULL;
    list_node *n;
    while ((n = list_front(&t->items)))
        item_finish(ITEM(n), BRIDGE_ECLOSED, "the bridge is shutting down");
    done(ud);
}

static void free_after_close(uv_handle_t *h)
{
    free(h->data);
}

static void t_free(transport_t *base)
{
    legacy_t *t = (legacy_t *)base;
    if (t->get) http_req_cancel(t->get);
    list_node *n;
    while ((n = list_front(&t->items))) {
        item_t *it = ITEM(n);
        if (it->post) http_req_cancel(it->post);
        item_unlink(it);
        buf_free(&it->err_body);
        free(it);
    }
    t->freed = 1;
    if (t->sse && !t->feeding) sse_parser_free(t->sse); /* else get_on_body frees it */
    free(t->endpoint);
    t->endpoint = NULL;
    free(t->challenge);
    uv_close((uv_handle_t *)&t->timer, free_after_close);
}

/* No set_modern (the 2024-11-05 transport predates it) and no cancel (its
 * POSTs are answered at once; responses come on the one stream). */
static const transport_ops_t legacy_ops = {
    .name = "sse",
    .send = t_send,
    .set_protocol_version = t_set_protocol_version,
    .start_listening = t_start_listening,
    .reset_session = t_reset_session,
    .resume = t_resume,
    .shutdown = t_shutdown,
    .free = t_free,
};

transport_t *legacy_sse_new(const transport_config_t *cfg)
{
    legacy_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->base.ops = &legacy_ops;
    t->cfg = *cfg;
    t->retry_ms = -1;
    list_init(&t->items);
    uv_timer_init(cfg->loop, &t->timer);
    t->timer.data = t;
    return &t->base;
}
