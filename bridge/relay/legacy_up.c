/* A host that speaks only 2026-07-28 with a server of the older revisions:
 * the bridge opens the session itself (initialize from the first request's
 * _meta), answers subscriptions/listen from the session's own notifications,
 * and turns the server's requests (elicitation, sampling, roots) into
 * input_required results of the host request they belong to; the host's retry
 * answers them while the server's request goes on, and the final result comes
 * back under the retry's id. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/mcp/modern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_VERSION "2025-11-25"

/* The server's requests for one host request, given to the host as one
 * InputRequiredResult, until the host's retry answers them. */
typedef struct up_round {
    list_node link;
    char *token;        /* requestState: "mcp-bridge-round-N" */
    char *upstream_key; /* the id key the server knows the request by */
    json_t *asks;       /* key -> {method, params}: given to the host */
    json_t *ids;        /* key -> the server's request id */
    json_t *queued;     /* asks that came after the host was answered */
    json_t *queued_ids;
    char *final; /* the server's response, come before the host's retry */
    size_t final_len;
} up_round_t;

static void round_free(up_round_t *u)
{
    list_remove(&u->link);
    free(u->token);
    free(u->upstream_key);
    json_decref(u->asks);
    json_decref(u->ids);
    json_decref(u->queued);
    json_decref(u->queued_ids);
    free(u->final);
    free(u);
}

void relay_up_free(relay_t *r)
{
    list_node *n;
    while ((n = list_front(&r->up_rounds)))
        round_free(LIST_ENTRY(n, up_round_t, link));
    json_decref(r->up_filter);
    r->up_filter = NULL;
    free(r->up_listen_key);
    r->up_listen_key = NULL;
}

static up_round_t *round_for_key(relay_t *r, const char *upstream_key)
{
    LIST_FOR_EACH (n, &r->up_rounds) {
        up_round_t *u = LIST_ENTRY(n, up_round_t, link);
        if (!strcmp(u->upstream_key, upstream_key)) return u;
    }
    return NULL;
}

static up_round_t *round_for_token(relay_t *r, const char *token)
{
    LIST_FOR_EACH (n, &r->up_rounds) {
        up_round_t *u = LIST_ENTRY(n, up_round_t, link);
        if (!strcmp(u->token, token)) return u;
    }
    return NULL;
}

static const char *upstream_key_of(const pending_t *p)
{
    return p->wire_key ? p->wire_key : p->id_key;
}

/* Emit a JSON value to the host (a reference is taken). */
static void emit(relay_t *r, json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (s) relay_emit_owned(r, s, strlen(s));
}

/* A message of the bridge's to the server (a response to its request). */
static void send_to_server(relay_t *r, json_t *v, jr_kind_t kind)
{
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    out_msg_t *m = s ? relay_msg_new(s, strlen(s), kind, NULL) : NULL;
    free(s);
    if (!m) return;
    m->shaped = 1; /* the bridge's own: not a host message to look at */
    relay_dispatch(r, m);
}

/* The session the host did not open: initialize as the host's first request
 * describes it; what the host sent waits until it is set up. */
static int open_session(relay_t *r, json_t *msg)
{
    json_t *meta = json_object_get(json_object_get(msg, "params"), "_meta");
    json_t *caps = json_object_get(meta, MODERN_META_CAPS);
    json_t *info = json_object_get(meta, MODERN_META_CLIENT);
    json_t *init = json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:o, s:o}}", "jsonrpc", "2.0", "id", "mcp-bridge-init", "method",
        "initialize", "params", "protocolVersion", SESSION_VERSION, "capabilities",
        json_is_object(caps) ? json_deep_copy(caps) : json_object(), "clientInfo",
        json_is_object(info)
            ? json_deep_copy(info)
            : json_pack("{s:s, s:s}", "name", "mcp-bridge", "version", MCP_BRIDGE_VERSION));
    char *body = init ? json_dumps(init, JSON_COMPACT) : NULL;
    json_decref(init);
    if (!body) return BRIDGE_ENOMEM;
    free(r->init_body);
    r->init_body = body;
    r->init_len = strlen(body);
    r->host_initialized = 1; /* the session's GET stream opens once it is set up */
    log_info("%s speaks a revision before 2026-07-28; opening a session for the 2026-07-28 host",
             r->cfg->url);
    relay_start_session(r);
    return 0;
}

