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

/* The platform's token: read afresh on every use, as the platform rotates it. */
static int read_workload_token(const oauth_t *o, char **out, char *why, size_t n)
{
    if (o->cfg.workload_token_file)
        return oauth_read_secret_file(o->cfg.workload_token_file, "workload identity token", out,
                                      why, n);
    const char *v = o->cfg.workload_token_env ? getenv(o->cfg.workload_token_env) : NULL;
    if (!v || !*v) {
        snprintf(why, n, "no workload identity token: the environment variable %s is %s",
                 o->cfg.workload_token_env ? o->cfg.workload_token_env : "(none)",
                 v ? "empty" : "not set");
        return BRIDGE_EINVAL;
    }
    *out = strdup(v);
    return *out ? 0 : BRIDGE_ENOMEM;
}

static void on_workload_token(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char why[512], done[600];
    oauth_trace(o, OAUTH_TRACE_TOKEN, o->token_endpoint, res->status,
                !res->rc && res->status >= 200 && res->status < 300, res->rc ? res->why : NULL);
    snprintf(done, sizeof done, "obtained a token for %s with the workload identity token",
             o->server_url);
    if (oauth_token_answer(o, res, "the jwt-bearer token request", done, 1, why, sizeof why))
        return;
    const char *err = json_str(res->json, "error"),
               *desc = json_str(res->json, "error_description");
    oauth_fail(o, BRIDGE_EHTTP,
               "the token endpoint %s refused the workload identity token (HTTP %ld%s%.100s%s"
               "%.300s); check that %s trusts its issuer for client %s",
               o->token_endpoint, res->status, err ? ": " : "", err ? err : "", desc ? " - " : "",
               desc ? desc : "", o->issuer ? o->issuer : o->token_endpoint,
               o->client_id ? o->client_id : "(none)");
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
    int rc = read_workload_token(o, &assertion, why, sizeof why);
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
