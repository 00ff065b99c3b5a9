/* The relay between the host's stdio and the remote server's transport. Host
 * messages are forwarded as the bytes they arrived in; they are decoded only
 * to learn their kind, id and method. */
#include "bridge/relay/relay.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"
#include "bridge/net/http.h"
#include "bridge/base/jsonrpc.h"
#include "bridge/base/log.h"
#include "bridge/relay/stdio.h"
#include "bridge/relay/toolmatch.h"
#include "bridge/mcp/transport.h"
#include "keychain/keychain.h"
#include "oauth/oauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAD_VERSION                                                                                \
    "the server's initialize result has a protocolVersion with control characters, spaces or "     \
    "over 64 characters, which cannot be sent back in a header"
#define EOF_GRACE_MS 10000   /* stdin closed: time left for answers in flight */
#define SIGNAL_GRACE_MS 1500 /* SIGTERM/SIGINT: the host is in a hurry */

typedef struct batch {
    size_t expected, got;
    buf_t reply; /* "[r1,r2,..." */
} batch_t;

typedef struct pending {
    struct pending *prev, *next;
    char *id_key;
    json_t *id;
    char *method;
    out_msg_t *msg; /* the message carrying it, until the transport reports */
    batch_t *batch;
} pending_t;

enum reinit_state { REINIT_NONE, REINIT_INIT, REINIT_NOTIFY };

struct relay {
    uv_loop_t *loop;
    const bridge_options_t *opts;
    stdio_chan_t stdio;
    http_client_t *http;
    transport_t *transport;
    transport_t *retired; /* replaced by a fallback; freed at the end */
    transport_config_t tcfg;
    oauth_t *oauth; /* NULL when the user passed an Authorization header */
    keychain_t *store;
    pending_t *pending;
    long n_pending;
    /* The host's initialize, to start a new session the same way. */
    char *init_body;
    size_t init_len;
    char *init_key;
    char *protocol_version; /* negotiated in the host's initialize */
    int host_initialized;
    int fell_back;
    /* Messages wait while the host's initialize is in flight (they need the
     * session it creates) or while the bridge sets up a new session itself. */
    int init_in_flight;
    int authing;
    out_msg_t *auth_internal; /* a bridge message that met a 401, to resend */
    int reinit;
    unsigned reinit_seq;
    char *reinit_key;
    list_node waitq; /* out_msg_t.link, in arrival order */
    long in_transport; /* messages lent to the transport, not yet reported on */
    int loading;       /* stored tokens are being read */
    /* Shutdown. */
    int stopping, transport_closed, closed;
    uv_timer_t grace;
    uv_signal_t sigterm, sigint;
    uv_timer_t keepalive; /* --keep-alive / --ping-interval */
    unsigned ping_seq;
    int exit_code;
    char *last_failure; /* the last failure logged, and when */
    uint64_t last_failure_at;
    char *fallback_why; /* the first transport's answer, while the fallback has not worked */
};

static void dispatch(relay_t *r, out_msg_t *m);
static void begin_shutdown(relay_t *r, long grace_ms);
static void maybe_finish_shutdown(relay_t *r);
static void flush_waitq(relay_t *r);

/* ---- output ------------------------------------------------------------------ */

/* Write a complete JSON text to stdout as one line; takes ownership. */
static void emit_owned(relay_t *r, char *json, size_t len)
{
    jr_flatten_newlines(json, len);
    stdio_write_owned(&r->stdio, json, len);
}

/* A request or notification from the server; takes ownership. */
static void emit_server_message(relay_t *r, char *json, size_t len)
{
    if (r->stdio.queued + len > r->opts->max_queued_bytes) {
        log_error("a %zu-byte message from the server was dropped: the host is not reading "
                  "(--max-queued-bytes %zu)",
                  len, r->opts->max_queued_bytes);
        free(json);
        return;
    }
    emit_owned(r, json, len);
}

static batch_t *batch_new(void)
{
    batch_t *b = calloc(1, sizeof *b);
    if (b) buf_init(&b->reply, 0);
    return b;
}

/* A response for the host: straight out, or into its batch. Takes ownership. */
static void emit_response(relay_t *r, batch_t *b, char *json, size_t len)
{
    if (!b) {
        emit_owned(r, json, len);
        return;
    }
    buf_append_byte(&b->reply, b->got ? ',' : '[');
    buf_append(&b->reply, json, len);
    free(json);
    if (++b->got < b->expected) return;
    buf_append_byte(&b->reply, ']');
    size_t n = b->reply.len;
    emit_owned(r, buf_steal(&b->reply), n);
    free(b);
}

static void emit_error(relay_t *r, batch_t *b, json_t *id, int code, const char *msg)
{
    char *s = jr_error_response(id, code, msg, NULL);
    if (!s) s = jr_error_response(id, code, "the bridge could not describe this error", NULL);
    if (s) emit_response(r, b, s, strlen(s));
}

/* ---- the pending table -------------------------------------------------------- */

static pending_t *pending_find(relay_t *r, const char *key)
{
    for (pending_t *p = r->pending; p; p = p->next)
        if (!strcmp(p->id_key, key)) return p;
    return NULL;
}

static pending_t *pending_add(relay_t *r, json_t *id, const char *method, batch_t *b)
{
    pending_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->id_key = jr_id_key(id);
    p->id = json_incref(id);
    p->method = strdup(method ? method : "");
    p->batch = b;
    p->next = r->pending;
    if (r->pending) r->pending->prev = p;
    r->pending = p;
    r->n_pending++;
    return p;
}

