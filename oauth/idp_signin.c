/* The person's sign-in at the enterprise IdP with OpenID Connect (authorization
 * code + PKCE, a nonce), for enterprise-managed authorization when no ID token
 * source is given: the stored ID token while valid, else the IdP's refresh
 * token, else the browser. The ID token is checked before it is used or kept. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/browser.h"
#include "oauth/client_auth.h"
#include "oauth/id_token.h"
#include "oauth/scope.h"
#include "oauth/token.h"

#include <assert.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A stored ID token must outlive the exchange that presents it. */
#define ID_TOKEN_MARGIN_S 60

static void sign_in_in_browser(oauth_t *o);

static void use_id_token(oauth_t *o, const char *refresh_token)
{
    oauth_save_idp_tokens(o, o->idp_id_token, refresh_token);
    char *id_token = o->idp_id_token;
    o->idp_id_token = NULL;
    oauth_enterprise_exchange(o, id_token);
    OPENSSL_cleanse(id_token, strlen(id_token));
    free(id_token);
}

static int check_id_token(oauth_t *o, const char *id_token, const json_t *jwks, const char *nonce,
                          time_t margin, char *why, size_t n)
{
    oauth_id_token_expect_t want = {.issuer = o->cfg.idp_issuer,
                                    .client_id = o->cfg.idp_client_id,
                                    .nonce = nonce,
                                    .jwks = jwks,
                                    .now = time(NULL) + margin};
    return oauth_id_token_check(id_token, &want, NULL, why, n);
}

static void on_jwks(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *url = json_str(o->idp_meta, "jwks_uri");
    if (res->rc || res->status != 200 || !json_is_object(res->json)) {
        oauth_fail(o, res->rc ? res->rc : BRIDGE_EHTTP,
                   "cannot read the IdP's signing keys at %s (%s%ld); the ID token cannot be "
                   "checked",
                   url, res->rc ? res->why : "HTTP ", res->rc ? 0L : res->status);
        return;
    }
    char why[400];
    /* A refreshed ID token carries the nonce of no request of ours. */
    const char *nonce = o->idp_refreshing ? NULL : o->idp_nonce;
    if (check_id_token(o, o->idp_id_token, res->json, nonce, 0, why, sizeof why)) {
        oauth_fail(o, BRIDGE_EPROTO, "the IdP %s returned %s; refused", o->cfg.idp_issuer, why);
        return;
    }
    use_id_token(o, o->idp_refresh_token);
}

static void on_idp_token(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *doing = o->idp_refreshing ? "the refresh of the ID token" : "the code exchange";
    if (res->rc) {
        oauth_fail(o, res->rc, "%s at the IdP %s failed: %s", doing, o->idp_token_endpoint,
                   res->why);
        return;
    }
    oauth_token_t t;
    char why[400] = "";
    int rc = res->status >= 200 && res->status < 300
                 ? oauth_token_parse(res->json, &t, why, sizeof why)
                 : BRIDGE_EHTTP;
    if (!rc && !t.id_token) {
        oauth_token_free(&t);
        snprintf(why, sizeof why, "no id_token (is \"openid\" a scope this client may ask for?)");
        rc = BRIDGE_EPROTO;
    }
    if (rc) {
        if (o->idp_refreshing) {
            log_info("the IdP %s did not refresh the ID token; signing in again",
                     o->cfg.idp_issuer);
            oauth_wipe_str(&o->idp_refresh_token);
            o->idp_refreshing = 0;
            sign_in_in_browser(o);
            return;
        }
        const char *err = json_str(res->json, "error");
        if (rc == BRIDGE_EHTTP)
            snprintf(why, sizeof why, "HTTP %ld%s%.100s", res->status, err ? ": " : "",
                     err ? err : "");
        oauth_fail(o, rc, "%s at the IdP %s failed: %s", doing, o->idp_token_endpoint, why);
        return;
    }
    oauth_set_str(&o->idp_id_token, t.id_token);
    if (t.refresh_token) oauth_set_str(&o->idp_refresh_token, t.refresh_token);
    oauth_token_free(&t);
    if (!o->idp_id_token) {
        oauth_fail(o, BRIDGE_ENOMEM, "out of memory");
        return;
    }
    const char *jwks_uri = json_str(o->idp_meta, "jwks_uri");
    if (jwks_uri) {
        if (!oauth_endpoint_ok(o, jwks_uri, "IdP jwks_uri")) {
            oauth_fail(o, BRIDGE_EPROTO, "%s", o->refused);
            return;
        }
        if (oauth_run_fetch(o, "GET", jwks_uri, NULL, NULL, OAUTH_JWKS_MAX, on_jwks))
            oauth_fail(o, BRIDGE_ENOMEM, "out of memory");
        return;
    }
    /* No keys published: the token came straight from the IdP over TLS (Core §3.1.3.7 6). */
    const char *nonce = o->idp_refreshing ? NULL : o->idp_nonce;
    if (check_id_token(o, o->idp_id_token, NULL, nonce, 0, why, sizeof why)) {
        oauth_fail(o, BRIDGE_EPROTO, "the IdP %s returned %s; refused", o->cfg.idp_issuer, why);
        return;
    }
    use_id_token(o, o->idp_refresh_token);
}

