/* A new session set up by the bridge when the server has lost ours: the host's
 * own initialize is sent again (with an id of the bridge's), then
 * notifications/initialized, and what waited meanwhile is sent on the new
 * session. The host never sees these messages. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void relay_reinit_failed(relay_t *r, const char *why)
{
    char msg[768];
    snprintf(msg, sizeof msg, "could not start a new session with %s: %s", r->cfg->url, why);
    relay_log_failure(r, msg);
    r->reinit = REINIT_NONE;
    relay_fail_waitq(r, msg);
}

void relay_start_session(relay_t *r)
{
    if (r->reinit) return;
    if (!r->init_body) {
        relay_reinit_failed(r, "the host has not sent initialize yet");
        return;
    }
    json_t *init = json_loadb(r->init_body, r->init_len, 0, NULL);
    char id[48];
    snprintf(id, sizeof id, "mcp-bridge-reinit-%u", ++r->reinit_seq);
    json_object_set_new(init, "id", json_string(id));
    char *body = json_dumps(init, JSON_COMPACT);
    json_decref(init);
    out_msg_t *m = body ? relay_msg_new(body, strlen(body), JR_REQUEST, NULL) : NULL;
    free(body);
    if (!m) {
        relay_reinit_failed(r, "out of memory");
        return;
    }
    free(r->reinit_key);
    r->reinit_key = malloc(strlen(id) + 3);
    sprintf(r->reinit_key, "s:%s", id);
    m->id_key = strdup(r->reinit_key);
    m->internal = INTERNAL_REINIT;
    m->is_initialize = 1;
    r->reinit = REINIT_INIT;
    r->transport->ops->reset_session(r->transport);
    log_debug("re-initializing with the host's original initialize parameters");
    if (relay_transport_send(r, m) != 0) {
        relay_msg_free(m);
        relay_reinit_failed(r, "out of memory");
    }
}

void relay_on_reinit_response(relay_t *r, json_t *root)
{
    json_t *result = json_object_get(root, "result");
    json_t *version = json_object_get(result, "protocolVersion");
    if (!json_is_string(version)) {
        json_t *msg = json_object_get(json_object_get(root, "error"), "message");
        relay_reinit_failed(r, json_is_string(msg)
                                   ? json_string_value(msg)
                                   : "the initialize response has no protocolVersion");
        return;
    }
    if (r->transport->ops->set_protocol_version(r->transport, json_string_value(version)) != 0) {
        relay_reinit_failed(r, RELAY_BAD_VERSION);
        return;
    }
    static const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    out_msg_t *m = relay_msg_new(note, sizeof note - 1, JR_NOTIFICATION, NULL);
    if (!m) {
        relay_reinit_failed(r, "out of memory");
        return;
    }
    m->internal = INTERNAL_REINIT;
    r->reinit = REINIT_NOTIFY;
    if (relay_transport_send(r, m) != 0) {
        relay_msg_free(m);
        relay_reinit_failed(r, "out of memory");
    }
}

void relay_on_internal_sent(relay_t *r, out_msg_t *m, int rc, const char *why)
{
    if (m->internal == INTERNAL_PROBE) {
        relay_era_on_probe_sent(r, m, rc, why);
        return;
    }
    if (m->internal == INTERNAL_LISTEN) {
        relay_subs_on_sent(r, m, rc, why);
        return;
    }
    if (m->internal == INTERNAL_RELIST) {
        relay_modern_relist_sent(r, m, rc, why);
        return;
    }
    int was_init = m->is_initialize;
    relay_msg_free(m);
    if (rc < 0) {
        relay_reinit_failed(r, why);
        return;
    }
    if (was_init) {
        if (r->reinit == REINIT_INIT)
            relay_reinit_failed(r, "the server did not answer initialize");
        return;
    }
    log_info("new session with the server established");
    r->reinit = REINIT_NONE;
    if (r->host_initialized) r->transport->ops->start_listening(r->transport);
    relay_flush_waitq(r);
}

void relay_on_session_lost(void *ud, out_msg_t *m, int stale)
{
    relay_t *r = ud;
    relay_transport_returned(r, m);
    if (m && stale && !m->internal) {
        /* Sent on a session that has been replaced already: send it again on the
         * new one (relay_dispatch holds it while the new one is being set up). */
        relay_dispatch(r, m);
        return;
    }
    if (m) {
        if (m->internal) {
            relay_msg_free(m);
            relay_reinit_failed(r, "the new session was lost at once");
            return;
        }
        if (m->resends++ >= 1 || !r->init_body) {
            relay_fail_msg(r, m,
                           "the server lost the session again right after it was re-established");
            return;
        }
        relay_waitq_push(r, m);
    }
    relay_start_session(r);
}
