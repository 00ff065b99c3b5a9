/* Change notifications for a 2025-era host of a 2026-07-28 server
 * (basic/patterns/subscriptions): once the host is initialized the bridge
 * keeps a subscriptions/listen request open for the lists the server has and
 * the resources the host subscribed to, opens it again when it ends, and
 * hands the host its notifications as the older revisions sent them. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "bridge/mcp/modern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTEN_RETRY_MS 1000
#define LISTEN_RETRY_MAX_MS 30000

static void open_listen(relay_t *r);

static void on_listen_timer(uv_timer_t *t)
{
    open_listen(t->data);
}

void relay_subs_init(relay_t *r)
{
    uv_timer_init(r->loop, &r->listen_timer);
    r->listen_timer.data = r;
    r->sub_uris = json_array();
}

/* End the current listen, if any (its report then finds it replaced). */
static void drop_listen(relay_t *r)
{
    out_msg_t *m = r->listen_msg;
    r->listen_msg = NULL;
    free(r->listen_key);
    r->listen_key = NULL;
    if (!m) return;
    if (r->transport->ops->cancel && r->transport->ops->cancel(r->transport, m) == 0) return;
    if (list_linked(&m->link)) { /* still waiting in the relay */
        list_remove(&m->link);
        relay_msg_free(m);
    }
}

static void open_listen(relay_t *r)
{
    uv_timer_stop(&r->listen_timer);
    drop_listen(r);
    if (r->stopping || !r->listen_wanted || r->era != ERA_MODERN) return;
    json_t *caps = json_object_get(r->discover, "capabilities");
    int tools = json_object_get(caps, "tools") != NULL;
    int prompts = json_object_get(caps, "prompts") != NULL;
    int resources = json_object_get(caps, "resources") != NULL;
    if (!tools && !prompts && !resources && !json_array_size(r->sub_uris)) return;
    char id[48];
    snprintf(id, sizeof id, "mcp-bridge-listen-%u", ++r->listen_seq);
    json_t *params = modern_listen_params(tools, prompts, resources, r->sub_uris);
    json_t *req = params ? json_pack("{s:s, s:s, s:s, s:o}", "jsonrpc", "2.0", "id", id, "method",
                                     "subscriptions/listen", "params", params)
                         : NULL;
    char *body = NULL;
    if (req && modern_set_meta(req, r->modern_version ? r->modern_version : MODERN_VERSION,
                               r->client_caps, r->client_info, NULL) == 0)
        body = json_dumps(req, JSON_COMPACT);
    out_msg_t *m =
        body ? relay_msg_new(body, strlen(body), JR_REQUEST, json_object_get(req, "id")) : NULL;
    free(body);
    if (!m || relay_msg_headers(r, m, req, "subscriptions/listen") != 0) {
        json_decref(req);
        relay_msg_free(m);
        log_error("out of memory listening for the server's changes");
        return;
    }
    json_decref(req);
    m->internal = INTERNAL_LISTEN;
    m->shaped = 1;
    r->listen_msg = m;
    r->listen_key = strdup(m->id_key);
    log_debug("listening for changes at %s (subscriptions/listen)", r->cfg->url);
    relay_dispatch(r, m);
}

void relay_subs_start(relay_t *r)
{
    r->listen_wanted = 1;
    open_listen(r);
}

void relay_subs_on_response(relay_t *r, json_t *root)
{
    json_t *error = json_object_get(root, "error");
    if (!error) return; /* the server ended it gracefully: opened again when reported */
    json_t *msg = json_object_get(error, "message");
    log_info("%s does not send change notifications (%s)", r->cfg->url,
             json_is_string(msg) ? json_string_value(msg) : "subscriptions/listen failed");
    r->listen_wanted = 0;
}

void relay_subs_on_sent(relay_t *r, out_msg_t *m, int rc, const char *why)
{
    int current = m == r->listen_msg;
    relay_msg_free(m);
    if (!current) return;
    r->listen_msg = NULL;
    free(r->listen_key);
    r->listen_key = NULL;
    if (r->stopping || !r->listen_wanted) return;
    long delay = LISTEN_RETRY_MS;
    for (int i = 0; i < r->listen_failures && delay < LISTEN_RETRY_MAX_MS; i++)
        delay *= 2;
    if (delay > LISTEN_RETRY_MAX_MS) delay = LISTEN_RETRY_MAX_MS;
    r->listen_failures++;
    log_debug("the change notifications of %s stopped (%s); listening again in %ld ms", r->cfg->url,
              rc ? why : "ended", delay);
    uv_timer_start(&r->listen_timer, on_listen_timer, (uint64_t)delay, 0);
}

int relay_subs_note(relay_t *r, char **raw, size_t *len, json_t *root, int skeleton)
{
    static const char tag[] = MODERN_META_SUBSCRIPTION;
    const char *method = json_string_value(json_object_get(root, "method"));
    if (method && !strcmp(method, "notifications/tools/list_changed") && r->tool_headers)
        mcp_tool_headers_clear(r->tool_headers);
    if (!json_text_mentions(*raw, *len, tag)) return 1;
    char err[128];
    json_t *note = skeleton ? jr_decode(*raw, *len, err, sizeof err) : json_incref(root);
    if (!note) return 1;
    int keep = modern_listen_note_for_host(note);
    if (!keep) {
        r->listen_failures = 0; /* acknowledged: the listen works */
    } else {
        char *s = json_dumps(note, JSON_COMPACT);
        if (s) {
            free(*raw);
            *raw = s;
            *len = strlen(s);
        }
    }
    json_decref(note);
    return keep;
}

void relay_subs_change(relay_t *r, const char *uri, int subscribe)
{
    size_t i;
    json_t *v;
    json_array_foreach (r->sub_uris, i, v)
        if (!strcmp(json_string_value(v), uri)) {
            if (subscribe) return;
            json_array_remove(r->sub_uris, i);
            break;
        }
    if (subscribe) json_array_append_new(r->sub_uris, json_string(uri));
    if (r->listen_wanted) open_listen(r);
}

void relay_subs_stop(relay_t *r)
{
    r->listen_wanted = 0;
    uv_timer_stop(&r->listen_timer);
    drop_listen(r);
}
