/* What comes back from the transport: the server's messages (responses
 * matched to pending requests, its own requests and notifications passed on)
 * and the transport's report on each message it was lent. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_probe_response(relay_t *r, json_t *root)
{
    relay_era_on_probe_response(r, NULL, root);
}

/* A response to a message of the bridge's own goes to the part that sent it
 * (raw taken). 0 when it is not one. */
static int internal_response(relay_t *r, const char *key, char *raw, size_t len, json_t *root,
                             int skeleton)
{
    void (*handler)(relay_t *, json_t *) = NULL;
    if (r->reinit_key && !strcmp(key, r->reinit_key)) {
        free(r->reinit_key);
        r->reinit_key = NULL;
        handler = relay_on_reinit_response;
    } else if (r->probe_key && r->probe_msg && r->probe_msg->internal &&
               !strcmp(key, r->probe_key)) {
        handler = on_probe_response;
    } else if (r->relist_key && !strcmp(key, r->relist_key)) {
        handler = relay_modern_on_relist;
    } else if (r->listen_key && !strcmp(key, r->listen_key)) {
        handler = relay_subs_on_response;
    }
    if (!handler) return 0;
    char err[128];
    json_t *whole = skeleton ? jr_decode(raw, len, err, sizeof err) : NULL;
    free(raw);
    handler(r, whole ? whole : root);
    json_decref(whole);
    return 1;
}

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
    if (internal_response(r, key, raw, len, root, skeleton)) {
        free(key);
        return;
    }
    int probe = r->probe_key && r->probe_msg && !strcmp(key, r->probe_key);
    pending_t *p = pending_find_wire(&r->pending, key);
    free(key);
    if (!p) {
        log_debug("dropping a response to a request that is no longer pending");
        free(raw);
        return;
    }
    if (probe) {
        /* The host's own server/discover: it tells the era, then goes on. */
        whole = skeleton ? jr_decode(raw, len, err, sizeof err) : NULL;
        int consumed = relay_era_on_probe_response(r, p, whole ? whole : root);
        json_decref(whole);
        whole = NULL;
        if (consumed) {
            free(raw);
            return;
        }
    }
    char *replacement = NULL;
    if (r->era == ERA_MODERN && relay_modern_on_response(r, p, raw, len, root, &replacement)) {
        free(raw);
        return;
    }
    if (replacement) {
        free(raw);
        raw = replacement;
        len = strlen(raw);
        skeleton = 1; /* root no longer describes raw: decode again where needed */
    }
    if (r->era == ERA_LEGACY && r->host_era == ERA_MODERN) {
        raw = relay_up_result(p->method, raw, &len);
        skeleton = 1; /* root no longer describes raw */
        if (relay_up_hold_final(r, p, raw, len)) return;
    }
    if (p->wire_key) {
        /* Sent again under an id of the bridge's: the host's id goes back in. */
        json_t *resp = jr_decode(raw, len, err, sizeof err);
        char *s = NULL;
        if (resp && json_object_set(resp, "id", p->id) == 0) s = json_dumps(resp, JSON_COMPACT);
        json_decref(resp);
        if (s) {
            free(raw);
            raw = s;
            len = strlen(s);
            skeleton = 1;
        }
    }
    int wants_content = !strcmp(p->method, "initialize") ||
                        (!strcmp(p->method, "tools/list") && r->cfg->ignore_tools_len);
    if (skeleton && wants_content && (whole = jr_decode(raw, len, err, sizeof err))) root = whole;
    if (!strcmp(p->method, "initialize")) {
        free(r->fallback_why); /* the transport answers: nothing to explain */
        r->fallback_why = NULL;
        json_t *v = json_object_get(json_object_get(root, "result"), "protocolVersion");
        if (json_is_string(v) &&
            r->transport->ops->set_protocol_version(r->transport, json_string_value(v)) != 0) {
            /* Never relayed: the host would negotiate a version we cannot send. */
            char text[300];
            snprintf(text, sizeof text, "%s: %s", r->cfg->url, RELAY_BAD_VERSION);
            log_error("initialize failed: %s", text);
            json_decref(whole);
            free(raw);
            relay_pending_fail(r, p, JR_SERVER_ERROR, text);
            relay_host_init_settled(r);
            relay_maybe_finish_shutdown(r);
            return;
        }
        if (json_is_string(v)) {
            free(r->protocol_version);
            r->protocol_version = strdup(json_string_value(v));
            log_debug("negotiated protocol version %s over %s", json_string_value(v),
                      r->transport->ops->name);
        }
        if (relay_signin_take_init(r, p, root)) { /* the host was answered during the sign-in */
            json_decref(whole);
            free(raw);
            relay_host_init_settled(r);
            relay_maybe_finish_shutdown(r);
            return;
        }
    }
    char *filtered = NULL;
    if (!strcmp(p->method, "tools/list") && r->cfg->ignore_tools_len)
        filtered = relay_filter_tools(r, root);
    if (r->stdio.queued + len > r->cfg->max_queued_bytes) {
        char text[200];
        snprintf(text, sizeof text,
                 "the response (%zu bytes) would put more than %zu bytes in wait for the host to "
                 "read (--max-queued-bytes); dropped",
                 len, r->cfg->max_queued_bytes);
        log_error("%s", text);
        free(filtered);
        free(raw);
        relay_emit_error(r, p->batch, p->id, JR_SERVER_ERROR, text);
    } else if (filtered) {
        free(raw);
        relay_emit_response(r, p->batch, filtered, strlen(filtered));
    } else {
        relay_emit_response(r, p->batch, raw, len);
    }
    json_decref(whole);
    int was_init = !strcmp(p->method, "initialize");
    pending_remove(&r->pending, p);
    if (was_init) relay_host_init_settled(r);
    relay_maybe_finish_shutdown(r);
}

