/* Enterprise-managed authorization (SEP-990, cross-app access): the person's ID
 * token from the enterprise IdP is exchanged there for an ID-JAG (RFC 8693),
 * which the MCP server's authorization server takes as a jwt-bearer grant
 * (RFC 7523 §2.1). The ID token is read from a file, a variable or a command's
 * output, or, with none of those, comes from a sign-in at the IdP
 * (oauth/idp_signin.c). */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/client_auth.h"
#include "oauth/token.h"
#include "oauth/token_command.h"
#include "oauth/token_exchange.h"
#include "oauth/wellknown.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_jwt_bearer(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char done[600];
    snprintf(done, sizeof done, "obtained a token for %s with the enterprise IdP's assertion",
             o->server_url);
    oauth_jwt_bearer_answer(o, res, "the enterprise IdP's assertion", done, NULL);
}

static void on_exchanged(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *idp = o->idp_token_endpoint;
    if (res->rc) {
        oauth_fail(o, res->rc, "the token exchange at the IdP %s failed: %s", idp, res->why);
        return;
    }
    if (res->status < 200 || res->status >= 300) {
        const char *err = json_str(res->json, "error"),
                   *desc = json_str(res->json, "error_description");
        oauth_fail(o, BRIDGE_EHTTP,
                   "the IdP %s refused to exchange the ID token (HTTP %ld%s%.100s%s%.300s); "
                   "check that the ID token is current and that the IdP lets client %s access %s",
                   idp, res->status, err ? ": " : "", err ? err : "", desc ? " - " : "",
                   desc ? desc : "", o->cfg.idp_client_id ? o->cfg.idp_client_id : "(none)",
                   o->issuer);
        return;
    }
    oauth_id_jag_t jag;
    char why[300];
    if (oauth_token_exchange_parse(res->json, &jag, why, sizeof why) != 0) {
        oauth_fail(o, BRIDGE_EPROTO, "the IdP %s answered the token exchange with %s", idp, why);
        return;
    }
    char *scope = oauth_choose_scope(o);
    buf_t form;
    buf_init_secret(&form, 0);
    /* The resource goes in with the token request, as for every grant. */
    int rc = oauth_jwt_bearer_form(&form, jag.assertion, scope, NULL);
    oauth_token_exchange_free(&jag);
    free(scope);
    log_debug("requesting a token with the IdP's assertion at %s", o->token_endpoint);
    if (!rc)
        rc = oauth_token_request(o, &form, on_jwt_bearer);
    else
        buf_free_secret(&form);
    if (rc) oauth_fail(o, rc, "cannot request a token: %s", oauth_token_request_failure(o, rc));
}

static int signs_in_at_idp(const oauth_config_t *cfg)
{
    return !cfg->id_token_file && !cfg->id_token_env && !cfg->id_token_command;
}

/* RFC 8693 at the IdP: the ID token for an ID-JAG whose audience is the MCP
 * server's authorization server. */
void oauth_enterprise_exchange(oauth_t *o, const char *id_token)
{
    assert(o->running && id_token);
    if (!oauth_endpoint_ok(o, o->idp_token_endpoint, "IdP token endpoint")) {
        oauth_fail(o, BRIDGE_EPROTO, "%s", o->refused);
        return;
    }
    char *scope = oauth_choose_scope(o);
    const char *resource = o->resource ? o->resource : o->server_url;
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = oauth_token_exchange_form(&form, id_token, o->issuer, resource, scope);
    free(scope);
    char *basic = NULL;
    if (!rc && o->cfg.idp_client_id)
        rc = oauth_token_client_auth(&form, o->cfg.idp_client_id, o->cfg.idp_client_secret, NULL,
                                     &basic);
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", basic, NULL};
    log_debug("exchanging the ID token for an assertion at %s", o->idp_token_endpoint);
    if (!rc)
        rc = oauth_run_fetch(o, "POST", o->idp_token_endpoint, headers, form.data,
                             OAUTH_TOKEN_RESPONSE_MAX, on_exchanged);
    oauth_wipe_str(&basic);
    buf_free_secret(&form);
    if (rc) oauth_fail(o, rc, "cannot exchange the ID token: %s", bridge_strerror(rc));
}

