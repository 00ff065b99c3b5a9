/* Messages toward the server: sent at once, or held in the wait queue while a
 * sign-in, a token refresh, the host's initialize or a new session is under
 * way, then sent in the order they came; or failed, with an error for each
 * request they carry. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/err.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void relay_msg_free(out_msg_t *m)
{
    if (!m) return;
    free(m->body);
    free(m->id_key);
    free(m->method);
    mcp_header_lines_free(m->hdrs, m->nhdrs);
    free(m);
}

out_msg_t *relay_msg_new(const char *body, size_t len, jr_kind_t kind, json_t *id)
{
    out_msg_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->body = malloc(len + 1);
    if (!m->body) {
        free(m);
        return NULL;
    }
    memcpy(m->body, body, len);
    m->body[len] = 0;
    m->len = len;
    m->kind = kind;
    list_node_init(&m->link);
    if (id) m->id_key = jr_id_key(id);
    return m;
}

void relay_waitq_push(relay_t *r, out_msg_t *m)
{
    assert(!list_linked(&m->link)); /* a message waits once */
    list_push_back(&r->waitq, &m->link);
}

/* A message could not be delivered: its requests get errors, and it is freed. */
void relay_fail_msg(relay_t *r, out_msg_t *m, const char *why)
{
    if (m->internal) {
        relay_on_internal_sent(r, m, BRIDGE_EHTTP, why);
        return;
    }
    int host_init = m->is_initialize && !m->internal;
    if (host_init) r->init_in_flight = 0;
    int failed = 0;
    LIST_FOR_EACH_SAFE (n, tmp, &r->pending.all) {
        pending_t *p = LIST_ENTRY(n, pending_t, link);
        if (p->msg == m) {
            relay_pending_fail(r, p, JR_SERVER_ERROR, why);
            failed++;
        }
    }
    /* A request already answered has nothing to report; at shutdown the
     * "giving up" line has said it for all of them. */
    if ((failed || m->kind == JR_NOTIFICATION || m->kind == JR_RESPONSE) && !r->transport_closed)
        relay_log_failure(r, why);
    if (m == r->probe_msg) r->probe_msg = NULL; /* the era is asked again next time */
    relay_msg_free(m);
    /* What waited for the session this initialize was to create fails for the
     * same cause, rather than waiting for ever. */
    if (host_init) relay_fail_waitq(r, why);
}

void relay_fail_waitq(relay_t *r, const char *why)
{
    list_node *n;
    while ((n = list_pop_front(&r->waitq)))
        relay_fail_msg(r, LIST_ENTRY(n, out_msg_t, link), why);
}

/* The transport reports on every message it is lent exactly once (transport.h):
 * counting them lets shutdown wait until the last one has reached the server. */
int relay_transport_send(relay_t *r, out_msg_t *m)
{
    assert(r->transport && !list_linked(&m->link));
    m->auth_gen = r->oauth ? oauth_generation(r->oauth) : 0; /* the token it goes with */
    r->in_transport++;
    int rc = r->transport->ops->send(r->transport, m);
    if (rc) r->in_transport--;
    return rc;
}

void relay_transport_returned(relay_t *r, const out_msg_t *m)
{
    if (m && r->in_transport > 0) r->in_transport--;
}

void relay_dispatch(relay_t *r, out_msg_t *m)
{
    if (r->reinit || r->authing || (r->init_in_flight && !m->is_initialize)) {
        relay_waitq_push(r, m);
        return;
    }
    if (relay_era_shape(r, m)) return;
    if (r->oauth && oauth_should_refresh(r->oauth)) {
        /* The token is about to expire: refresh before using it. */
        relay_waitq_push(r, m);
        r->authing = 1;
        oauth_refresh(r->oauth, relay_on_auth_done, r);
        return;
    }
    if (relay_transport_send(r, m) != 0) relay_fail_msg(r, m, "out of memory sending the message");
}

/* Send what waited, in order; what still cannot go waits again. */
void relay_flush_waitq(relay_t *r)
{
    list_node q, *n; /* the whole queue taken at once: relay_dispatch may queue again */
    list_init(&q);
    while ((n = list_pop_front(&r->waitq)))
        list_push_back(&q, n);
    while ((n = list_pop_front(&q)))
        relay_dispatch(r, LIST_ENTRY(n, out_msg_t, link));
    relay_maybe_finish_shutdown(r);
}

void relay_host_init_settled(relay_t *r)
{
    if (!r->init_in_flight) return;
    r->init_in_flight = 0;
    relay_flush_waitq(r);
}