static void pending_remove(relay_t *r, pending_t *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        r->pending = p->next;
    if (p->next) p->next->prev = p->prev;
    r->n_pending--;
    free(p->id_key);
    json_decref(p->id);
    free(p->method);
    free(p);
}

static void pending_fail(relay_t *r, pending_t *p, int code, const char *why)
{
    emit_error(r, p->batch, p->id, code, why);
    pending_remove(r, p);
}

/* ---- messages toward the server ------------------------------------------------- */

static void out_msg_free(out_msg_t *m)
{
    if (!m) return;
    free(m->body);
    free(m->id_key);
    free(m);
}

static out_msg_t *out_msg_new(const char *body, size_t len, jr_kind_t kind, json_t *id)
{
    out_msg_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->body = malloc(len + 1);
    if (!m->body) {
        free(m);
        return NULL;
    }
    memcpy(m->body, body, len);
    m->body[len] = 0;
    m->len = len;
    m->kind = kind;
    list_node_init(&m->link);
    if (id) m->id_key = jr_id_key(id);
    return m;
}

static void waitq_push(relay_t *r, out_msg_t *m)
{
    list_push_back(&r->waitq, &m->link);
}

/* The host's log is where people look: one line per cause, not one per
 * request. `why` is the sentence the host gets in the JSON-RPC error too; the
 * same sentence again while failures keep coming is not repeated. */
static void log_failure(relay_t *r, const char *why)
{
    uint64_t now = uv_now(r->loop);
    if (r->last_failure && !strcmp(r->last_failure, why) && now - r->last_failure_at < 10000) {
        r->last_failure_at = now;
        return;
    }
    free(r->last_failure);
    r->last_failure = strdup(why);
    r->last_failure_at = now;
    log_error("%s", why);
}

static void fail_waitq(relay_t *r, const char *why);

/* A message could not be delivered: its requests get errors, and it is freed. */
static void fail_msg(relay_t *r, out_msg_t *m, const char *why)
{
    int host_init = m->is_initialize && !m->internal;
    if (host_init) r->init_in_flight = 0;
    int failed = 0;
    for (pending_t *p = r->pending, *next; p; p = next) {
        next = p->next;
        if (p->msg == m) {
            pending_fail(r, p, JR_SERVER_ERROR, why);
            failed++;
        }
    }
    /* A request already answered has nothing to report; at shutdown the
     * "giving up" line has said it for all of them. */
    if ((failed || m->kind == JR_NOTIFICATION || m->kind == JR_RESPONSE) && !r->transport_closed)
        log_failure(r, why);
    out_msg_free(m);
    /* What waited for the session this initialize was to create fails for the
     * same cause, rather than waiting for ever. */
    if (host_init) fail_waitq(r, why);
}

static void fail_waitq(relay_t *r, const char *why)
{
    list_node *n;
    while ((n = list_pop_front(&r->waitq)))
        fail_msg(r, LIST_ENTRY(n, out_msg_t, link), why);
}

static void on_auth_done(void *ud, int rc, const char *why);

/* The transport reports on every message it is lent exactly once (transport.h):
 * counting them lets shutdown wait until the last one has reached the server. */
static int transport_send(relay_t *r, out_msg_t *m)
{
    r->in_transport++;
    int rc = r->transport->ops->send(r->transport, m);
    if (rc) r->in_transport--;
    return rc;
}

static void transport_returned(relay_t *r, const out_msg_t *m)
{
    if (m && r->in_transport > 0) r->in_transport--;
}

static void dispatch(relay_t *r, out_msg_t *m)
{
    if (r->reinit || r->authing || (r->init_in_flight && !m->is_initialize)) {
        waitq_push(r, m);
        return;
    }
    if (r->oauth && oauth_should_refresh(r->oauth)) {
        /* The token is about to expire: refresh before using it. */
        waitq_push(r, m);
        r->authing = 1;
        oauth_refresh(r->oauth, on_auth_done, r);
        return;
    }
    m->auth_gen = r->oauth ? oauth_generation(r->oauth) : 0;
    if (transport_send(r, m) != 0) fail_msg(r, m, "out of memory sending the message");
}

/* Send what waited, in order; what still cannot go waits again. */
static void flush_waitq(relay_t *r)
{
    list_node q, *n; /* the whole queue taken at once: dispatch may queue again */
    list_init(&q);
    while ((n = list_pop_front(&r->waitq)))
        list_push_back(&q, n);
    while ((n = list_pop_front(&q)))
        dispatch(r, LIST_ENTRY(n, out_msg_t, link));
    maybe_finish_shutdown(r);
}

static void host_init_settled(relay_t *r)
{
    if (!r->init_in_flight) return;
    r->init_in_flight = 0;
    flush_waitq(r);
}

/* ---- a new session, set up by the bridge -------------------------------------------- */

static void reinit_failed(relay_t *r, const char *why)
{
    char msg[768];
    snprintf(msg, sizeof msg, "could not start a new session with %s: %s", r->opts->url, why);
    log_failure(r, msg);
    r->reinit = REINIT_NONE;
    fail_waitq(r, msg);
}

