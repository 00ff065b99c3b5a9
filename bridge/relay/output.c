/* What the host sees: messages and responses written to stdout (one per line,
 * batch replies once complete), errors for requests that cannot be answered,
 * and one log line per cause of failure. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/jsonrpc.h"
#include "bridge/base/log.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Write a complete JSON text to stdout as one line; takes ownership. */
void relay_emit_owned(relay_t *r, char *json, size_t len)
{
    jr_flatten_newlines(json, len);
    stdio_write_owned(&r->stdio, json, len);
}

/* A request or notification from the server; takes ownership. */
void relay_emit_server_message(relay_t *r, char *json, size_t len)
{
    if (r->stdio.queued + len > r->cfg->max_queued_bytes) {
        log_error("a %zu-byte message from the server was dropped: the host is not reading "
                  "(--max-queued-bytes %zu)",
                  len, r->cfg->max_queued_bytes);
        free(json);
        return;
    }
    relay_emit_owned(r, json, len);
}

/* A response for the host: straight out, or into its batch. Takes ownership. */
void relay_emit_response(relay_t *r, batch_t *b, char *json, size_t len)
{
    if (!b) {
        relay_emit_owned(r, json, len);
        return;
    }
    size_t n = 0;
    char *reply = batch_add(b, json, len, &n);
    if (reply) relay_emit_owned(r, reply, n);
}

void relay_emit_error(relay_t *r, batch_t *b, json_t *id, int code, const char *msg)
{
    char *s = jr_error_response(id, code, msg, NULL);
    if (!s) s = jr_error_response(id, code, "the bridge could not describe this error", NULL);
    if (s) relay_emit_response(r, b, s, strlen(s));
}

void relay_pending_fail(relay_t *r, pending_t *p, int code, const char *why)
{
    assert(p == pending_find(&r->pending, p->id_key));
    if (relay_signin_swallow(r, p)) return; /* answered during the sign-in */
    relay_emit_error(r, p->batch, p->id, code, why);
    pending_remove(&r->pending, p);
}

void relay_pending_answer(relay_t *r, pending_t *p, json_t *resp)
{
    if (relay_signin_swallow(r, p)) {
        json_decref(resp);
        relay_maybe_finish_shutdown(r);
        return;
    }
    char *s =
        resp && json_object_set(resp, "id", p->id) == 0 ? json_dumps(resp, JSON_COMPACT) : NULL;
    json_decref(resp);
    if (!s) {
        relay_pending_fail(r, p, JR_INTERNAL_ERROR, "out of memory");
        return;
    }
    relay_emit_response(r, p->batch, s, strlen(s));
    pending_remove(&r->pending, p);
    relay_maybe_finish_shutdown(r);
}

/* The host's log is where people look: one line per cause, not one per
 * request. `why` is the sentence the host gets in the JSON-RPC error too; the
 * same sentence again while failures keep coming is not repeated. */
void relay_log_failure(relay_t *r, const char *why)
{
    uint64_t now = uv_now(r->loop);
    if (r->last_failure && !strcmp(r->last_failure, why) && now - r->last_failure_at < 10000) {
        r->last_failure_at = now;
        return;
    }
    free(r->last_failure);
    r->last_failure = strdup(why);
    r->last_failure_at = now;
    log_error("%s", why);
}
