/* A tools/call the server refused with HeaderMismatch (-32020): the tool's
 * x-mcp-header parameters may have changed since tools/list, so the bridge
 * reads the list again (page by page until it finds the tool) and sends the
 * call once more with the headers it now knows (2026-07-28
 * streamable-http.mdx, Client Behavior). */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/mcp/modern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAGES 10 /* of tools/list, looking for the tool */

/* A tools/list of the bridge's for p (after -32020): the page after cursor. */
static int send_relist(relay_t *r, pending_t *p, json_t *cursor)
{
    char id[48];
    snprintf(id, sizeof id, "mcp-bridge-relist-%u", ++r->wire_seq);
    json_t *meta = json_object_get(json_object_get(p->orig, "params"), "_meta");
    json_t *req =
        json_pack("{s:s, s:s, s:s, s:{s:o}}", "jsonrpc", "2.0", "id", id, "method", "tools/list",
                  "params", "_meta", json_is_object(meta) ? json_deep_copy(meta) : json_object());
    if (req && cursor) json_object_set(json_object_get(req, "params"), "cursor", cursor);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    out_msg_t *m =
        body ? relay_msg_new(body, strlen(body), JR_REQUEST, json_object_get(req, "id")) : NULL;
    free(body);
    int rc = m ? relay_msg_headers(r, m, req, "tools/list") : BRIDGE_ENOMEM;
    json_decref(req);
    if (rc) {
        relay_msg_free(m);
        return rc;
    }
    m->internal = INTERNAL_RELIST;
    m->shaped = 1;
    free(r->relist_key);
    r->relist_key = strdup(m->id_key);
    relay_dispatch(r, m);
    return 0;
}

/* HeaderMismatch on a tools/call: the tool's x-mcp-header parameters may have
 * changed since tools/list; read the list again, then send the call again
 * (streamable-http.mdx, Client Behavior). */
int relay_relist_then_retry(relay_t *r, pending_t *p)
{
    if (strcmp(p->method, "tools/call") != 0 || !p->orig || p->retries >= RELAY_MAX_RETRIES ||
        r->relist_for)
        return 0;
    r->relist_for = strdup(p->id_key);
    r->relist_pages = 0;
    if (!r->relist_for || send_relist(r, p, NULL) != 0) {
        free(r->relist_for);
        r->relist_for = NULL;
        return 0;
    }
    p->retries++;
    p->msg = NULL; /* that exchange is over; the call goes again after the list */
    log_info("%s says a header of a tools/call does not match its body; reading its tools again",
             r->cfg->url);
    return 1;
}

static void relist_done(relay_t *r, const char *why)
{
    char *key = r->relist_for;
    r->relist_for = NULL;
    free(r->relist_key);
    r->relist_key = NULL;
    pending_t *p = key ? pending_find(&r->pending, key) : NULL;
    free(key);
    if (!p) return;
    if (why) {
        char text[400];
        snprintf(text, sizeof text,
                 "%s refused the call's headers (HeaderMismatch), and reading its tools again "
                 "failed: %s",
                 r->cfg->url, why);
        relay_pending_fail(r, p, MODERN_ERR_HEADER_MISMATCH, text);
        return;
    }
    json_t *req = json_deep_copy(p->orig);
    if (req) relay_modern_send_for(r, p, req);
    json_decref(req);
}

void relay_modern_on_relist(relay_t *r, json_t *root)
{
    json_t *result = json_object_get(root, "result");
    if (!json_is_object(result)) {
        json_t *m = json_object_get(json_object_get(root, "error"), "message");
        relist_done(r, json_is_string(m) ? json_string_value(m) : "tools/list failed");
        return;
    }
    if (!r->tool_headers) r->tool_headers = mcp_tool_headers_new();
    if (r->tool_headers) mcp_tool_headers_learn(r->tool_headers, result);
    pending_t *p = r->relist_for ? pending_find(&r->pending, r->relist_for) : NULL;
    const char *want =
        p ? json_string_value(json_object_get(json_object_get(p->orig, "params"), "name")) : NULL;
    int found = 0;
    size_t i;
    json_t *tool;
    json_array_foreach (json_object_get(result, "tools"), i, tool) {
        const char *name = json_string_value(json_object_get(tool, "name"));
        if (want && name && !strcmp(want, name)) found = 1;
    }
    json_t *cursor = json_object_get(result, "nextCursor");
    if (p && !found && json_is_string(cursor) && ++r->relist_pages < MAX_PAGES) {
        if (send_relist(r, p, cursor) == 0) return;
    }
    relist_done(r, NULL);
}

void relay_modern_relist_sent(relay_t *r, out_msg_t *m, int rc, const char *why)
{
    int current = r->relist_key && m->id_key && !strcmp(m->id_key, r->relist_key);
    relay_msg_free(m);
    if (!current) return;
    if (rc < 0)
        relist_done(r, why);
    else if (r->relist_for)
        relist_done(r, "the server did not answer");
}