static void start_reinit(relay_t *r)
{
    if (r->reinit) return;
    if (!r->init_body) {
        reinit_failed(r, "the host has not sent initialize yet");
        return;
    }
    json_t *init = json_loadb(r->init_body, r->init_len, 0, NULL);
    char id[48];
    snprintf(id, sizeof id, "mcp-bridge-reinit-%u", ++r->reinit_seq);
    json_object_set_new(init, "id", json_string(id));
    char *body = json_dumps(init, JSON_COMPACT);
    json_decref(init);
    out_msg_t *m = body ? out_msg_new(body, strlen(body), JR_REQUEST, NULL) : NULL;
    free(body);
    if (!m) {
        reinit_failed(r, "out of memory");
        return;
    }
    free(r->reinit_key);
    r->reinit_key = malloc(strlen(id) + 3);
    sprintf(r->reinit_key, "s:%s", id);
    m->id_key = strdup(r->reinit_key);
    m->internal = 1;
    m->is_initialize = 1;
    r->reinit = REINIT_INIT;
    r->transport->ops->reset_session(r->transport);
    log_debug("re-initializing with the host's original initialize parameters");
    if (transport_send(r, m) != 0) {
        out_msg_free(m);
        reinit_failed(r, "out of memory");
    }
}

static void on_reinit_response(relay_t *r, json_t *root)
{
    json_t *result = json_object_get(root, "result");
    json_t *version = json_object_get(result, "protocolVersion");
    if (!json_is_string(version)) {
        json_t *msg = json_object_get(json_object_get(root, "error"), "message");
        reinit_failed(r, json_is_string(msg) ? json_string_value(msg)
                                             : "the initialize response has no protocolVersion");
        return;
    }
    if (r->transport->ops->set_protocol_version(r->transport, json_string_value(version)) != 0) {
        reinit_failed(r, BAD_VERSION);
        return;
    }
    static const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    out_msg_t *m = out_msg_new(note, sizeof note - 1, JR_NOTIFICATION, NULL);
    if (!m) {
        reinit_failed(r, "out of memory");
        return;
    }
    m->internal = 1;
    r->reinit = REINIT_NOTIFY;
    if (transport_send(r, m) != 0) {
        out_msg_free(m);
        reinit_failed(r, "out of memory");
    }
}

static void on_internal_sent(relay_t *r, out_msg_t *m, int rc, const char *why)
{
    int was_init = m->is_initialize;
    out_msg_free(m);
    if (rc < 0) {
        reinit_failed(r, why);
        return;
    }
    if (was_init) {
        if (r->reinit == REINIT_INIT) reinit_failed(r, "the server did not answer initialize");
        return;
    }
    log_info("new session with the server established");
    r->reinit = REINIT_NONE;
    if (r->host_initialized) r->transport->ops->start_listening(r->transport);
    flush_waitq(r);
}

/* ---- messages from the server ----------------------------------------------------- */

static int tool_ignored(const relay_t *r, const char *name)
{
    for (size_t i = 0; name && i < r->opts->ignore_tools_len; i++)
        if (toolmatch(r->opts->ignore_tools[i], name)) return 1;
    return 0;
}

/* tools/list result without the ignored tools; NULL when nothing changed. */
static char *filter_tools(relay_t *r, json_t *root)
{
    json_t *tools = json_object_get(json_object_get(root, "result"), "tools");
    if (!json_is_array(tools)) return NULL;
    int changed = 0;
    for (size_t i = json_array_size(tools); i-- > 0;) {
        json_t *name = json_object_get(json_array_get(tools, i), "name");
        if (json_is_string(name) && tool_ignored(r, json_string_value(name))) {
            json_array_remove(tools, i);
            changed = 1;
        }
    }
    return changed ? json_dumps(root, JSON_COMPACT) : NULL;
}

/* Takes ownership of raw. */
static void on_server_response(relay_t *r, char *raw, size_t len, json_t *root, json_t *id,
                               int skeleton)
{
    char *key = jr_id_key(id);
    json_t *whole = NULL; /* the full decode, for the few responses whose content matters */
    char err[128];
    if (!key) {
        log_error("the server sent a response with id null (an error it could not attribute); "
                  "dropped");
        free(raw);
        return;
    }
    if (r->reinit_key && !strcmp(key, r->reinit_key)) {
        free(key);
        free(r->reinit_key);
        r->reinit_key = NULL;
        whole = skeleton ? jr_decode(raw, len, err, sizeof err) : NULL;
        free(raw);
        on_reinit_response(r, whole ? whole : root);
        json_decref(whole);
        return;
    }
    pending_t *p = pending_find(r, key);
    free(key);
    if (!p) {
        log_debug("dropping a response to a request that is no longer pending");
        free(raw);
        return;
    }
    int wants_content = !strcmp(p->method, "initialize") ||
                        (!strcmp(p->method, "tools/list") && r->opts->ignore_tools_len);
    if (skeleton && wants_content && (whole = jr_decode(raw, len, err, sizeof err))) root = whole;
    if (!strcmp(p->method, "initialize")) {
        free(r->fallback_why); /* the transport answers: nothing to explain */
        r->fallback_why = NULL;
        json_t *v = json_object_get(json_object_get(root, "result"), "protocolVersion");
        if (json_is_string(v) &&
            r->transport->ops->set_protocol_version(r->transport, json_string_value(v)) != 0) {
            /* Never relayed: the host would negotiate a version we cannot send. */
            char text[300];
            snprintf(text, sizeof text, "%s: %s", r->opts->url, BAD_VERSION);
            log_error("initialize failed: %s", text);
            json_decref(whole);
            free(raw);
            pending_fail(r, p, JR_SERVER_ERROR, text);
            host_init_settled(r);
            maybe_finish_shutdown(r);
            return;
        }
        if (json_is_string(v)) {
            free(r->protocol_version);
            r->protocol_version = strdup(json_string_value(v));
            log_debug("negotiated protocol version %s over %s", json_string_value(v),
                      r->transport->ops->name);
        }
    }
    char *filtered = NULL;
    if (!strcmp(p->method, "tools/list") && r->opts->ignore_tools_len)
        filtered = filter_tools(r, root);
    if (r->stdio.queued + len > r->opts->max_queued_bytes) {
        char text[200];
        snprintf(text, sizeof text,
                 "the response (%zu bytes) would put more than %zu bytes in wait for the host to "
                 "read (--max-queued-bytes); dropped",
                 len, r->opts->max_queued_bytes);
        log_error("%s", text);
        free(filtered);
        free(raw);
        emit_error(r, p->batch, p->id, JR_SERVER_ERROR, text);
    } else if (filtered) {
        free(raw);
        emit_response(r, p->batch, filtered, strlen(filtered));
    } else {
        emit_response(r, p->batch, raw, len);
    }
    json_decref(whole);
    int was_init = !strcmp(p->method, "initialize");
    pending_remove(r, p);
    if (was_init) host_init_settled(r);
    maybe_finish_shutdown(r);
}

