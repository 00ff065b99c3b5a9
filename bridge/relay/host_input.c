/* A line from stdin: decoded just enough to route it (kind, id, method), then
 * answered here (invalid messages, duplicates, limits, hidden tools, pings
 * during a new session) or recorded as pending and sent on as it came.
 * Batches are split, or passed through whole where the protocol allows. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/jsonrpc.h"
#include "bridge/base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        relay_emit_error(r, b, maybe_id, JR_INVALID_REQUEST, text);
        return 1;
    }
    if (kind == JR_RESPONSE && relay_signin_host_response(r, id)) return 0;
    if (kind == JR_REQUEST) {
        char *key = jr_id_key(id);
        int dup = key && pending_find(&r->pending, key) != NULL;
        free(key);
        if (dup) {
            relay_emit_error(r, b, id, JR_INVALID_REQUEST,
                             "Invalid Request: a request with this id is still in progress");
            return 1;
        }
        if (r->pending.count >= r->cfg->max_pending) {
            char text[160];
            snprintf(text, sizeof text,
                     "too many requests in flight: %ld (--max-pending); try again when some "
                     "have been answered",
                     r->pending.count);
            relay_emit_error(r, b, id, JR_SERVER_ERROR, text);
            return 1;
        }
        if (!strcmp(method, "initialize") && b) {
            relay_emit_error(r, b, id, JR_INVALID_REQUEST,
                             "Invalid Request: initialize must not be part of a batch");
            return 1;
        }
        if (!strcmp(method, "tools/call")) {
            json_t *name = json_object_get(json_object_get(msg, "params"), "name");
            if (json_is_string(name) && relay_tool_ignored(r, json_string_value(name))) {
                char text[300];
                snprintf(text, sizeof text,
                         "Tool \"%.200s\" is not available (hidden by --ignore-tool)",
                         json_string_value(name));
                relay_emit_error(r, b, id, JR_INVALID_PARAMS, text);
                return 1;
            }
        }
        if (r->signin && relay_signin_host_request(r, msg, id, method, b)) return 1;
        if (!strcmp(method, "ping") && (r->reinit || r->authing)) {
            /* The server is busy being re-initialized: answer for it. */
            json_t *resp = json_pack("{s:s, s:O, s:{}}", "jsonrpc", "2.0", "id", id, "result");
            char *s = json_dumps(resp, JSON_COMPACT);
            json_decref(resp);
            if (s) relay_emit_response(r, b, s, strlen(s));
            return 1;
        }
    }
    pending_t *p = NULL;
    if (kind == JR_REQUEST && !(p = pending_add(&r->pending, id, method, b))) {
        relay_emit_error(r, b, id, JR_INTERNAL_ERROR, "out of memory");
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
    if (kind == JR_NOTIFICATION && !strcmp(method, "notifications/initialized")) {
        r->host_initialized = 1;
        relay_signin_host_initialized(r);
    }
    out_msg_t *m = carrier;
    if (!m) {
        m = relay_msg_new(raw, len, kind, kind == JR_REQUEST ? id : NULL);
        if (!m) {
            if (p) relay_pending_fail(r, p, JR_INTERNAL_ERROR, "out of memory");
            return kind == JR_REQUEST;
        }
        m->is_initialize = kind == JR_REQUEST && !strcmp(method, "initialize");
        if (method && !(m->method = strdup(method))) {
            if (p) relay_pending_fail(r, p, JR_INTERNAL_ERROR, "out of memory");
            relay_msg_free(m);
            return kind == JR_REQUEST;
        }
    }
    if (kind == JR_NOTIFICATION && !strcmp(method, "notifications/initialized"))
        m->is_initialized_note = 1; /* a batch carrier too: it opens the GET stream */
    if (p) p->msg = m;
    if (!carrier) m->pending = p;
    if (m->is_initialize) r->init_in_flight = 1;
    if (!carrier && !relay_era_intercept(r, m, method, p)) relay_dispatch(r, m);
    return kind == JR_REQUEST;
}