/* Takes ownership of raw. */
static void on_server_one(relay_t *r, char *raw, size_t len, json_t *root, int skeleton,
                          const out_msg_t *origin)
{
    json_t *id;
    const char *method, *why;
    switch (jr_classify(root, &id, &method, &why)) {
    case JR_RESPONSE:
        on_server_response(r, raw, len, root, id, skeleton);
        break;
    case JR_NOTIFICATION:
        if (r->signin_ack_owed && !strcmp(method, "notifications/subscriptions/acknowledged") &&
            relay_signin_repeat_ack(r, raw, len)) {
            free(raw); /* the host's listen was acknowledged during the sign-in */
            break;
        }
        if (r->era == ERA_LEGACY && r->host_era == ERA_MODERN &&
            relay_up_server_message(r, raw, len, root, skeleton, origin))
            break;
        if (r->era == ERA_MODERN && r->host_era != ERA_MODERN &&
            !relay_subs_note(r, &raw, &len, root, skeleton)) {
            free(raw);
            break;
        }
        relay_emit_server_message(r, raw, len);
        break;
    case JR_REQUEST:
        if (r->era == ERA_LEGACY && r->host_era == ERA_MODERN &&
            relay_up_server_message(r, raw, len, root, skeleton, origin))
            break;
        if (r->era == ERA_MODERN && r->host_era == ERA_MODERN) {
            /* A 2026-07-28 host takes no requests: they come as input_required. */
            log_error("the server sent a request (%s) to a 2026-07-28 host; dropped", method);
            free(raw);
            break;
        }
        relay_emit_server_message(r, raw, len);
        break;
    default:
        log_error("the server sent an invalid JSON-RPC message (%s); dropped", why);
        free(raw);
        break;
    }
}

void relay_on_transport_message(void *ud, char *raw, size_t len, json_t *root, int skeleton,
                                const out_msg_t *origin)
{
    relay_t *r = ud;
    if (!json_is_array(root)) {
        on_server_one(r, raw, len, root, skeleton, origin);
        return;
    }
    size_t i;
    json_t *el;
    free(raw);
    json_array_foreach (root, i, el) {
        char *s = json_dumps(el, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) on_server_one(r, s, strlen(s), el, 0, origin);
    }
}

void relay_on_transport_sent(void *ud, out_msg_t *m, int rc, const char *why)
{
    relay_t *r = ud;
    relay_transport_returned(r, m);
    if (m->internal) {
        relay_on_internal_sent(r, m, rc, why);
        return;
    }
    if (m == r->probe_msg && relay_era_on_probe_sent(r, m, rc, why)) {
        relay_maybe_finish_shutdown(r);
        return;
    }
    if (rc < 0 && m->broken && r->era == ERA_MODERN && relay_modern_reissue(r, m)) return;
    int settles_init = m->is_initialize;
    if (rc < 0) {
        /* The transport tried after the first one's answer failed too: that
         * first answer is the one that says what is wrong. */
        relay_fail_msg(r, m, settles_init && r->fallback_why ? r->fallback_why : why);
    } else {
        int initialized_note = m->is_initialized_note;
        LIST_FOR_EACH_SAFE (n, tmp, &r->pending.all) {
            pending_t *p = LIST_ENTRY(n, pending_t, link);
            if (p->msg == m)
                relay_pending_fail(r, p, JR_SERVER_ERROR,
                                   "the server ended the exchange without a response");
        }
        relay_msg_free(m);
        if (initialized_note) r->transport->ops->start_listening(r->transport);
    }
    if (settles_init) relay_host_init_settled(r);
    relay_maybe_finish_shutdown(r);
}