/* Takes ownership of raw. */
static void on_server_one(relay_t *r, char *raw, size_t len, json_t *root, int skeleton)
{
    json_t *id;
    const char *method, *why;
    switch (jr_classify(root, &id, &method, &why)) {
    case JR_RESPONSE:
        on_server_response(r, raw, len, root, id, skeleton);
        break;
    case JR_REQUEST:
    case JR_NOTIFICATION:
        emit_server_message(r, raw, len);
        break;
    default:
        log_error("the server sent an invalid JSON-RPC message (%s); dropped", why);
        free(raw);
        break;
    }
}

static void on_transport_message(void *ud, char *raw, size_t len, json_t *root, int skeleton)
{
    relay_t *r = ud;
    if (!json_is_array(root)) {
        on_server_one(r, raw, len, root, skeleton);
        return;
    }
    size_t i;
    json_t *el;
    free(raw);
    json_array_foreach(root, i, el)
    {
        char *s = json_dumps(el, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) on_server_one(r, s, strlen(s), el, 0);
    }
}

static void on_transport_sent(void *ud, out_msg_t *m, int rc, const char *why)
{
    relay_t *r = ud;
    transport_returned(r, m);
    if (m->internal) {
        on_internal_sent(r, m, rc, why);
        return;
    }
    int settles_init = m->is_initialize;
    if (rc < 0) {
        /* The transport tried after the first one's answer failed too: that
         * first answer is the one that says what is wrong. */
        fail_msg(r, m, settles_init && r->fallback_why ? r->fallback_why : why);
    } else {
        int initialized_note = m->is_initialized_note;
        for (pending_t *p = r->pending, *next; p; p = next) {
            next = p->next;
            if (p->msg == m)
                pending_fail(r, p, JR_SERVER_ERROR,
                             "the server ended the exchange without a response");
        }
        out_msg_free(m);
        if (initialized_note) r->transport->ops->start_listening(r->transport);
    }
    if (settles_init) host_init_settled(r);
    maybe_finish_shutdown(r);
}

static void on_transport_session_lost(void *ud, out_msg_t *m, int stale)
{
    relay_t *r = ud;
    transport_returned(r, m);
    if (m && stale && !m->internal) {
        /* Sent on a session that has been replaced already: send it again on the
         * new one (dispatch holds it while the new one is being set up). */
        dispatch(r, m);
        return;
    }
    if (m) {
        if (m->internal) {
            out_msg_free(m);
            reinit_failed(r, "the new session was lost at once");
            return;
        }
        if (m->resends++ >= 1 || !r->init_body) {
            fail_msg(r, m, "the server lost the session again right after it was re-established");
            return;
        }
        waitq_push(r, m);
    }
    start_reinit(r);
}

#define MAX_AUTH_ATTEMPTS 3

static void on_auth_done(void *ud, int rc, const char *why)
{
    relay_t *r = ud;
    r->authing = 0;
    out_msg_t *internal = r->auth_internal;
    r->auth_internal = NULL;
    if (rc) {
        char msg[1200];
        snprintf(msg, sizeof msg, "sign-in to %s failed: %s", r->opts->url, why);
        /* Said once, whether or not messages were waiting (a session the bridge
         * was setting up says it in its own failure). */
        if (internal)
            on_internal_sent(r, internal, rc, msg);
        else
            log_failure(r, msg);
        fail_waitq(r, msg);
        maybe_finish_shutdown(r);
        return;
    }
    if (internal && transport_send(r, internal) != 0)
        on_internal_sent(r, internal, BRIDGE_ENOMEM, "out of memory");
    if (r->host_initialized && !r->reinit) r->transport->ops->start_listening(r->transport);
    r->transport->ops->resume(r->transport);
    flush_waitq(r);
}

