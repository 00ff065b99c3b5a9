/* A host of either era with a server that speaks 2026-07-28: a 2025-era
 * host's messages are made modern (_meta on every request; initialize, ping,
 * logging/setLevel and resources/subscribe answered here), a 2026 host's pass
 * as they are; both get the request headers, cancellation by closing the
 * request's stream, a retry with a version the server names, and one new
 * request when a response stream breaks. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/err.h"
#include "bridge/base/jscan.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "bridge/mcp/modern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int host_is_legacy(const relay_t *r)
{
    return r->host_era != ERA_MODERN;
}

static int may_ask_input(const char *method)
{
    return !strcmp(method, "tools/call") || !strcmp(method, "prompts/get") ||
           !strcmp(method, "resources/read");
}

/* Answer p here with `result` (a reference is taken). */
static void answer(relay_t *r, pending_t *p, json_t *result)
{
    relay_pending_answer(r, p, json_pack("{s:s, s:o}", "jsonrpc", "2.0", "result", result));
}

void relay_modern_answer_initialize(relay_t *r, pending_t *p)
{
    json_t *result = modern_initialize_result(r->discover, r->host_version);
    if (!result) {
        relay_pending_fail(r, p, JR_SERVER_ERROR,
                           "the server's server/discover result could not be read");
        return;
    }
    json_t *v = json_object_get(result, "protocolVersion");
    free(r->protocol_version);
    r->protocol_version = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
    log_info("%s speaks %s; the host's %s session is bridged to it", r->cfg->url,
             r->modern_version ? r->modern_version : "2026-07-28",
             r->protocol_version ? r->protocol_version : "");
    answer(r, p, result);
}

int relay_modern_send_for(relay_t *r, pending_t *p, json_t *req)
{
    char id[48];
    snprintf(id, sizeof id, "mcp-bridge-%u", ++r->wire_seq);
    json_t *jid = json_string(id);
    json_object_set(req, "id", jid);
    const char *method = json_string_value(json_object_get(req, "method"));
    char *body = json_dumps(req, JSON_COMPACT);
    out_msg_t *m = body ? relay_msg_new(body, strlen(body), JR_REQUEST, jid) : NULL;
    json_decref(jid);
    free(body);
    if (!m || relay_msg_headers(r, m, req, method ? method : "") != 0) {
        relay_msg_free(m);
        relay_pending_fail(r, p, JR_INTERNAL_ERROR, "out of memory");
        return BRIDGE_ENOMEM;
    }
    m->shaped = 1;
    m->pending = p;
    free(p->wire_key);
    p->wire_key = strdup(m->id_key);
    p->msg = m;
    relay_dispatch(r, m);
    return 0;
}

/* notifications/cancelled: over HTTP, closing the request's stream is the
 * cancellation (basic/patterns/cancellation). The host expects no answer. */
static void cancel_request(relay_t *r, json_t *request_id)
{
    char *key = jr_id_key(request_id);
    pending_t *p = key ? pending_find(&r->pending, key) : NULL;
    free(key);
    if (!p) return;
    out_msg_t *m = p->msg;
    pending_remove(&r->pending, p);
    if (!m) return;
    m->pending = NULL;
    if (r->transport->ops->cancel && r->transport->ops->cancel(r->transport, m) == 0) return;
    if (list_linked(&m->link)) { /* still waiting in the relay */
        list_remove(&m->link);
        relay_msg_free(m);
    }
}

/* A 2025-era host's request that the modern revision no longer has, or that
 * the bridge keeps for it: answered here. Returns 1 when answered. */
static int answer_locally(relay_t *r, json_t *msg, const char *method, pending_t *p)
{
    json_t *params = json_object_get(msg, "params");
    if (!strcmp(method, "initialize")) {
        relay_modern_answer_initialize(r, p);
        return 1;
    }
    if (!strcmp(method, "ping")) {
        answer(r, p, json_object());
        return 1;
    }
    if (!strcmp(method, "logging/setLevel")) {
        /* Now a per-request field: sent with every request from here on. */
        json_t *level = json_object_get(params, "level");
        free(r->log_level);
        r->log_level = json_is_string(level) ? strdup(json_string_value(level)) : NULL;
        relay_modern_meta_changed(r);
        answer(r, p, json_object());
        return 1;
    }
    int sub = !strcmp(method, "resources/subscribe");
    if (sub || !strcmp(method, "resources/unsubscribe")) {
        json_t *uri = json_object_get(params, "uri");
        if (!json_is_string(uri)) {
            relay_pending_fail(r, p, JR_INVALID_PARAMS, "Invalid params: uri must be a string");
            return 1;
        }
        relay_subs_change(r, json_string_value(uri), sub);
        answer(r, p, json_object());
        return 1;
    }
    return 0;
}

