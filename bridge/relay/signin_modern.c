/* Start-up while the person signs in, for a 2026-07-28 host (one that sends
 * server/discover, not initialize): its server/discover is answered from the
 * server's last DiscoverResult (or one declaring listChanged), its requests as
 * a 2025 host's are (signin.c), its subscriptions/listen acknowledged here so
 * that the change can be announced on it when the sign-in ends. When the
 * host's server/discover is all that waits, the browser waits for the host's
 * next request: a host that only probes (and stops the bridge) opens none. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/jsonrpc.h"
#include "bridge/base/log.h"
#include "bridge/mcp/modern.h"

#include <stdlib.h>
#include <string.h>

/* The DiscoverResult the host gets now: the server's last one, or one made
 * here; either way it offers the version the host asked for, and the lists
 * can announce their changes. */
static json_t *discover_result(relay_t *r, json_t *host_msg)
{
    const char *asked = modern_meta_version(host_msg);
    const char *version = asked && modern_version_spoken(asked) ? asked : MODERN_VERSION;
    json_decref(r->signin_cached);
    r->signin_cached = relay_signin_cache_read(r, "discover", "supportedVersions", JSON_ARRAY);
    json_t *result = r->signin_cached ? json_deep_copy(r->signin_cached) : NULL;
    if (!result) {
        char *text = relay_signin_status(r);
        result = json_pack("{s:[s], s:{}, s:{s:{s:s, s:s}}, s:s?}", "supportedVersions", version,
                           "capabilities", "_meta", MODERN_META_SERVER, "name", "mcp-bridge",
                           "version", MCP_BRIDGE_VERSION, "instructions", text);
        free(text);
        if (!result) return NULL;
    }
    json_t *versions = json_object_get(result, "supportedVersions");
    if (!json_is_array(versions)) {
        versions = json_array();
        json_object_set_new(result, "supportedVersions", versions);
    }
    int offered = 0;
    size_t i;
    json_t *v;
    json_array_foreach (versions, i, v)
        offered |= json_is_string(v) && !strcmp(json_string_value(v), version);
    if (!offered) json_array_append_new(versions, json_string(version));
    relay_signin_declare_lists(result);
    return result;
}

/* The host's own server/discover (the era probe) is answered now; it still
 * goes to the server once the sign-in ends, and that answer is kept. */
static void answer_discover(relay_t *r)
{
    out_msg_t *m = r->probe_msg;
    pending_t *p = m && !m->internal ? (pending_t *)m->pending : NULL;
    if (!p || r->signin_init_key) return;
    json_t *msg = json_loadb(m->body, m->len, 0, NULL);
    json_t *result = discover_result(r, msg);
    json_decref(msg);
    if (!result) return;
    r->signin_init_key = strdup(p->id_key);
    log_info("answering the host's server/discover while the sign-in to %s goes on (%s)",
             r->cfg->url, r->signin_cached ? "the server's last answer" : "no earlier answer kept");
    relay_signin_answer(r, p->batch, p->id, result);
}

int relay_signin_hold(void *ud)
{
    relay_t *r = ud;
    out_msg_t *m = r->probe_msg;
    if (r->host_era != ERA_MODERN || r->stopping || r->signin != SIGNIN_NONE || !m || m->internal ||
        !m->pending || r->pending.count != 1)
        return 0;
    r->signin = SIGNIN_WAITING;
    r->signin_modern = 1;
    r->signin_held = 1;
    answer_discover(r);
    if (!r->signin_init_key) { /* out of memory: the browser opens as usual */
        r->signin = SIGNIN_NONE;
        r->signin_held = 0;
        return 0;
    }
    log_info("a sign-in to %s is needed; it begins when the host first uses the server",
             r->cfg->url);
    return 1;
}

/* A waiting host request answered here: 1, and it is forgotten. */
static int answer_waiting(relay_t *r, out_msg_t *m)
{
    if (m->internal || m->kind != JR_REQUEST || !m->pending || m == r->probe_msg) return 0;
    pending_t *p = m->pending;
    json_t *msg = json_loadb(m->body, m->len, 0, NULL);
    json_t *id = NULL;
    const char *method = NULL;
    int taken = msg && jr_classify(msg, &id, &method, NULL) == JR_REQUEST &&
                relay_signin_host_request(r, msg, id, method, p->batch);
    json_decref(msg);
    if (!taken) return 0;
    p->msg = NULL;
    pending_remove(&r->pending, p);
    relay_msg_free(m);
    return 1;
}

void relay_signin_modern_grace(relay_t *r)
{
    if (r->stopping || r->signin != SIGNIN_NONE || !r->authing) return;
    r->signin = SIGNIN_WAITING;
    r->signin_modern = 1;
    answer_discover(r);
    if (r->probe_held && answer_waiting(r, r->probe_held)) r->probe_held = NULL;
    LIST_FOR_EACH_SAFE (n, tmp, &r->waitq) {
        out_msg_t *m = LIST_ENTRY(n, out_msg_t, link);
        list_remove(n);
        if (!answer_waiting(r, m)) list_insert_before(tmp, n); /* back where it was */
    }
}

