/* The client credentials grant (RFC 6749 §4.4): a client acting for itself, no
 * person and no browser. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/client_auth.h"
#include "oauth/scope.h"
#include "oauth/token.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

/* RFC 6749 §4.4: a client acting for itself, no browser. */
static void on_client_credentials(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char why[512], done[600];
    oauth_trace(o, OAUTH_TRACE_TOKEN, o->token_endpoint, res->status,
                !res->rc && res->status >= 200 && res->status < 300, res->rc ? res->why : NULL);
    snprintf(done, sizeof done, "obtained a token for %s with the client credentials grant",
             o->server_url);
    if (oauth_token_answer(o, res, "the token request", done, 1, why, sizeof why)) return;
    const char *err = json_str(res->json, "error"),
               *desc = json_str(res->json, "error_description");
    oauth_fail(o, BRIDGE_EHTTP,
               "the token endpoint %s refused the client credentials (HTTP %ld%s%.100s%s%.300s)",
               o->token_endpoint, res->status, err ? ": " : "", err ? err : "", desc ? " - " : "",
               desc ? desc : "");
}

static void client_credentials_grant(oauth_t *o)
{
    assert(o->running);
    if (o->cfg.token_endpoint) { /* given: no discovery */
        oauth_set_str(&o->token_endpoint, o->cfg.token_endpoint);
        if (!o->resource && o->cfg.resource) oauth_set_str(&o->resource, o->cfg.resource);
    }
    if (!oauth_endpoint_ok(o, o->token_endpoint, "token endpoint")) {
        oauth_fail(o, BRIDGE_EPROTO, "%s", o->refused);
        return;
    }
    if (!o->auth_method) oauth_set_str(&o->auth_method, oauth_client_auth_method(o));
    const char *scope = o->cfg.scope ? o->cfg.scope : json_str(o->static_metadata, "scope");
    char *selected = NULL;
    if (!scope) {
        oauth_select_scope(o->challenge.scope, o->prm_scopes, NULL, &selected);
        scope = selected;
    }
    /* With the token endpoint given there is no metadata to learn DPoP from;
     * a resource whose challenge is DPoP alone takes no Bearer token, so a
     * DPoP-bound one is the only kind worth asking for (RFC 9449 §7.1). */
    if (o->cfg.token_endpoint && o->challenge.dpop && !o->dpop_required) {
        log_debug("%s challenges with DPoP only: asking for a DPoP-bound token", o->server_url);
        o->dpop_required = 1;
    }
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = oauth_dpop_new_credential(o);
    if (!rc) rc = oauth_form_add(&form, "grant_type", "client_credentials");
    if (!rc && scope && *scope) rc = oauth_form_add(&form, "scope", scope);
    free(selected);
    log_debug("requesting a token with the client credentials grant at %s", o->token_endpoint);
    if (!rc) rc = oauth_token_request(o, &form, on_client_credentials);
    if (rc) oauth_fail(o, rc, "cannot request a token: %s", oauth_token_request_failure(o, rc));
}

static int chosen_by_client_credentials(const oauth_config_t *cfg)
{
    return cfg->client_credentials;
}

const oauth_grant_t oauth_grant_client_credentials = {
    .name = "client credentials",
    .grant_type = "client_credentials",
    .chosen = chosen_by_client_credentials,
    .needs_client = 0,
    .needs_redirect = 0,
    .start = client_credentials_grant,
};