/* The _meta a 2025-era host's requests get, as text, made once (and again
 * when the level or the version changes: relay_modern_meta_changed). */
static const char *meta_text(relay_t *r)
{
    if (r->meta_text) return r->meta_text;
    json_t *probe = json_pack("{s:s}", "jsonrpc", "2.0");
    if (probe && modern_set_meta(probe, r->modern_version ? r->modern_version : MODERN_VERSION,
                                 r->client_caps, r->client_info, r->log_level) == 0)
        r->meta_text =
            json_dumps(json_object_get(json_object_get(probe, "params"), "_meta"), JSON_COMPACT);
    json_decref(probe);
    return r->meta_text;
}

void relay_modern_meta_changed(relay_t *r)
{
    free(r->meta_text);
    r->meta_text = NULL;
}

/* Put the _meta into m's text without encoding the whole request again: at
 * the start of params (or as params), when params has no _meta of its own.
 * 0, or -1 when the request must be encoded whole instead. */
static int insert_meta(relay_t *r, out_msg_t *m)
{
    jscan_t sc;
    size_t bad;
    const char *meta = meta_text(r);
    if (!meta || jscan(m->body, m->len, &sc, &bad) != 0 || sc.top != JSCAN_OBJECT || sc.odd_keys ||
        sc.method.type == JSCAN_NONE)
        return -1;
    const char *at, *head, *tail;
    if (sc.params.type == JSCAN_OBJECT) {
        if (json_text_mentions(sc.params.at, sc.params.len, "\"_meta\"")) return -1;
        at = sc.params.at + 1; /* after its '{' */
        head = "\"_meta\":";
        tail = at[strspn(at, " \t\r\n")] == '}' ? "" : ",";
    } else if (sc.params.type == JSCAN_NONE) {
        at = m->body + m->len; /* the request's own '}' */
        while (at > m->body && at[-1] != '}')
            at--;
        if (at == m->body) return -1;
        at--;
        head = ",\"params\":{\"_meta\":";
        tail = "}";
    } else {
        return -1;
    }
    size_t pre = (size_t)(at - m->body), hl = strlen(head), ml = strlen(meta), tl = strlen(tail);
    char *body = malloc(m->len + hl + ml + tl + 1);
    if (!body) return -1;
    memcpy(body, m->body, pre);
    memcpy(body + pre, head, hl);
    memcpy(body + pre + hl, meta, ml);
    memcpy(body + pre + hl + ml, tail, tl);
    memcpy(body + pre + hl + ml + tl, at, m->len - pre);
    m->len += hl + ml + tl;
    body[m->len] = 0;
    free(m->body);
    m->body = body;
    return 0;
}

static int replace_body(out_msg_t *m, json_t *msg)
{
    char *body = json_dumps(msg, JSON_COMPACT);
    if (!body) return BRIDGE_ENOMEM;
    free(m->body);
    m->body = body;
    m->len = strlen(body);
    return 0;
}

int relay_modern_host_message(relay_t *r, out_msg_t *m, json_t *msg, jr_kind_t kind,
                              const char *method, pending_t *p, batch_t *b)
{
    (void)b;
    if (kind == JR_RESPONSE) {
        json_t *id = json_object_get(msg, "id");
        if (!relay_mrtr_host_response(r, msg, id))
            log_debug("dropping a response from the host: a 2026-07-28 server sends no requests");
        relay_msg_free(m);
        return 1;
    }
    if (kind == JR_NOTIFICATION) {
        if (!strcmp(method, "notifications/cancelled")) {
            cancel_request(r, json_object_get(json_object_get(msg, "params"), "requestId"));
            relay_msg_free(m);
            return 1;
        }
        if (host_is_legacy(r)) {
            /* initialized has no counterpart (the bridge listens for changes
             * instead); roots/list_changed was removed. */
            if (!strcmp(method, "notifications/initialized")) {
                r->host_initialized = 1;
                relay_subs_start(r);
            }
            relay_msg_free(m);
            return 1;
        }
        if (relay_msg_headers(r, m, msg, method) != 0) {
            relay_fail_msg(r, m, "the message cannot be sent with valid headers");
            return 1;
        }
        return 0;
    }
    if (!p) return 0;
    int rc = 0;
    if (host_is_legacy(r)) {
        if (answer_locally(r, msg, method, p)) {
            relay_msg_free(m);
            return 1;
        }
        rc = modern_set_meta(msg, r->modern_version ? r->modern_version : MODERN_VERSION,
                             r->client_caps, r->client_info, r->log_level);
        if (!rc && insert_meta(r, m) != 0) rc = replace_body(m, msg);
    }
    if (!rc && (may_ask_input(method) || host_is_legacy(r))) {
        /* Kept for a retry: another version, more input, a broken stream
         * (not changed from here on: a retry copies it). */
        json_decref(p->orig);
        p->orig = json_incref(msg);
    }
    if (!rc) rc = relay_msg_headers(r, m, msg, method);
    if (rc) {
        p->msg = m;
        relay_fail_msg(r, m,
                       rc == BRIDGE_EINVAL ? "the request's method or version cannot be sent as "
                                             "an HTTP header value"
                                           : "out of memory");
        return 1;
    }
    return 0;
}

