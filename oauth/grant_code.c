/* The authorization code grant's token request (RFC 6749 §4.1.3, with the PKCE
 * verifier): exchanging the code the redirect brought. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/token.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static void on_code_exchanged(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char why[512], done[600];
    snprintf(done, sizeof done, "signed in to %s", o->server_url);
    if (oauth_token_answer(o, res, "the token request", done, 1, why, sizeof why)) return;
    const char *err = json_str(res->json, "error"),
               *desc = json_str(res->json, "error_description");
    if (err && !strcmp(err, "invalid_client") && !o->client_static && !o->client_cimd &&
        o->registration_endpoint && !o->tried_reregister) {
        /* The AS forgot our registration: register again and sign in again. */
        log_info("%s no longer knows client %s; registering again", o->token_endpoint,
                 o->client_id);
        o->tried_reregister = 1;
        oauth_drop_registration(o);
        oauth_choose_client(o);
        return;
    }
    oauth_fail(o, BRIDGE_EHTTP,
               "the token endpoint %s refused the authorization code (HTTP %ld%s%.100s%s%.300s)",
               o->token_endpoint, res->status, err ? ": " : "", err ? err : "", desc ? " - " : "",
               desc ? desc : "");
}

void oauth_exchange_code(oauth_t *o, const char *code)
{
    assert(o->running && code && o->verifier[0]);
    buf_t form;
    buf_init_secret(&form, 0);
    int e = oauth_form_add(&form, "grant_type", "authorization_code");
    if (!e) e = oauth_form_add(&form, "code", code);
    if (!e) e = oauth_form_add(&form, "redirect_uri", o->redirect_uri);
    if (!e) e = oauth_form_add(&form, "code_verifier", o->verifier);
    log_debug("exchanging the authorization code at %s", o->token_endpoint);
    if (!e) e = oauth_token_request(o, &form, on_code_exchanged);
    if (e) oauth_fail(o, e, "cannot exchange the code: %s", oauth_token_request_failure(o, e));
}
