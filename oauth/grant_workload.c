/* Workload identity federation (SEP-1933): the platform the bridge runs on (a
 * Kubernetes projected service account token, a CI job's OIDC token) vouches
 * for it with a JWT, traded at the authorization server with the jwt-bearer
 * grant (RFC 7523 §2.1), the client authenticated as configured. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/token_exchange.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_workload_token(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char done[600], hint[600];
    snprintf(done, sizeof done, "obtained a token for %s with the workload identity token",
             o->server_url);
    snprintf(hint, sizeof hint, "check that %s trusts its issuer for client %s",
             o->issuer ? o->issuer : o->token_endpoint, o->client_id ? o->client_id : "(none)");
    oauth_jwt_bearer_answer(o, res, "the workload identity token", done, hint);
}

static void workload_grant(oauth_t *o)
{
    assert(o->running);
    if (!oauth_endpoint_ok(o, o->token_endpoint, "token endpoint")) {
        oauth_fail(o, BRIDGE_EPROTO, "%s", o->refused);
        return;
    }
    if (!o->auth_method) oauth_set_str(&o->auth_method, oauth_client_auth_method(o));
    char *assertion = NULL, why[512];
    /* Read afresh on every use, as the platform rotates it. */
    int rc = oauth_read_credential(o->cfg.workload_token_file, o->cfg.workload_token_env,
                                   "workload identity token", &assertion, why, sizeof why);
    if (rc) {
        oauth_fail(o, rc, "%s", why);
        return;
    }
    char *scope = oauth_choose_scope(o);
    buf_t form;
    buf_init_secret(&form, 0);
    /* The resource goes in with the token request, as for every grant. */
    rc = oauth_jwt_bearer_form(&form, assertion, scope, NULL);
    OPENSSL_cleanse(assertion, strlen(assertion));
    free(assertion);
    free(scope);
    log_debug("requesting a token with the workload identity token at %s", o->token_endpoint);
    if (!rc)
        rc = oauth_token_request(o, &form, on_workload_token);
    else
        buf_free_secret(&form);
    if (rc) oauth_fail(o, rc, "cannot request a token: %s", oauth_token_request_failure(o, rc));
}

static int chosen_by_workload_token(const oauth_config_t *cfg)
{
    return cfg->workload_token_file || cfg->workload_token_env;
}

const oauth_grant_t oauth_grant_workload = {
    .name = "workload identity",
    .grant_type = OAUTH_GRANT_JWT_BEARER,
    .chosen = chosen_by_workload_token,
    .needs_client = 0,
    .needs_redirect = 0,
    .start = workload_grant,
};