/* Another version from UnsupportedProtocolVersionError: the request again. */
static int retry_version(relay_t *r, pending_t *p, json_t *error)
{
    const char *v =
        modern_pick_version(json_object_get(json_object_get(error, "data"), "supported"));
    if (!v || !p->orig || p->retries >= RELAY_MAX_RETRIES) return 0;
    const char *used = modern_meta_version(p->orig);
    if (used && !strcmp(used, v)) return 0;
    p->retries++;
    log_info("%s asks for protocol version %s; sending the request again with it", r->cfg->url, v);
    if (host_is_legacy(r)) {
        free(r->modern_version);
        r->modern_version = strdup(v);
        relay_modern_meta_changed(r);
    }
    json_t *req = json_deep_copy(p->orig);
    json_t *meta = json_object_get(json_object_get(req, "params"), "_meta");
    if (json_is_object(meta)) json_object_set_new(meta, MODERN_META_VERSION, json_string(v));
    json_decref(p->orig);
    p->orig = json_incref(req);
    relay_modern_send_for(r, p, req);
    json_decref(req);
    return 1;
}

int relay_modern_on_response(relay_t *r, pending_t *p, const char *raw, size_t len, json_t *root,
                             char **replacement)
{
    *replacement = NULL;
    char err[128];
    int has_error = json_object_get(root, "error") != NULL;
    int input = host_is_legacy(r) && may_ask_input(p->method) && !has_error &&
                json_text_mentions(raw, len, "input_required");
    int list = !strcmp(p->method, "tools/list") && !has_error;
    if (!has_error && !input && !list) return 0;
    json_t *whole = jr_decode(raw, len, err, sizeof err);
    if (!whole) return 0;
    int taken = 0;
    json_t *error = json_object_get(whole, "error");
    json_t *result = json_object_get(whole, "result");
    if (json_is_object(error)) {
        json_t *code = json_object_get(error, "code");
        if (json_is_integer(code) && json_integer_value(code) == MODERN_ERR_UNSUPPORTED_VERSION)
            taken = retry_version(r, p, error);
        else if (json_is_integer(code) && json_integer_value(code) == MODERN_ERR_HEADER_MISMATCH)
            taken = relay_relist_then_retry(r, p);
    } else if (input && mrtr_is_input_required(result)) {
        taken = relay_mrtr_start(r, p, result);
    } else if (list && json_is_object(result)) {
        if (!r->tool_headers) r->tool_headers = mcp_tool_headers_new();
        if (r->tool_headers && mcp_tool_headers_learn(r->tool_headers, result) > 0)
            *replacement = json_dumps(whole, JSON_COMPACT);
    }
    json_decref(whole);
    return taken;
}

int relay_modern_reissue(relay_t *r, out_msg_t *m)
{
    pending_t *p = m->pending;
    if (!m->broken || !p || p->msg != m || p->retries >= RELAY_MAX_RETRIES || r->stopping) return 0;
    json_t *req = p->orig ? json_deep_copy(p->orig) : json_loadb(m->body, m->len, 0, NULL);
    if (!req) return 0;
    p->retries++;
    log_info("the response stream of a request to %s broke; sending it again as a new request",
             r->cfg->url);
    m->pending = NULL;
    relay_msg_free(m);
    relay_modern_send_for(r, p, req);
    json_decref(req);
    return 1;
}

void relay_modern_shutdown(relay_t *r)
{
    relay_subs_stop(r);
    /* A host's subscriptions/listen never ends by itself. */
    LIST_FOR_EACH_SAFE (n, tmp, &r->pending.all) {
        pending_t *p = LIST_ENTRY(n, pending_t, link);
        if (!strcmp(p->method, "subscriptions/listen")) {
            json_t *id = json_incref(p->id);
            cancel_request(r, id);
            json_decref(id);
        }
    }
}
