/* Signing in while relaying: a 401 or 403 holds the message and starts the
 * sign-in (or a refresh); when it ends, what waited is sent with the new token,
 * or fails with the reason. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define MAX_AUTH_ATTEMPTS 3

/* The host is initialized and so is the server's session: not while the bridge
 * sets up a new one, nor while the host's initialize was answered here during a
 * sign-in and the server has not seen it yet (its GET would have no session). */
int relay_session_ready(const relay_t *r)
{
    return r->host_initialized && !r->reinit && !r->signin_init_key;
}

void relay_on_auth_done(void *ud, int rc, const char *why)
{
    relay_t *r = ud;
    relay_signin_on_done(r, rc, why);
    r->authing = 0;
    r->stream_nonce_retried = 0;
    out_msg_t *internal = r->auth_internal;
    r->auth_internal = NULL;
    if (rc) {
        char msg[1200];
        snprintf(msg, sizeof msg, "sign-in to %s failed: %s", r->cfg->url, why);
        /* Said once, whether or not messages were waiting (a session the bridge
         * was setting up says it in its own failure). */
        if (internal)
            relay_on_internal_sent(r, internal, rc, msg);
        else if (!r->signin_unasked)
            relay_log_failure(r, msg);
        relay_fail_waitq(r, msg);
        relay_maybe_finish_shutdown(r);
        return;
    }
    if (internal && relay_transport_send(r, internal) != 0)
        relay_on_internal_sent(r, internal, BRIDGE_ENOMEM, "out of memory");
    if (relay_session_ready(r)) r->transport->ops->start_listening(r->transport);
    r->transport->ops->resume(r->transport);
    relay_flush_waitq(r);
}

void relay_on_auth_challenge(void *ud, out_msg_t *m, long status, const char *www)
{
    relay_t *r = ud;
    relay_transport_returned(r, m);
    if (m && m->internal == INTERNAL_LISTEN) {
        /* Opened again later, like a stream: the sign-in is what matters now. */
        relay_subs_on_sent(r, m, BRIDGE_EHTTP, "authorization needed");
        m = NULL;
    }
    if (!r->oauth) {
        char why[300];
        snprintf(why, sizeof why,
                 "%s answered HTTP %ld: the credentials given with --header were refused",
                 r->cfg->url, status);
        if (m && m->internal)
            relay_on_internal_sent(r, m, BRIDGE_EHTTP, why);
        else if (m)
            relay_fail_msg(r, m, why);
        else
            log_error("%s", why);
        return;
    }
    if (!m && !r->stream_nonce_retried && !r->authing &&
        oauth_dpop_nonce_challenge(r->oauth, status, www)) {
        /* The server's stream (GET) wants the nonce its answer carried: open
         * it again, once until the next sign-in (RFC 9449 §9). */
        r->stream_nonce_retried = 1;
        if (relay_session_ready(r)) r->transport->ops->start_listening(r->transport);
        r->transport->ops->resume(r->transport);
        return;
    }
    int resend_for_nonce =
        m && !m->nonce_resent && oauth_dpop_nonce_challenge(r->oauth, status, www);
    if (resend_for_nonce) m->nonce_resent = 1; /* RFC 9449 §9: once, with the nonce now held */
    if (m && (resend_for_nonce || m->auth_gen != oauth_generation(r->oauth)) && status == 401 &&
        !r->authing) {
        /* Sent with a token that has been replaced since, or without the
         * server's nonce: just send it again. */
        if (m->internal) {
            if (relay_transport_send(r, m) != 0)
                relay_on_internal_sent(r, m, BRIDGE_ENOMEM, "out of memory");
        } else {
            relay_dispatch(r, m);
        }
        return;
    }
    if (m && ++m->auth_attempts > MAX_AUTH_ATTEMPTS) {
        char why[300];
        snprintf(why, sizeof why,
                 "%s still answered HTTP %ld after %d authorizations; giving up on this request",
                 r->cfg->url, status, MAX_AUTH_ATTEMPTS);
        if (m->internal)
            relay_on_internal_sent(r, m, BRIDGE_EHTTP, why);
        else
            relay_fail_msg(r, m, why);
        return;
    }
    if (m && m->internal)
        r->auth_internal = m;
    else if (m)
        relay_waitq_push(r, m);
    if (r->authing) return;
    r->authing = 1;
    oauth_handle_challenge(r->oauth, status, www, relay_on_auth_done, r);
}

static void on_stored_tokens_read(void *ud, int rc, const char *why)
{
    relay_t *r = ud;
    r->loading = 0;
    if (rc && rc != BRIDGE_ECLOSED)
        relay_log_failure(r, why ? why : "the stored sign-in could not be read");
    oauth_seed_refresh_token(r->oauth, r->cfg->refresh_token);
    relay_maybe_finish_shutdown(r);
}

int relay_auth_headers(void *ud, const char *method, const char *url,
                       char *lines[TRANSPORT_AUTH_LINES])
{
    relay_t *r = ud;
    lines[0] = lines[1] = NULL;
    return r->oauth ? oauth_request_headers(r->oauth, method, url, lines) : 0;
}

void relay_auth_response(void *ud, http_req_t *req)
{
    relay_t *r = ud;
    const char *nonce = r->oauth ? http_req_header(req, "DPoP-Nonce") : NULL;
    if (nonce) oauth_note_dpop_nonce(r->oauth, http_req_url(req), nonce);
    /* The stream is open again: its next nonce may be retried once too. */
    long status = http_req_status(req);
    if (status >= 200 && status < 300 && !strcmp(http_req_method(req), "GET"))
        r->stream_nonce_retried = 0;
}

/* Stored tokens are read on the thread pool. Messages do not wait for them: a
 * 401 meanwhile waits for the read and is then answered with the stored token,
 * if there is one. */
void relay_auth_load(relay_t *r)
{
    assert(r->oauth && !r->loading);
    r->loading = 1;
    oauth_set_signin_hook(r->oauth, relay_signin_on_url, r);
    oauth_set_hold_hook(r->oauth, relay_signin_hold);
    oauth_load(r->oauth, on_stored_tokens_read, r);
}