/* subscriptions/listen: the session's own notifications, filtered as asked. */
static void listen_here(relay_t *r, pending_t *p, json_t *msg)
{
    json_t *filter = json_object_get(json_object_get(msg, "params"), "notifications");
    json_decref(r->up_filter);
    r->up_filter = json_is_object(filter) ? json_deep_copy(filter) : json_object();
    free(r->up_listen_key);
    r->up_listen_key = strdup(p->id_key);
    if (relay_signin_listen_acked(r, p->id_key)) return; /* told during the sign-in */
    json_t *ack = json_pack("{s:s, s:s, s:{s:{s:O}, s:O}}", "jsonrpc", "2.0", "method",
                            "notifications/subscriptions/acknowledged", "params", "_meta",
                            MODERN_META_SUBSCRIPTION, p->id, "notifications", r->up_filter);
    emit(r, ack);
    /* The request stays pending: it ends when the host cancels it. */
}

/* The server's response came while the host was answering its questions: it
 * goes to the host under the retry's id (the id p has now). Takes raw. */
static void deliver_final(relay_t *r, pending_t *p, char *raw, size_t len)
{
    char err[128];
    json_t *resp = jr_decode(raw, len, err, sizeof err);
    free(raw);
    relay_pending_answer(r, p, resp);
}

/* The host's retry of a request whose input the server asked for: the answers
 * go to the server's requests, and the request the server is still working on
 * takes the retry's id. */
static void answer_round(relay_t *r, up_round_t *u, pending_t *retry, json_t *msg)
{
    json_t *responses = json_object_get(json_object_get(msg, "params"), "inputResponses");
    const char *key;
    json_t *sid;
    json_object_foreach (u->ids, key, sid) {
        json_t *answer = json_object_get(responses, key);
        json_t *resp =
            json_is_object(answer)
                ? json_pack("{s:s, s:O, s:O}", "jsonrpc", "2.0", "id", sid, "result", answer)
                : json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", sid, "error",
                            "code", JR_INTERNAL_ERROR, "message", "the host gave no answer");
        if (resp) send_to_server(r, resp, JR_RESPONSE);
    }
    pending_t *p = pending_find_wire(&r->pending, u->upstream_key);
    if (!p || p == retry) {
        relay_pending_fail(r, retry, JR_SERVER_ERROR,
                           "the request this answers is no longer in "
                           "progress");
        round_free(u);
        return;
    }
    /* The request goes on under the retry's id; the retry itself is not sent. */
    if (!p->wire_key) p->wire_key = strdup(p->id_key);
    free(p->id_key);
    p->id_key = strdup(retry->id_key);
    json_decref(p->id);
    p->id = json_incref(retry->id);
    retry->msg = NULL;
    pending_remove(&r->pending, retry);
    json_decref(u->asks);
    json_decref(u->ids);
    u->asks = u->queued;
    u->ids = u->queued_ids;
    u->queued = u->queued_ids = NULL;
    if (u->final) {
        char *raw = u->final;
        size_t len = u->final_len;
        u->final = NULL;
        round_free(u);
        deliver_final(r, p, raw, len);
        return;
    }
    if (!u->asks) {
        round_free(u); /* answered; a later request of the server's starts another */
        return;
    }
    /* The server asked more while the host was answering: another round. */
    json_t *res = json_pack("{s:s, s:O, s:{s:s, s:O, s:s}}", "jsonrpc", "2.0", "id", p->id,
                            "result", "resultType", "input_required", "inputRequests", u->asks,
                            "requestState", u->token);
    emit(r, res);
}