/* A POST to the IdP's token endpoint, the client authenticated as its metadata allows. */
static void idp_token_request(oauth_t *o, buf_t *form)
{
    const char *method = oauth_client_auth_choose(o->idp_meta, o->cfg.idp_client_secret != NULL);
    char *basic = NULL;
    int rc = oauth_token_client_auth(form, o->cfg.idp_client_id, o->cfg.idp_client_secret, method,
                                     &basic);
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", basic, NULL};
    if (!rc)
        rc = oauth_run_fetch(o, "POST", o->idp_token_endpoint, headers, form->data,
                             OAUTH_TOKEN_RESPONSE_MAX, on_idp_token);
    oauth_wipe_str(&basic);
    buf_free_secret(form);
    if (rc) oauth_fail(o, rc, "cannot send the token request to the IdP: %s", bridge_strerror(rc));
}

static void refresh_at_idp(oauth_t *o)
{
    buf_t form;
    buf_init_secret(&form, 0);
    o->idp_refreshing = 1;
    int rc = oauth_form_add(&form, "grant_type", "refresh_token");
    if (!rc) rc = oauth_form_add(&form, "refresh_token", o->idp_refresh_token);
    log_debug("refreshing the ID token at %s", o->idp_token_endpoint);
    if (rc) {
        buf_free_secret(&form);
        oauth_fail(o, rc, "out of memory");
        return;
    }
    idp_token_request(o, &form);
}

static void on_idp_redirect(void *ud, int rc, const char *code, const char *iss, const char *why)
{
    oauth_t *o = ud;
    oauth_callback_close(o->listener);
    o->listener = NULL;
    if (rc) {
        oauth_fail(o, rc, "the sign-in at the IdP %s failed: %s", o->cfg.idp_issuer,
                   rc == BRIDGE_ETIMEOUT ? "no sign-in came back in time (--auth-timeout)" : why);
        return;
    }
    /* RFC 9207, as for the MCP sign-in. */
    const json_t *iss_supported =
        json_object_get(o->idp_meta, "authorization_response_iss_parameter_supported");
    if ((iss && strcmp(iss, o->cfg.idp_issuer) != 0) || (!iss && json_is_true(iss_supported))) {
        oauth_fail(o, BRIDGE_EPROTO,
                   "the IdP's sign-in redirect names issuer \"%s\", not %s; refused",
                   iss ? iss : "(none)", o->cfg.idp_issuer);
        return;
    }
    buf_t form;
    buf_init_secret(&form, 0);
    o->idp_refreshing = 0;
    int e = oauth_form_add(&form, "grant_type", "authorization_code");
    if (!e) e = oauth_form_add(&form, "code", code);
    if (!e) e = oauth_form_add(&form, "redirect_uri", o->redirect_uri);
    if (!e) e = oauth_form_add(&form, "code_verifier", o->verifier);
    log_debug("exchanging the IdP's authorization code at %s", o->idp_token_endpoint);
    if (e) {
        buf_free_secret(&form);
        oauth_fail(o, e, "out of memory");
        return;
    }
    idp_token_request(o, &form);
}

/* The OpenID Connect authentication request (Core §3.1.2.1). */
static int authentication_url(oauth_t *o, const char *endpoint, const char *challenge, char **out)
{
    const char *scope = "openid";
    char *with_offline = NULL;
    if (oauth_scope_add_offline_access("openid", json_object_get(o->idp_meta, "scopes_supported"),
                                       &with_offline) == 0 &&
        with_offline)
        scope = with_offline;
    /* An OpenID provider issues a refresh token for offline_access only with consent. */
    int consent = with_offline != NULL;
    const char *const kv[][2] = {
        {"response_type", "code"},
        {"client_id", o->cfg.idp_client_id},
        {"redirect_uri", o->redirect_uri},
        {"scope", scope},
        {"state", o->state},
        {"nonce", o->idp_nonce},
        {"code_challenge", challenge},
        {"code_challenge_method", "S256"},
        {"prompt", consent ? "consent" : NULL},
    };
    CURLU *h = curl_url();
    int rc = h && curl_url_set(h, CURLUPART_URL, endpoint, 0) == CURLUE_OK ? 0 : BRIDGE_EINVAL;
    if (!rc) rc = oauth_url_add_query(h, kv, sizeof kv / sizeof kv[0]);
    char *u = NULL;
    if (!rc && curl_url_get(h, CURLUPART_URL, &u, 0) == CURLUE_OK) {
        *out = strdup(u);
        rc = *out ? 0 : BRIDGE_ENOMEM;
    } else if (!rc) {
        rc = BRIDGE_EINVAL;
    }
    curl_free(u);
    curl_url_cleanup(h);
    free(with_offline);
    return rc;
}