static void on_transport_auth_challenge(void *ud, out_msg_t *m, long status, const char *www)
{
    relay_t *r = ud;
    transport_returned(r, m);
    if (!r->oauth) {
        char why[300];
        snprintf(why, sizeof why,
                 "%s answered HTTP %ld: the credentials given with --header were refused",
                 r->opts->url, status);
        if (m && m->internal)
            on_internal_sent(r, m, BRIDGE_EHTTP, why);
        else if (m)
            fail_msg(r, m, why);
        else
            log_error("%s", why);
        return;
    }
    if (m && m->auth_gen != oauth_generation(r->oauth) && status == 401 && !r->authing) {
        /* Sent with a token that has been replaced since: just send it again. */
        if (m->internal) {
            if (transport_send(r, m) != 0) on_internal_sent(r, m, BRIDGE_ENOMEM, "out of memory");
        } else {
            dispatch(r, m);
        }
        return;
    }
    if (m && ++m->auth_attempts > MAX_AUTH_ATTEMPTS) {
        char why[300];
        snprintf(why, sizeof why,
                 "%s still answered HTTP %ld after %d authorizations; giving up on this request",
                 r->opts->url, status, MAX_AUTH_ATTEMPTS);
        if (m->internal)
            on_internal_sent(r, m, BRIDGE_EHTTP, why);
        else
            fail_msg(r, m, why);
        return;
    }
    if (m && m->internal)
        r->auth_internal = m;
    else if (m)
        waitq_push(r, m);
    if (r->authing) return;
    r->authing = 1;
    oauth_handle_challenge(r->oauth, status, www, on_auth_done, r);
}

static void on_transport_fallback(void *ud, out_msg_t *m, long status)
{
    relay_t *r = ud;
    transport_returned(r, m);
    transport_t *next = NULL;
    if (!r->fell_back) {
        r->fell_back = 1;
        int to_legacy = r->opts->transport == TRANSPORT_HTTP_FIRST;
        log_debug("%s answered HTTP %ld to initialize over %s; trying %s", r->opts->url, status,
                  r->transport->ops->name,
                  to_legacy ? "the HTTP+SSE transport" : "Streamable HTTP");
        if (to_legacy && status == 404) {
            char why[300];
            snprintf(why, sizeof why, "%s answered 404 Not Found to POST: check the URL's path",
                     r->opts->url);
            free(r->fallback_why);
            r->fallback_why = strdup(why);
        }
        r->tcfg.allow_fallback = 0;
        next = to_legacy ? legacy_sse_new(&r->tcfg) : streamable_new(&r->tcfg);
    }
    if (!next) {
        char why[256];
        snprintf(why, sizeof why, "%s answered HTTP %ld to initialize", r->opts->url, status);
        fail_msg(r, m, why);
        return;
    }
    r->retired = r->transport; /* we are inside its callback: free it at the end */
    r->transport = next;
    dispatch(r, m);
}

/* ---- messages from the host --------------------------------------------------------- */

/* Handle one host message (not a batch); b is its batch or NULL. Returns 1 when
 * the message is a request that will produce a response (for batch counting). */
static int on_host_one(relay_t *r, const char *raw, size_t len, json_t *msg, batch_t *b,
                       out_msg_t *carrier)
{
    json_t *id;
    const char *method, *why;
    jr_kind_t kind = jr_classify(msg, &id, &method, &why);
    if (kind == JR_INVALID || kind == JR_BATCH) {
        json_t *maybe_id = json_object_get(msg, "id");
        if (!json_is_string(maybe_id) && !json_is_integer(maybe_id)) maybe_id = NULL;
        char text[160];
        snprintf(text, sizeof text, "Invalid Request: %s",
                 kind == JR_BATCH ? "a batch inside a batch" : why);
        emit_error(r, b, maybe_id, JR_INVALID_REQUEST, text);
        return 1;
    }
    if (kind == JR_REQUEST) {
        char *key = jr_id_key(id);
        int dup = key && pending_find(r, key) != NULL;
        free(key);
        if (dup) {
            emit_error(r, b, id, JR_INVALID_REQUEST,
                       "Invalid Request: a request with this id is still in progress");
            return 1;
        }
        if (r->n_pending >= r->opts->max_pending) {
            char text[160];
            snprintf(text, sizeof text,
                     "too many requests in flight: %ld (--max-pending); try again when some "
                     "have been answered",
                     r->n_pending);
            emit_error(r, b, id, JR_SERVER_ERROR, text);
            return 1;
        }
        if (!strcmp(method, "initialize") && b) {
            emit_error(r, b, id, JR_INVALID_REQUEST,
                       "Invalid Request: initialize must not be part of a batch");
            return 1;
        }
        if (!strcmp(method, "tools/call")) {
            json_t *name = json_object_get(json_object_get(msg, "params"), "name");
            if (json_is_string(name) && tool_ignored(r, json_string_value(name))) {
                char text[300];
                snprintf(text, sizeof text,
                         "Tool \"%.200s\" is not available (hidden by --ignore-tool)",
                         json_string_value(name));
                emit_error(r, b, id, JR_INVALID_PARAMS, text);
                return 1;
            }
        }
        if (!strcmp(method, "ping") && (r->reinit || r->authing)) {
            /* The server is busy being re-initialized: answer for it. */
            json_t *resp = json_pack("{s:s, s:O, s:{}}", "jsonrpc", "2.0", "id", id, "result");
            char *s = json_dumps(resp, JSON_COMPACT);
            json_decref(resp);
            if (s) emit_response(r, b, s, strlen(s));
            return 1;
        }
    }
    pending_t *p = NULL;
    if (kind == JR_REQUEST && !(p = pending_add(r, id, method, b))) {
        emit_error(r, b, id, JR_INTERNAL_ERROR, "out of memory");
        return 1;
    }
    if (kind == JR_REQUEST && !strcmp(method, "initialize")) {
        free(r->init_body);
        r->init_body = malloc(len);
        if (r->init_body) memcpy(r->init_body, raw, len);
        r->init_len = len;
        free(r->init_key);
        r->init_key = strdup(p->id_key);
        r->host_initialized = 0;
    }
    if (kind == JR_NOTIFICATION && !strcmp(method, "notifications/initialized"))
        r->host_initialized = 1;
    out_msg_t *m = carrier;
    if (!m) {
        m = out_msg_new(raw, len, kind, kind == JR_REQUEST ? id : NULL);
        if (!m) {
            if (p) pending_fail(r, p, JR_INTERNAL_ERROR, "out of memory");
            return kind == JR_REQUEST;
        }
        m->is_initialize = kind == JR_REQUEST && !strcmp(method, "initialize");
    }
    if (kind == JR_NOTIFICATION && !strcmp(method, "notifications/initialized"))
        m->is_initialized_note = 1; /* a batch carrier too: it opens the GET stream */
    if (p) p->msg = m;
    if (m->is_initialize) r->init_in_flight = 1;
    if (!carrier) dispatch(r, m);
    return kind == JR_REQUEST;
}