int relay_up_host_message(relay_t *r, out_msg_t *m)
{
    char err[128];
    json_t *msg = jr_decode(m->body, m->len, err, sizeof err);
    json_t *id = NULL;
    const char *method = NULL;
    jr_kind_t kind = msg ? jr_classify(msg, &id, &method, NULL) : JR_INVALID;
    int taken = 0;
    pending_t *p = m->pending;
    if (kind == JR_RESPONSE) {
        relay_msg_free(m); /* a 2026-07-28 host has no requests to answer */
        taken = 1;
    } else if (kind == JR_NOTIFICATION && !strcmp(method, "notifications/cancelled")) {
        json_t *rid = json_object_get(json_object_get(msg, "params"), "requestId");
        char *key = jr_id_key(rid);
        if (key && r->up_listen_key && !strcmp(key, r->up_listen_key)) {
            pending_t *lp = pending_find(&r->pending, key);
            if (lp) pending_remove(&r->pending, lp);
            free(r->up_listen_key);
            r->up_listen_key = NULL;
            relay_msg_free(m);
            taken = 1;
        }
        free(key);
    } else if (kind == JR_REQUEST && p) {
        json_t *state = json_object_get(json_object_get(msg, "params"), "requestState");
        up_round_t *u = json_is_string(state) ? round_for_token(r, json_string_value(state)) : NULL;
        if (!r->init_body) {
            if (open_session(r, msg) == 0) {
                m->shaped = 0; /* looked at again once the session is set up */
                relay_waitq_push(r, m);
                taken = 1;
            }
        } else if (!strcmp(method, "subscriptions/listen")) {
            p->msg = NULL;
            relay_msg_free(m);
            listen_here(r, p, msg);
            taken = 1;
        } else if (u) {
            p->msg = NULL;
            relay_msg_free(m);
            answer_round(r, u, p, msg);
            taken = 1;
        }
    }
    json_decref(msg);
    return taken;
}

/* Whether the host asked to hear of this notification. */
static int wanted(relay_t *r, const char *method, json_t *note)
{
    if (!r->up_listen_key || !r->up_filter) return 0;
    if (!strcmp(method, "notifications/tools/list_changed"))
        return json_is_true(json_object_get(r->up_filter, "toolsListChanged"));
    if (!strcmp(method, "notifications/prompts/list_changed"))
        return json_is_true(json_object_get(r->up_filter, "promptsListChanged"));
    if (!strcmp(method, "notifications/resources/list_changed"))
        return json_is_true(json_object_get(r->up_filter, "resourcesListChanged"));
    if (!strcmp(method, "notifications/resources/updated")) {
        const char *uri =
            json_string_value(json_object_get(json_object_get(note, "params"), "uri"));
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(r->up_filter, "resourceSubscriptions"), i, v) {
            if (uri && json_is_string(v) && !strcmp(json_string_value(v), uri)) return 1;
        }
    }
    return 0;
}

/* The host request a server request belongs to: the one whose stream carried
 * it, else the only one in progress that may ask for input. */
static pending_t *related(relay_t *r, const out_msg_t *origin)
{
    if (origin && origin->pending) return origin->pending;
    pending_t *only = NULL;
    LIST_FOR_EACH (n, &r->pending.all) {
        pending_t *p = LIST_ENTRY(n, pending_t, link);
        if (strcmp(p->method, "tools/call") && strcmp(p->method, "prompts/get") &&
            strcmp(p->method, "resources/read"))
            continue;
        if (only) return NULL;
        only = p;
    }
    return only;
}

static void refuse(relay_t *r, json_t *id, const char *why)
{
    json_t *resp = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id, "error",
                             "code", JR_METHOD_NOT_FOUND, "message", why);
    if (resp) send_to_server(r, resp, JR_RESPONSE);
}

/* A request of the server's: given to the host inside the result of the
 * request it belongs to. */
static void ask_host(relay_t *r, json_t *req, json_t *id, const char *method,
                     const out_msg_t *origin)
{
    if (!strcmp(method, "ping")) {
        json_t *resp = json_pack("{s:s, s:O, s:{}}", "jsonrpc", "2.0", "id", id, "result");
        if (resp) send_to_server(r, resp, JR_RESPONSE);
        return;
    }
    if (strcmp(method, "elicitation/create") && strcmp(method, "sampling/createMessage") &&
        strcmp(method, "roots/list")) {
        refuse(r, id, "Method not found");
        return;
    }
    pending_t *p = related(r, origin);
    if (!p) {
        refuse(r, id, "the host speaks 2026-07-28 and can only be asked within a request");
        return;
    }
    up_round_t *u = round_for_key(r, upstream_key_of(p));
    if (!u) {
        u = calloc(1, sizeof *u);
        char token[48];
        snprintf(token, sizeof token, "mcp-bridge-round-%u", ++r->input_seq);
        if (u) {
            list_node_init(&u->link);
            list_push_back(&r->up_rounds, &u->link);
            u->token = strdup(token);
            u->upstream_key = strdup(upstream_key_of(p));
        }
        if (!u || !u->token || !u->upstream_key) {
            if (u) round_free(u);
            refuse(r, id, "out of memory");
            return;
        }
    }
    int answered = u->asks != NULL; /* the host has this round's result already */
    json_t **asks = answered ? &u->queued : &u->asks;
    json_t **ids = answered ? &u->queued_ids : &u->ids;
    if (!*asks) *asks = json_object();
    if (!*ids) *ids = json_object();
    char key[32];
    snprintf(key, sizeof key, "r%zu", json_object_size(*asks) + 1);
    json_t *params = json_object_get(req, "params");
    json_object_set_new(*asks, key,
                        json_pack("{s:s, s:o}", "method", method, "params",
                                  json_is_object(params) ? json_deep_copy(params) : json_object()));
    json_object_set(*ids, key, id);
    if (answered) return;
    json_t *res = json_pack("{s:s, s:O, s:{s:s, s:O, s:s}}", "jsonrpc", "2.0", "id", p->id,
                            "result", "resultType", "input_required", "inputRequests", u->asks,
                            "requestState", u->token);
    emit(r, res);
}

