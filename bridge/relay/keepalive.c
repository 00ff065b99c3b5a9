/* --keep-alive / --ping-interval: a ping of the bridge's own now and then. */
#include "bridge/relay/relay_impl.h"

#include <stdio.h>

/* --keep-alive: a ping of our own now and then, so that the server (or a load
 * balancer before it) does not drop an idle session. Its answer is not pending
 * for the host, so it is dropped when it arrives. */
static void on_keepalive(uv_timer_t *t)
{
    relay_t *r = t->data;
    if (r->stopping || !r->host_initialized || r->reinit || r->authing) return;
    if (r->era == ERA_MODERN) return; /* 2026-07-28 has no ping, and no session to keep */
    char key[48], body[96];
    snprintf(key, sizeof key, "mcp-bridge-ping-%u", ++r->ping_seq);
    int n =
        snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"method\":\"ping\"}", key);
    json_t *jid = json_string(key);
    out_msg_t *m = relay_msg_new(body, (size_t)n, JR_REQUEST, jid);
    json_decref(jid);
    if (m) relay_dispatch(r, m);
}

void relay_keepalive_start(relay_t *r)
{
    uv_timer_init(r->loop, &r->keepalive);
    r->keepalive.data = r;
    if (r->cfg->ping_interval_s > 0) {
        uint64_t ms = (uint64_t)r->cfg->ping_interval_s * 1000;
        uv_timer_start(&r->keepalive, on_keepalive, ms, ms);
        uv_unref((uv_handle_t *)&r->keepalive);
    }
}