/* Only 2025-03-26 has batches, and only over Streamable HTTP: then a batch
 * whose members are all plain messages goes to the server as it came. */
static int batch_passthrough_ok(relay_t *r, json_t *arr)
{
    if (!r->protocol_version || strcmp(r->protocol_version, "2025-03-26") != 0 || r->reinit ||
        strcmp(r->transport->ops->name, "streamable-http") != 0)
        return 0;
    size_t i;
    json_t *el;
    json_array_foreach(arr, i, el)
    {
        json_t *id;
        const char *method;
        jr_kind_t k = jr_classify(el, &id, &method, NULL);
        if (k == JR_INVALID || k == JR_BATCH) return 0;
        if (k == JR_REQUEST) {
            char *key = jr_id_key(id);
            int dup = !key || pending_find(r, key) != NULL;
            free(key);
            if (dup || !strcmp(method, "initialize") || !strcmp(method, "tools/call")) return 0;
        }
    }
    return 1;
}

static void on_host_batch(relay_t *r, const char *raw, size_t len, json_t *arr)
{
    batch_t *b = batch_new();
    if (!b) return;
    /* Count the responses first, so the reply is written only when complete. */
    size_t i;
    json_t *el;
    json_array_foreach(arr, i, el)
    {
        const char *method;
        jr_kind_t k = jr_classify(el, NULL, &method, NULL);
        if (k != JR_NOTIFICATION && k != JR_RESPONSE) b->expected++;
    }
    if (b->expected == 0) {
        buf_free(&b->reply);
        free(b);
        b = NULL;
    }
    out_msg_t *carrier = NULL;
    if (batch_passthrough_ok(r, arr)) carrier = out_msg_new(raw, len, JR_BATCH, NULL);
    json_array_foreach(arr, i, el)
    {
        if (carrier) {
            on_host_one(r, NULL, 0, el, b, carrier);
            continue;
        }
        char *s = json_dumps(el, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) on_host_one(r, s, strlen(s), el, b, NULL);
        free(s);
    }
    if (carrier) dispatch(r, carrier);
}

static void on_stdin_line(void *ud, char *line, size_t len)
{
    relay_t *r = ud;
    if (r->stopping) return;
    char err[256], text[300];
    int skeleton = 0;
    json_t *msg = jr_decode_fast(line, len, &skeleton, err, sizeof err);
    if (msg && skeleton && r->opts->ignore_tools_len &&
        json_is_string(json_object_get(msg, "method")) &&
        !strcmp(json_string_value(json_object_get(msg, "method")), "tools/call")) {
        /* --ignore-tool looks at the tool's name: decode the whole call. */
        json_decref(msg);
        msg = jr_decode(line, len, err, sizeof err);
    }
    if (!msg) {
        snprintf(text, sizeof text, "Parse error: %s", err);
        log_error("stdin: %s", text);
        emit_error(r, NULL, NULL, JR_PARSE_ERROR, text);
        return;
    }
    if (json_is_array(msg) && json_array_size(msg) > 0)
        on_host_batch(r, line, len, msg);
    else
        on_host_one(r, line, len, msg, NULL, NULL);
    json_decref(msg);
}

static void on_stdin_oversize(void *ud, size_t dropped)
{
    relay_t *r = ud;
    char text[200];
    snprintf(text, sizeof text,
             "Invalid Request: message of %zu bytes is over the %zu-byte limit "
             "(--max-message-size); discarded",
             dropped, r->opts->max_message_size);
    log_error("stdin: %s", text);
    emit_error(r, NULL, NULL, JR_INVALID_REQUEST, text);
}

static void on_stdin_eof(void *ud)
{
    relay_t *r = ud;
    log_debug("stdin closed; finishing");
    begin_shutdown(r, EOF_GRACE_MS);
}

static void on_stdout_backpressure(void *ud, int congested)
{
    relay_t *r = ud;
    log_debug("the host reads slowly: %s receiving from the server",
              congested ? "pausing" : "resuming");
    http_client_pause(r->http, congested);
}

