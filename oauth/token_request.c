/* A POST to the token endpoint, whatever the grant: the endpoint checked, the
 * client authenticated (oauth/client_auth.c, or client_auth_jwt.c for
 * private_key_jwt), the resource added, and the answer taken into the flow's
 * tokens and saved. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/client_auth.h"
#include "oauth/dpop_nonce.h"
#include "oauth/token.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

/* Send the kept form, authenticated afresh (a new client assertion each time,
 * since an authorization server may refuse a replayed jti) and with a DPoP
 * proof (nonce included when held) when the credential has a key. */
static int send_token_form(oauth_t *o, oauth_fetch_cb cb)
{
    const char *headers[4] = {"Content-Type: application/x-www-form-urlencoded", NULL, NULL, NULL};
    size_t n = 1;
    char *basic = NULL, *proof = NULL;
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = buf_append_str(&form, o->token_form);
    if (!rc)
        rc = o->auth_method && !strcmp(o->auth_method, "private_key_jwt")
                 ? oauth_client_auth_private_key_jwt(o, &form)
                 : oauth_token_client_auth(&form, o->client_id, o->client_secret, o->auth_method,
                                           &basic);
    if (basic) headers[n++] = basic;
    if (!rc && o->dpop_key) rc = oauth_dpop_proof_line(o, "POST", o->token_endpoint, NULL, &proof);
    if (proof) headers[n++] = proof;
    if (!rc)
        rc = oauth_run_fetch(o, "POST", o->token_endpoint, headers, form.data ? form.data : "",
                             OAUTH_TOKEN_RESPONSE_MAX, cb);
    oauth_wipe_str(&basic);
    free(proof);
    buf_free_secret(&form);
    return rc;
}

/* RFC 9449 §8: an authorization server that wants a nonce in the proof answers
 * 400 use_dpop_nonce with one; the request is sent again, once, with it. */
static void on_token_response(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    if (!res->rc && res->dpop_nonce) oauth_dpop_note_nonce(o, o->token_endpoint, res->dpop_nonce);
    if (!res->rc && res->status == 400 && o->dpop_key && res->dpop_nonce &&
        !o->token_nonce_retried && oauth_dpop_error_wants_nonce(res->json)) {
        o->token_nonce_retried = 1;
        log_debug("%s asks for a DPoP nonce; sending the token request again with it",
                  o->token_endpoint);
        int rc = send_token_form(o, on_token_response);
        if (!rc) return;
        oauth_fail(o, rc, "cannot send the token request again: %s",
                   oauth_token_request_failure(o, rc));
        return;
    }
    oauth_fetch_cb cb = o->token_cb;
    oauth_wipe_str(&o->token_form);
    o->token_cb = NULL;
    cb(o, res);
}

int oauth_token_request(oauth_t *o, buf_t *form, oauth_fetch_cb cb)
{
    assert(o->running && form && cb);
    if (!oauth_endpoint_ok(o, o->token_endpoint, "token endpoint")) { /* never send secrets there */
        buf_free_secret(form);
        return BRIDGE_EPROTO;
    }
    int rc = 0;
    if (o->resource && !o->cfg.disable_resource) rc = oauth_form_add(form, "resource", o->resource);
    /* The grant's form without the client's authentication, kept until the
     * answer in case it must be sent again. */
    oauth_wipe_str(&o->token_form);
    if (!rc && !(o->token_form = strdup(form->data ? form->data : ""))) rc = BRIDGE_ENOMEM;
    buf_free_secret(form);
    if (rc) return rc;
    o->token_cb = cb;
    o->token_nonce_retried = 0;
    rc = send_token_form(o, on_token_response);
    if (rc) oauth_wipe_str(&o->token_form);
    return rc;
}

/* Why oauth_token_request failed. */
const char *oauth_token_request_failure(const oauth_t *o, int rc)
{
    if (rc != BRIDGE_EPROTO) return "out of memory";
    return o->refused[0] ? o->refused : "the token endpoint is refused";
}

static int apply_token_response(oauth_t *o, const oauth_fetch_result_t *res, char *why, size_t n)
{
    oauth_token_t t;
    /* RFC 9449 §5: a DPoP token only in answer to a proof. */
    int rc = oauth_token_parse_after_proof(res->json, o->dpop_key != NULL, &t, why, n);
    if (rc) return rc;
    o->dpop_token = t.dpop;
    oauth_wipe_str(&o->access_token);
    o->access_token = t.access_token;
    if (t.id_token) { /* a refresh may or may not bring a new one */
        oauth_wipe_str(&o->id_token);
        o->id_token = t.id_token;
        t.id_token = NULL;
    }
    if (t.refresh_token) { /* a rotated refresh token replaces the old one */
        oauth_wipe_str(&o->refresh_token);
        o->refresh_token = t.refresh_token;
    }
    if (t.scope) {
        free(o->granted_scope);
        o->granted_scope = t.scope;
    } else if (o->requested_scope) {
        oauth_set_str(&o->granted_scope, o->requested_scope);
    }
    o->expires_at = t.expires_in > 0 ? time(NULL) + t.expires_in : 0;
    o->lifetime = t.expires_in;
    oauth_set_tokens_header(o);
    oauth_save_tokens(o);
    return 0;
}

/* The part every token-endpoint answer shares. Returns 1 when the run ended
 * here: the exchange failed, or a 2xx answer was taken (`done` is logged) or,
 * with `strict`, refused as unusable. Returns 0 for the caller to handle an
 * error answer, or (not strict) an unusable 2xx whose reason is in `why`. */
int oauth_token_answer(oauth_t *o, const oauth_fetch_result_t *res, const char *doing,
                       const char *done, int strict, char *why, size_t n)
{
    why[0] = 0;
    if (res->rc) {
        oauth_fail(o, res->rc, "%s at %s failed: %s", doing, o->token_endpoint, res->why);
        return 1;
    }
    if (res->status < 200 || res->status >= 300) return 0;
    if (apply_token_response(o, res, why, n) == 0) {
        log_info("%s", done);
        oauth_finish(o, 0, NULL);
        return 1;
    }
    if (!strict) return 0;
    oauth_fail(o, BRIDGE_EPROTO, "the token endpoint %s answered with %s", o->token_endpoint, why);
    return 1;
}

void oauth_jwt_bearer_answer(oauth_t *o, const oauth_fetch_result_t *res, const char *assertion,
                             const char *done, const char *hint)
{
    char why[512];
    oauth_trace(o, OAUTH_TRACE_TOKEN, o->token_endpoint, res->status,
                !res->rc && res->status >= 200 && res->status < 300, res->rc ? res->why : NULL);
    if (oauth_token_answer(o, res, "the jwt-bearer token request", done, 1, why, sizeof why))
        return;
    const char *err = json_str(res->json, "error"),
               *desc = json_str(res->json, "error_description");
    oauth_fail(o, BRIDGE_EHTTP, "the token endpoint %s refused %s (HTTP %ld%s%.100s%s%.300s)%s%s",
               o->token_endpoint, assertion, res->status, err ? ": " : "", err ? err : "",
               desc ? " - " : "", desc ? desc : "", hint ? "; " : "", hint ? hint : "");
}