static void acknowledge(relay_t *r, json_t *msg, json_t *id)
{
    json_t *filter = json_object_get(json_object_get(msg, "params"), "notifications");
    free(r->signin_listen_key);
    json_decref(r->signin_listen_id);
    json_decref(r->signin_listen_filter);
    r->signin_listen_key = jr_id_key(id);
    r->signin_listen_id = json_incref(id);
    r->signin_listen_filter = json_is_object(filter) ? json_deep_copy(filter) : json_object();
    r->signin_ack_owed = 1;
    relay_signin_notify(r, json_pack("{s:s, s:s, s:{s:{s:O}, s:O}}", "jsonrpc", "2.0", "method",
                                     "notifications/subscriptions/acknowledged", "params", "_meta",
                                     MODERN_META_SUBSCRIPTION, id, "notifications",
                                     r->signin_listen_filter));
}

int relay_signin_modern_request(relay_t *r, json_t *msg, json_t *id, const char *method, batch_t *b)
{
    if (r->signin_held && r->oauth) {
        /* The host uses the server: the person is asked now. */
        r->signin_held = 0;
        oauth_release_browser(r->oauth);
    }
    if (!strcmp(method, "server/discover")) {
        relay_signin_answer(r, b, id, discover_result(r, msg));
        return 1;
    }
    if (!strcmp(method, "subscriptions/listen") && r->signin == SIGNIN_WAITING) {
        char *key = jr_id_key(id);
        int again = key && r->signin_listen_key && !strcmp(key, r->signin_listen_key);
        free(key);
        if (!again) acknowledge(r, msg, id);
        return 0; /* it waits, and goes to the server once the sign-in is done */
    }
    return -1;
}

void relay_signin_list_changed(relay_t *r, const char *list)
{
    char method[64];
    snprintf(method, sizeof method, "notifications/%s/list_changed", list);
    if (r->host_era != ERA_MODERN) {
        relay_signin_notify(r, json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method));
        return;
    }
    /* A 2026 host hears of changes on its listen, when it asked for them. */
    char want[64];
    snprintf(want, sizeof want, "%sListChanged", list);
    if (!r->signin_listen_id || !json_is_true(json_object_get(r->signin_listen_filter, want)))
        return;
    relay_signin_notify(r, json_pack("{s:s, s:s, s:{s:{s:O}}}", "jsonrpc", "2.0", "method", method,
                                     "params", "_meta", MODERN_META_SUBSCRIPTION,
                                     r->signin_listen_id));
}

int relay_signin_era_known(relay_t *r, pending_t *p, json_t *result)
{
    if (!r->signin_modern) return 0;
    /* The host's server/discover, answered here: forgotten now, or (when it
     * is not p) when its answer or failure comes (relay_signin_swallow). */
    int took = p && r->signin_init_key && !strcmp(p->id_key, r->signin_init_key);
    if (took) {
        if (p->msg && p->msg->pending == p) p->msg->pending = NULL;
        pending_remove(&r->pending, p);
        free(r->signin_init_key);
        r->signin_init_key = NULL;
    }
    int same = r->signin_cached && json_is_object(result) && json_equal(r->signin_cached, result);
    if (json_is_object(result)) relay_signin_cache_write(r, "discover", result);
    static const char *const lists[] = {"tools", "prompts", "resources"};
    for (unsigned i = 0; i < 3; i++)
        if (!same || (r->signin_lists & (1u << i))) relay_signin_list_changed(r, lists[i]);
    log_info("signed in to %s; the host was told to list again", r->cfg->url);
    json_decref(r->signin_cached);
    r->signin_cached = NULL;
    r->signin_lists = 0;
    r->signin_modern = 0;
    return took;
}

int relay_signin_listen_acked(relay_t *r, const char *key)
{
    if (!r->signin_ack_owed || !key || !r->signin_listen_key || strcmp(key, r->signin_listen_key))
        return 0;
    r->signin_ack_owed = 0;
    return 1;
}

int relay_signin_repeat_ack(relay_t *r, const char *raw, size_t len)
{
    if (!r->signin_ack_owed) return 0;
    json_t *note = json_loadb(raw, len, 0, NULL);
    json_t *sid = json_object_get(json_object_get(json_object_get(note, "params"), "_meta"),
                                  MODERN_META_SUBSCRIPTION);
    char *key = sid ? jr_id_key(sid) : NULL;
    int repeat = relay_signin_listen_acked(r, key);
    free(key);
    json_decref(note);
    return repeat;
}

int relay_signin_swallow(relay_t *r, pending_t *p)
{
    if (!r->signin_init_key || strcmp(p->id_key, r->signin_init_key) != 0) return 0;
    log_debug("the host was answered already (during the sign-in); nothing more is sent");
    if (p->msg && p->msg->pending == p) p->msg->pending = NULL;
    pending_remove(&r->pending, p);
    free(r->signin_init_key);
    r->signin_init_key = NULL;
    return 1;
}

void relay_signin_shutdown(relay_t *r)
{
    if (!r->signin_held || !r->oauth) return;
    r->signin_held = 0;
    r->signin_unasked = 1;
    oauth_cancel(r->oauth); /* nobody was asked anything: no browser, no wait */
}

void relay_signin_modern_free(relay_t *r)
{
    free(r->signin_listen_key);
    json_decref(r->signin_listen_id);
    json_decref(r->signin_listen_filter);
}