static void on_stdout_error(void *ud, const char *why)
{
    relay_t *r = ud;
    log_error("writing to the host failed (%s); shutting down", why);
    begin_shutdown(r, 0);
}

/* ---- shutdown ---------------------------------------------------------------------- */

static void on_closed_handle(uv_handle_t *h) {}

/* --keep-alive: a ping of our own now and then, so that the server (or a load
 * balancer before it) does not drop an idle session. Its answer is not pending
 * for the host, so it is dropped when it arrives. */
static void on_keepalive(uv_timer_t *t)
{
    relay_t *r = t->data;
    if (r->stopping || !r->host_initialized || r->reinit || r->authing) return;
    char key[48], body[96];
    snprintf(key, sizeof key, "mcp-bridge-ping-%u", ++r->ping_seq);
    int n =
        snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"method\":\"ping\"}", key);
    json_t *jid = json_string(key);
    out_msg_t *m = out_msg_new(body, (size_t)n, JR_REQUEST, jid);
    json_decref(jid);
    if (m) dispatch(r, m);
}

static void close_everything(void *ud)
{
    relay_t *r = ud;
    if (r->closed) return;
    r->closed = 1;
    stdio_close(&r->stdio);
    uv_close((uv_handle_t *)&r->grace, on_closed_handle);
    uv_close((uv_handle_t *)&r->sigterm, on_closed_handle);
    uv_close((uv_handle_t *)&r->sigint, on_closed_handle);
    uv_close((uv_handle_t *)&r->keepalive, on_closed_handle);
    r->transport->ops->free(r->transport);
    r->transport = NULL;
    oauth_free(r->oauth);
    r->oauth = NULL;
    keychain_close(r->store);
    r->store = NULL;
    if (r->retired) r->retired->ops->free(r->retired);
    r->retired = NULL;
    http_client_free(r->http);
    r->http = NULL;
}

static void on_closing_tick(uv_timer_t *t)
{
    relay_t *r = t->data;
    stdio_when_drained(&r->stdio, close_everything);
}

static void on_transport_closed(void *ud)
{
    relay_t *r = ud;
    /* Whatever is still pending will not be answered now. */
    fail_waitq(r, "the bridge is shutting down");
    while (r->pending)
        pending_fail(r, r->pending, JR_SERVER_ERROR, "the bridge is shutting down");
    /* We may be inside an HTTP callback: free the HTTP client from the loop. */
    uv_timer_start(&r->grace, on_closing_tick, 0, 0);
}

static void close_transport_now(uv_timer_t *t)
{
    relay_t *r = t->data;
    if (r->oauth && r->authing) oauth_cancel(r->oauth);
    r->transport->ops->shutdown(r->transport, on_transport_closed, r);
}

/* The last answer, a signal or a failed write may come from deep inside an HTTP
 * or SSE callback whose stream the shutdown frees: shut down from the loop. */
static void close_transport(relay_t *r)
{
    if (r->transport_closed) return;
    r->transport_closed = 1;
    uv_timer_stop(&r->grace);
    uv_timer_start(&r->grace, close_transport_now, 0, 0);
}

static void maybe_finish_shutdown(relay_t *r)
{
    /* Every host message that came before EOF reaches the server first, and the
     * read of stored tokens ends (cancelling it would report a failed sign-in). */
    if (r->stopping && !r->pending && list_empty(&r->waitq) && !r->in_transport && !r->reinit &&
        !r->init_in_flight && !r->authing && !r->loading)
        close_transport(r);
}

static void on_grace_expired(uv_timer_t *t)
{
    relay_t *r = t->data;
    if (r->n_pending)
        log_info("giving up on the %ld request%s still in progress", r->n_pending,
                 r->n_pending == 1 ? "" : "s");
    close_transport(r);
}

static void begin_shutdown(relay_t *r, long grace_ms)
{
    if (r->stopping) {
        if (grace_ms == 0) close_transport(r);
        return;
    }
    r->stopping = 1;
    stdio_stop_reading(&r->stdio);
    if (grace_ms <= 0) {
        close_transport(r);
        return;
    }
    uv_timer_start(&r->grace, on_grace_expired, (uint64_t)grace_ms, 0);
    maybe_finish_shutdown(r);
}

static void on_signal(uv_signal_t *s, int signum)
{
    relay_t *r = s->data;
    if (r->stopping && signum == SIGINT) {
        log_info("interrupted again; exiting now");
        close_transport(r);
        return;
    }
    log_debug("signal %d; shutting down", signum);
    begin_shutdown(r, SIGNAL_GRACE_MS);
}

static void on_stored_tokens_read(void *ud, int rc, const char *why)
{
    relay_t *r = ud;
    r->loading = 0;
    if (rc && rc != BRIDGE_ECLOSED)
        log_failure(r, why ? why : "the stored sign-in could not be read");
    oauth_seed_refresh_token(r->oauth, r->opts->refresh_token);
    maybe_finish_shutdown(r);
}

static const char *relay_auth_header(void *ud)
{
    relay_t *r = ud;
    return r->oauth ? oauth_header(r->oauth) : NULL;
}

/* ---- start -------------------------------------------------------------------------- */