/* The ID token from the source the options name, or a sign-in at the IdP. */
static void obtain_id_token(oauth_t *o)
{
    if (signs_in_at_idp(&o->cfg)) {
        oauth_idp_sign_in(o);
        return;
    }
    if (!oauth_endpoint_ok(o, o->idp_token_endpoint, "IdP token endpoint")) {
        oauth_fail(o, BRIDGE_EPROTO, "%s", o->refused);
        return;
    }
    char *id_token = NULL, why[512];
    int rc = o->cfg.id_token_command
                 ? oauth_token_command_run(o->cfg.id_token_command, "ID token", 0, &id_token, why,
                                           sizeof why)
                 : oauth_read_credential(o->cfg.id_token_file, o->cfg.id_token_env, "ID token",
                                         &id_token, why, sizeof why);
    if (rc) {
        oauth_fail(o, rc, "%s", why);
        return;
    }
    oauth_enterprise_exchange(o, id_token);
    oauth_wipe_str(&id_token);
}

static void on_idp_metadata(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *url = o->cand[o->icand], *issuer = json_str(res->json, "issuer");
    if (!res->rc && res->status == 200 && issuer && !strcmp(issuer, o->cfg.idp_issuer) &&
        json_str(res->json, "token_endpoint")) {
        /* --idp-token-endpoint, when given, wins over the metadata's. */
        oauth_set_str(&o->idp_token_endpoint, o->cfg.idp_token_endpoint
                                                  ? o->cfg.idp_token_endpoint
                                                  : json_str(res->json, "token_endpoint"));
        json_decref(o->idp_meta);
        o->idp_meta = json_incref(res->json);
        obtain_id_token(o);
        return;
    }
    log_debug("no metadata for the IdP %s at %s", o->cfg.idp_issuer, url);
    if (++o->icand < o->ncand) {
        if (oauth_run_fetch(o, "GET", o->cand[o->icand], NULL, NULL, OAUTH_METADATA_MAX(o),
                            on_idp_metadata) != 0)
            oauth_fail(o, BRIDGE_ENOMEM, "out of memory");
        return;
    }
    oauth_fail(o, BRIDGE_EPROTO,
               "found no metadata naming issuer %s with a token endpoint (tried %s and the OpenID "
               "Connect locations); give the IdP's token endpoint with --idp-token-endpoint",
               o->cfg.idp_issuer, o->cand[0]);
}

static void enterprise_grant(oauth_t *o)
{
    assert(o->running);
    if (!o->issuer || !oauth_endpoint_ok(o, o->token_endpoint, "token endpoint")) {
        oauth_fail(o, BRIDGE_EPROTO,
                   "enterprise sign-in needs the authorization server of %s and its token "
                   "endpoint: %s",
                   o->server_url, o->issuer ? o->refused : "the server names none");
        return;
    }
    if (!o->auth_method) oauth_set_str(&o->auth_method, oauth_client_auth_method(o));
    /* A sign-in at the IdP needs its metadata even when its token endpoint is given. */
    if (o->cfg.idp_token_endpoint && !signs_in_at_idp(&o->cfg)) {
        oauth_set_str(&o->idp_token_endpoint, o->cfg.idp_token_endpoint);
        obtain_id_token(o);
        return;
    }
    /* Find the IdP's endpoints in its metadata (RFC 8414, OpenID Connect). */
    oauth_clear_candidates(o);
    if (oauth_as_metadata_urls(o->cfg.idp_issuer, o->cand, &o->ncand) != 0 || o->ncand == 0) {
        oauth_fail(o, BRIDGE_EINVAL, "--idp-issuer \"%s\" is not a valid issuer URL",
                   o->cfg.idp_issuer);
        return;
    }
    if (oauth_run_fetch(o, "GET", o->cand[0], NULL, NULL, OAUTH_METADATA_MAX(o), on_idp_metadata))
        oauth_fail(o, BRIDGE_ENOMEM, "out of memory");
}

static int chosen_by_idp(const oauth_config_t *cfg)
{
    return cfg->idp_issuer || cfg->idp_token_endpoint;
}

const oauth_grant_t oauth_grant_enterprise = {
    .name = "enterprise-managed authorization",
    .grant_type = OAUTH_GRANT_JWT_BEARER,
    .chosen = chosen_by_idp,
    .needs_client = 0,
    .needs_redirect = 0,
    .start = enterprise_grant,
};