int relay_up_server_message(relay_t *r, char *raw, size_t len, json_t *root, int skeleton,
                            const out_msg_t *origin)
{
    char err[128];
    json_t *msg = skeleton ? jr_decode(raw, len, err, sizeof err) : json_incref(root);
    json_t *id = NULL;
    const char *method = NULL;
    jr_kind_t kind = msg ? jr_classify(msg, &id, &method, NULL) : JR_INVALID;
    int taken = 1;
    if (kind == JR_REQUEST) {
        ask_host(r, msg, id, method, origin);
    } else if (kind == JR_NOTIFICATION && (strstr(method, "list_changed") ||
                                           !strcmp(method, "notifications/resources/updated"))) {
        if (wanted(r, method, msg)) {
            json_t *params = json_object_get(msg, "params");
            if (!json_is_object(params)) json_object_set_new(msg, "params", json_object());
            params = json_object_get(msg, "params");
            json_t *meta = json_object_get(params, "_meta");
            if (!json_is_object(meta)) json_object_set_new(params, "_meta", json_object());
            json_t *lid = NULL;
            pending_t *lp = pending_find(&r->pending, r->up_listen_key);
            if (lp) lid = lp->id;
            if (lid)
                json_object_set(json_object_get(params, "_meta"), MODERN_META_SUBSCRIPTION, lid);
            emit(r, json_incref(msg));
        }
    } else {
        taken = 0; /* progress, log messages: as they are */
    }
    json_decref(msg);
    if (taken) free(raw);
    return taken;
}

int relay_up_hold_final(relay_t *r, pending_t *p, char *raw, size_t len)
{
    up_round_t *u = round_for_key(r, upstream_key_of(p));
    if (!u || !u->asks) return 0;
    /* The host was given input_required under this id: the result waits for
     * its retry, which takes another id. */
    free(u->final);
    u->final = raw;
    u->final_len = len;
    return 1;
}

/* The methods whose 2026-07-28 results are cacheable (schema CacheableResult). */
static int cacheable(const char *method)
{
    static const char *const methods[] = {"tools/list", "prompts/list", "resources/list",
                                          "resources/templates/list", "resources/read"};
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (!strcmp(method, methods[i])) return 1;
    return 0;
}

char *relay_up_result(const char *method, char *raw, size_t *len)
{
    json_t *resp = json_loadb(raw, *len, 0, NULL);
    json_t *result = json_object_get(resp, "result");
    char *out = NULL;
    if (json_is_object(result)) {
        /* An older server's result is complete; what it does not say of
         * caching is said the safe way: stale at once, for this person only. */
        if (!json_object_get(result, "resultType"))
            json_object_set_new(result, "resultType", json_string("complete"));
        if (cacheable(method) && !json_is_integer(json_object_get(result, "ttlMs")))
            json_object_set_new(result, "ttlMs", json_integer(0));
        if (cacheable(method) && !json_is_string(json_object_get(result, "cacheScope")))
            json_object_set_new(result, "cacheScope", json_string("private"));
        out = json_dumps(resp, JSON_COMPACT);
    }
    json_decref(resp);
    if (!out) return raw;
    free(raw);
    *len = strlen(out);
    return out;
}