relay_t *relay_start(uv_loop_t *loop, const bridge_options_t *opts)
{
    relay_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->loop = loop;
    r->opts = opts;
    list_init(&r->waitq);
    http_client_config_t hc = options_http_config(opts);
    r->http = http_client_new(loop, &hc);
    if (!r->http) {
        log_error("out of memory starting up");
        goto fail;
    }
    r->tcfg = (transport_config_t){
        .loop = loop,
        .http = r->http,
        .url = opts->url,
        .headers = opts->headers.lines,
        .headers_len = opts->headers.count,
        .max_message_size = opts->max_message_size,
        .allow_fallback =
            opts->transport == TRANSPORT_HTTP_FIRST || opts->transport == TRANSPORT_SSE_FIRST,
        .ev = {on_transport_message, on_transport_sent, on_transport_session_lost,
               on_transport_fallback, on_transport_auth_challenge},
        .ud = r,
        .auth_header = relay_auth_header,
    };
    if (!header_list_get(&opts->headers, "Authorization")) {
        /* No credentials given: sign in with OAuth when the server asks. */ char note[512];
        int krc = keychain_open((keychain_backend_t)opts->token_store, NULL, &r->store, note,
                                sizeof note);
        if (krc && opts->token_store == KEYCHAIN_OS) {
            log_error("--token-store keychain: %s", note);
            r->exit_code = 1;
            goto fail;
        }
        if (krc) {
            log_error("cannot use the credential store (%s); tokens will be kept in memory only",
                      note[0] ? note : "no home directory");
            keychain_open(KEYCHAIN_MEMORY, NULL, &r->store, NULL, 0);
        }
        oauth_config_t oc = {
            .loop = loop,
            .http = r->http,
            .store = r->store,
            .server_url = opts->url,
            .static_client_info = opts->static_client_info,
            .static_client_metadata = opts->static_client_metadata,
            .client_metadata_url = opts->client_metadata_url,
            .scope = opts->scope,
            .resource = opts->resource,
            .disable_resource = opts->disable_resource,
            .callback_port = opts->callback_port,
            .callback_host = opts->callback_host,
            .auth_timeout_s = opts->auth_timeout_s,
            .no_browser = opts->no_browser,
            .allow_http = opts->allow_http,
            .callback_path = opts->callback_path,
            .authorize_params = opts->authorize_params,
            .authorize_params_len = opts->authorize_params_len,
            .auth_success_url = opts->auth_success_url,
            .use_id_token = opts->use_id_token,
            .client_credentials = opts->client_credentials,
            .token_endpoint = opts->token_endpoint,
            .metadata_max = opts->max_metadata_size,
            .device_code = opts->device_code,
            .mcp_remote_callback = opts->mcp_remote_callback,
            .headers = opts->headers.lines,
            .headers_len = opts->headers.count,
        };
        char err[512] = "";
        r->oauth = oauth_new(&oc, err, sizeof err);
        if (!r->oauth) {
            log_error("%s", err[0] ? err : "out of memory");
            goto fail;
        }
        r->tcfg.oauth = 1; /* Stored tokens are read on the thread pool. Messages do not wait for
                            * them: a 401 meanwhile waits for the read and is then answered with the
                            * stored token, if there is one. */
        r->loading = 1;
        oauth_load(r->oauth, on_stored_tokens_read, r);
    }
    int legacy = opts->transport == TRANSPORT_SSE_FIRST || opts->transport == TRANSPORT_SSE_ONLY;
    r->transport = legacy ? legacy_sse_new(&r->tcfg) : streamable_new(&r->tcfg);
    if (!r->transport) {
        log_error("out of memory starting up");
        goto fail;
    }

    uv_timer_init(loop, &r->grace);
    r->grace.data = r;
    uv_signal_init(loop, &r->sigterm);
    uv_signal_init(loop, &r->sigint);
    r->sigterm.data = r->sigint.data = r;
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    uv_signal_start(&r->sigint, on_signal, SIGINT);
    uv_timer_init(loop, &r->keepalive);
    r->keepalive.data = r;
    if (opts->ping_interval_s > 0) {
        uint64_t ms = (uint64_t)opts->ping_interval_s * 1000;
        uv_timer_start(&r->keepalive, on_keepalive, ms, ms);
        uv_unref((uv_handle_t *)&r->keepalive);
    }

    stdio_callbacks_t sc = {on_stdin_line, on_stdin_oversize, on_stdin_eof, on_stdout_error,
                            on_stdout_backpressure};
    if (stdio_start(&r->stdio, loop, opts->max_message_size, &sc, r) != 0) {
        log_error("cannot use stdin/stdout");
        r->exit_code = 1;
        begin_shutdown(r, 0);
    }
    log_debug("relaying stdio to %s (%s)", opts->url, transport_mode_name(opts->transport));
    return r;
fail:
    oauth_free(r->oauth);
    keychain_close(r->store);
    if (r->http) http_client_free(r->http);
    free(r);
    return NULL;
}

int relay_exit_code(const relay_t *r)
{
    return r->exit_code;
}

void relay_free(relay_t *r)
{
    if (!r) return;
    while (r->pending)
        pending_remove(r, r->pending);
    list_node *n;
    while ((n = list_pop_front(&r->waitq)))
        out_msg_free(LIST_ENTRY(n, out_msg_t, link));
    free(r->init_body);
    free(r->init_key);
    free(r->reinit_key);
    free(r->protocol_version);
    free(r->last_failure);
    free(r->fallback_why);
    free(r);
}
