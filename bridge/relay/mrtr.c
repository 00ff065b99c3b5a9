/* Multi round-trip requests for a 2025-era host (2026-07-28
 * basic/patterns/mrtr): a result with resultType "input_required" becomes the
 * host's own elicitation/create, sampling/createMessage or roots/list
 * requests; once the host has answered them all, the original request goes
 * to the server again, on a new id, with inputResponses and the echoed
 * requestState, for as many rounds as the server asks (up to a bound). */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/log.h"
#include "bridge/mcp/modern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 8

/* One input request sent to the host, awaiting its answer. */
typedef struct mrtr_wait {
    list_node link;
    char *host_key;    /* the id key of the request the host got */
    char *request_key; /* the id key of the host's own request it belongs to */
    char *input_key;   /* the server's name for this input */
} mrtr_wait_t;

static void wait_free(mrtr_wait_t *w)
{
    list_remove(&w->link);
    free(w->host_key);
    free(w->request_key);
    free(w->input_key);
    free(w);
}

/* Every input gathered: the request again, with the answers. */
static void send_retry(relay_t *r, pending_t *p)
{
    json_t *responses = p->mrtr_responses;
    json_t *state = p->mrtr_state;
    p->mrtr_responses = NULL;
    p->mrtr_state = NULL;
    json_t *jid = json_string("pending");
    json_t *req = mrtr_retry(p->orig, jid, json_object_size(responses) ? responses : NULL, state);
    json_decref(jid);
    json_decref(responses);
    json_decref(state);
    if (!req) {
        relay_pending_fail(r, p, JR_INTERNAL_ERROR, "out of memory");
        return;
    }
    relay_modern_send_for(r, p, req);
    json_decref(req);
}

int relay_mrtr_start(relay_t *r, pending_t *p, json_t *result)
{
    char why[300];
    if (!p->orig) return 0;
    if (mrtr_validate(result, why, sizeof why) != 0) {
        char text[400];
        snprintf(text, sizeof text, "%s sent an invalid input request: %s", r->cfg->url, why);
        log_error("%s", text);
        relay_pending_fail(r, p, JR_SERVER_ERROR, text);
        return 1;
    }
    if (++p->mrtr_rounds > MAX_ROUNDS) {
        snprintf(why, sizeof why,
                 "%s asked for more input %d times for one request; giving up on it", r->cfg->url,
                 MAX_ROUNDS);
        relay_pending_fail(r, p, JR_SERVER_ERROR, why);
        return 1;
    }
    json_decref(p->mrtr_responses);
    json_decref(p->mrtr_state);
    p->mrtr_responses = json_object();
    json_t *state = json_object_get(result, "requestState");
    p->mrtr_state = json_is_string(state) ? json_incref(state) : NULL;
    p->mrtr_awaited = 0;
    p->msg = NULL;
    json_t *inputs = json_object_get(result, "inputRequests");
    const char *key;
    json_t *input;
    json_object_foreach (inputs, key, input) {
        char id[48];
        snprintf(id, sizeof id, "mcp-bridge-input-%u", ++r->input_seq);
        json_t *params = json_object_get(input, "params");
        json_t *req = json_pack("{s:s, s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "method",
                                json_object_get(input, "method"), "params",
                                params ? json_incref(params) : json_object());
        mrtr_wait_t *w = calloc(1, sizeof *w);
        char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_t *jid = json_string(id);
        if (w) {
            w->host_key = jr_id_key(jid);
            w->request_key = strdup(p->id_key);
            w->input_key = strdup(key);
            list_node_init(&w->link);
        }
        json_decref(jid);
        json_decref(req);
        if (!s || !w || !w->host_key || !w->request_key || !w->input_key) {
            free(s);
            if (w) {
                list_push_back(&r->mrtr_waits, &w->link);
                wait_free(w);
            }
            relay_pending_fail(r, p, JR_INTERNAL_ERROR, "out of memory");
            return 1;
        }
        list_push_back(&r->mrtr_waits, &w->link);
        p->mrtr_awaited++;
        relay_emit_server_message(r, s, strlen(s));
    }
    log_debug("%s asks for %d input%s before it answers", r->cfg->url, p->mrtr_awaited,
              p->mrtr_awaited == 1 ? "" : "s");
    if (!p->mrtr_awaited) send_retry(r, p);
    return 1;
}

int relay_mrtr_host_response(relay_t *r, json_t *msg, json_t *id)
{
    char *key = jr_id_key(id);
    if (!key) return 0;
    mrtr_wait_t *w = NULL;
    LIST_FOR_EACH (n, &r->mrtr_waits)
        if (!strcmp(LIST_ENTRY(n, mrtr_wait_t, link)->host_key, key)) {
            w = LIST_ENTRY(n, mrtr_wait_t, link);
            break;
        }
    free(key);
    if (!w) return 0;
    pending_t *p = pending_find(&r->pending, w->request_key);
    if (p && p->mrtr_responses) {
        json_t *result = json_object_get(msg, "result");
        if (json_is_object(result)) {
            json_object_set(p->mrtr_responses, w->input_key, result);
        } else {
            /* No way to carry an error back: the server sees the input missing
             * and asks again, or fails the request. */
            json_t *m = json_object_get(json_object_get(msg, "error"), "message");
            log_info("the host refused an input request (%s)",
                     json_is_string(m) ? json_string_value(m) : "no reason given");
        }
        if (--p->mrtr_awaited == 0) send_retry(r, p);
    }
    wait_free(w);
    return 1;
}

void relay_mrtr_free(relay_t *r)
{
    list_node *n;
    while ((n = list_front(&r->mrtr_waits)))
        wait_free(LIST_ENTRY(n, mrtr_wait_t, link));
}