static void sign_in_in_browser(oauth_t *o)
{
    const char *endpoint = json_str(o->idp_meta, "authorization_endpoint");
    if (o->cfg.no_browser) {
        oauth_fail(o, BRIDGE_EINVAL,
                   "a sign-in at the IdP %s in a browser is needed and --no-browser is set; give "
                   "the ID token with --id-token-file, --id-token-env or --id-token-command",
                   o->cfg.idp_issuer);
        return;
    }
    if (!endpoint || !oauth_browser_url_ok(endpoint, o->cfg.allow_http)) {
        oauth_fail(o, BRIDGE_EPROTO,
                   "the IdP %s names no authorization endpoint a browser can open; give the ID "
                   "token with --id-token-file, --id-token-env or --id-token-command",
                   o->cfg.idp_issuer);
        return;
    }
    char why[400];
    int rc = oauth_start_listener(o, why, sizeof why);
    if (rc) {
        oauth_fail(o, rc, "%s", why);
        return;
    }
    char challenge[OAUTH_PKCE_CHALLENGE_LEN + 1];
    if (oauth_pkce_verifier(o->verifier) || oauth_pkce_challenge_s256(o->verifier, challenge) ||
        oauth_random_state(o->state) || oauth_random_state(o->idp_nonce)) {
        oauth_fail(o, BRIDGE_EIO, "the system random generator failed");
        return;
    }
    char *url = NULL;
    rc = authentication_url(o, endpoint, challenge, &url);
    if (rc || !oauth_browser_url_ok(url, o->cfg.allow_http)) {
        free(url);
        oauth_fail(o, BRIDGE_EPROTO, "cannot build the sign-in URL at the IdP from \"%s\"",
                   endpoint);
        return;
    }
    long timeout =
        (o->cfg.auth_timeout_s > 0 ? o->cfg.auth_timeout_s : OAUTH_DEFAULT_AUTH_TIMEOUT_S) * 1000;
    oauth_callback_wait(o->listener, o->state, timeout, o->cfg.auth_success_url, on_idp_redirect,
                        o);
    int opened = oauth_browser_open(o->cfg.loop, url) == 0;
    /* The URL holds no secret (state, nonce and the PKCE challenge are public). */
    fprintf(stderr, "mcp-bridge: %s to sign in at %s:\n%s\n",
            opened ? "a browser window was opened; if it did not appear, open this URL"
                   : "open this URL in a browser",
            o->cfg.idp_issuer, url);
    free(url);
}

static void on_idp_record(void *ud, int rc, char *secret)
{
    oauth_t *o = ud;
    json_t *doc = !rc && secret ? json_loads(secret, 0, NULL) : NULL;
    if (secret) {
        OPENSSL_cleanse(secret, strlen(secret));
        free(secret);
    }
    const char *issuer = json_str(doc, "idp_issuer"), *client = json_str(doc, "client_id");
    const char *id_token = json_str(doc, "id_token"), *refresh = json_str(doc, "refresh_token");
    if (!issuer || strcmp(issuer, o->cfg.idp_issuer) || !client ||
        strcmp(client, o->cfg.idp_client_id)) {
        id_token = refresh = NULL;
    }
    char why[400];
    /* Checked as input from the network; its signature was checked when it came. */
    if (id_token &&
        check_id_token(o, id_token, NULL, NULL, ID_TOKEN_MARGIN_S, why, sizeof why) == 0) {
        log_debug("using the stored ID token from %s", o->cfg.idp_issuer);
        oauth_set_str(&o->idp_id_token, id_token);
        if (refresh && oauth_token_printable(refresh))
            oauth_set_str(&o->idp_refresh_token, refresh);
        json_decref(doc);
        char *t = o->idp_id_token;
        o->idp_id_token = NULL;
        oauth_enterprise_exchange(o, t);
        oauth_wipe_str(&t);
        return;
    }
    if (refresh && oauth_token_printable(refresh)) {
        oauth_set_str(&o->idp_refresh_token, refresh);
        json_decref(doc);
        refresh_at_idp(o);
        return;
    }
    json_decref(doc);
    sign_in_in_browser(o);
}

void oauth_idp_sign_in(oauth_t *o)
{
    assert(o->running && o->idp_meta && o->idp_token_endpoint);
    assert(o->cfg.idp_issuer && o->cfg.idp_client_id);
    char name[64];
    oauth_idp_record_name(o->cfg.idp_issuer, o->cfg.idp_client_id, name, sizeof name);
    if (o->cfg.store && oauth_store_get(o, name, on_idp_record) == 0) return;
    sign_in_in_browser(o);
}