/* Only 2025-03-26 has batches, and only over Streamable HTTP: then a batch
 * whose members are all plain messages goes to the server as it came. */
static int batch_passthrough_ok(relay_t *r, json_t *arr)
{
    if (r->era != ERA_LEGACY || !r->protocol_version ||
        strcmp(r->protocol_version, "2025-03-26") != 0 || r->reinit ||
        strcmp(r->transport->ops->name, "streamable-http") != 0)
        return 0;
    size_t i;
    json_t *el;
    json_array_foreach (arr, i, el) {
        json_t *id;
        const char *method;
        jr_kind_t k = jr_classify(el, &id, &method, NULL);
        if (k == JR_INVALID || k == JR_BATCH) return 0;
        if (k == JR_REQUEST) {
            char *key = jr_id_key(id);
            int dup = !key || pending_find(&r->pending, key) != NULL;
            free(key);
            if (dup || !strcmp(method, "initialize") || !strcmp(method, "tools/call")) return 0;
        }
    }
    return 1;
}

static void on_host_batch(relay_t *r, const char *raw, size_t len, json_t *arr)
{
    /* Count the responses first, so the reply is written only when complete. */
    size_t i, expected = 0;
    json_t *el;
    json_array_foreach (arr, i, el) {
        const char *method;
        jr_kind_t k = jr_classify(el, NULL, &method, NULL);
        if (k != JR_NOTIFICATION && k != JR_RESPONSE) expected++;
    }
    batch_t *b = NULL;
    if (expected && !(b = batch_new(expected))) return;
    out_msg_t *carrier = NULL;
    if (batch_passthrough_ok(r, arr)) carrier = relay_msg_new(raw, len, JR_BATCH, NULL);
    json_array_foreach (arr, i, el) {
        if (carrier) {
            on_host_one(r, NULL, 0, el, b, carrier);
            continue;
        }
        char *s = json_dumps(el, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) on_host_one(r, s, strlen(s), el, b, NULL);
        free(s);
    }
    if (carrier) relay_dispatch(r, carrier);
}

void relay_on_stdin_line(void *ud, char *line, size_t len)
{
    relay_t *r = ud;
    if (r->stopping) return;
    char err[256], text[300];
    int skeleton = 0;
    json_t *msg = jr_decode_fast(line, len, &skeleton, err, sizeof err);
    const char *method = msg ? json_string_value(json_object_get(msg, "method")) : NULL;
    if (skeleton && method &&
        (((r->cfg->ignore_tools_len || r->signin) && !strcmp(method, "tools/call")) ||
         (r->signin &&
          (!strcmp(method, "subscriptions/listen") || !strcmp(method, "server/discover"))))) {
        /* --ignore-tool and the sign-in tool look at the tool's name, the
         * sign-in at what a listen asks for and the version a discover asks
         * for: decode the whole message. */
        json_decref(msg);
        msg = jr_decode(line, len, err, sizeof err);
    }
    if (!msg) {
        snprintf(text, sizeof text, "Parse error: %s", err);
        log_error("stdin: %s", text);
        relay_emit_error(r, NULL, NULL, JR_PARSE_ERROR, text);
        return;
    }
    if (json_is_array(msg) && json_array_size(msg) > 0)
        on_host_batch(r, line, len, msg);
    else
        on_host_one(r, line, len, msg, NULL, NULL);
    json_decref(msg);
}

void relay_on_stdin_oversize(void *ud, size_t dropped)
{
    relay_t *r = ud;
    char text[200];
    snprintf(text, sizeof text,
             "Invalid Request: message of %zu bytes is over the %zu-byte limit "
             "(--max-message-size); discarded",
             dropped, r->cfg->max_message_size);
    log_error("stdin: %s", text);
    relay_emit_error(r, NULL, NULL, JR_INVALID_REQUEST, text);
}
