/* The authorization code step: PKCE, the authorization URL, the browser and
 * the loopback redirect (RFC 8252), the issuer check of RFC 9207; the code is
 * then exchanged by oauth/grant_code.c. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/browser.h"
#include "oauth/dpop.h"
#include "oauth/scope.h"

#include <assert.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int oauth_url_add_query(CURLU *h, const char *const kv[][2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!kv[i][1]) continue;
        size_t len = strlen(kv[i][0]) + strlen(kv[i][1]) + 2;
        char *pair = malloc(len);
        if (!pair) return BRIDGE_ENOMEM;
        snprintf(pair, len, "%s=%s", kv[i][0], kv[i][1]);
        CURLUcode uc = curl_url_set(h, CURLUPART_QUERY, pair, CURLU_APPENDQUERY | CURLU_URLENCODE);
        free(pair);
        if (uc != CURLUE_OK) return BRIDGE_EINVAL;
    }
    return 0;
}

/* The scope to ask for (see oauth_select_scope), remembered for step-up; NULL
 * to send none. */
char *oauth_choose_scope(oauth_t *o)
{
    char *scope = NULL, *with_offline = NULL;
    if (!o->requested_scope) {
        oauth_select_scope(o->challenge.scope, o->prm_scopes, o->cfg.scope, &scope);
        if (!scope && !o->cfg.scope && o->legacy) /* no protected resource metadata */
            oauth_scope_fallback(json_str(o->static_metadata, "scope"), o->registered_scope,
                                 json_object_get(o->as_meta, "scopes_supported"), &scope);
        if (scope && !o->cfg.scope &&
            oauth_scope_add_offline_access(scope, json_object_get(o->as_meta, "scopes_supported"),
                                           &with_offline) == 0 &&
            with_offline) {
            free(scope);
            scope = with_offline;
        }
        oauth_set_str(&o->requested_scope, scope);
    } else {
        scope = strdup(o->requested_scope);
    }
    if (scope && !*scope) { /* an empty --scope omits the parameter */
        free(scope);
        scope = NULL;
    }
    return scope;
}

static void on_redirect(void *ud, int rc, const char *code, const char *iss, const char *why)
{
    oauth_t *o = ud;
    oauth_callback_close(o->listener);
    o->listener = NULL;
    if (rc == BRIDGE_ETIMEOUT) {
        long limit =
            o->cfg.auth_timeout_s > 0 ? o->cfg.auth_timeout_s : OAUTH_DEFAULT_AUTH_TIMEOUT_S;
        oauth_fail(
            o, rc,
            "no sign-in came back within %ld second%s (--auth-timeout %ld); finish the sign-in "
            "in the browser sooner, or start with a larger --auth-timeout",
            limit, limit == 1 ? "" : "s", limit);
        return;
    }
    if (rc) {
        oauth_fail(o, rc, "%s", why);
        return;
    }
    /* RFC 9207: when the AS says it sends iss, it must be ours. */
    json_t *iss_supported =
        json_object_get(o->as_meta, "authorization_response_iss_parameter_supported");
    if ((iss && o->issuer && !o->legacy && strcmp(iss, o->issuer) != 0) ||
        (!iss && json_is_true(iss_supported))) {
        oauth_fail(o, BRIDGE_EPROTO, "the sign-in redirect names issuer \"%s\", not %s; refused",
                   iss ? iss : "(none)", o->issuer);
        return;
    }
    oauth_exchange_code(o, code);
}

static int build_authorization_url(oauth_t *o, const char *challenge, const char *scope, char **out)
{
    CURLU *h = curl_url();
    if (!h) return BRIDGE_ENOMEM;
    int rc = curl_url_set(h, CURLUPART_URL, o->authorization_endpoint, 0) == CURLUE_OK
                 ? 0
                 : BRIDGE_EINVAL;
    /* An OpenID provider issues a refresh token for offline_access only with
     * prompt=consent; a prompt the user chose is left alone. */
    int user_prompt = 0;
    for (size_t i = 0; i < o->cfg.authorize_params_len; i++)
        if (!strncmp(o->cfg.authorize_params[i], "prompt=", 7)) user_prompt = 1;
    int consent = !user_prompt &&
                  oauth_scope_wants_consent(scope, json_object_get(o->as_meta, "scopes_supported"));
    /* RFC 9449 §10: the code is bound to the key that will redeem it. */
    char jkt[OAUTH_JWK_THUMBPRINT_LEN + 1];
    if (o->dpop_key && oauth_dpop_jkt(o->dpop_key, jkt) != 0) return BRIDGE_EIO;
    const char *const kv[][2] = {
        {"response_type", "code"},
        {"client_id", o->client_id},
        {"redirect_uri", o->redirect_uri},
        {"code_challenge", challenge},
        {"code_challenge_method", "S256"},
        {"state", o->state},
        {"scope", scope},
        {"resource", o->cfg.disable_resource ? NULL : o->resource},
        {"prompt", consent ? "consent" : NULL},
        {"dpop_jkt", o->dpop_key ? jkt : NULL},
    };
    if (!rc) rc = oauth_url_add_query(h, kv, sizeof kv / sizeof kv[0]);
    for (size_t i = 0; i < o->cfg.authorize_params_len && !rc; i++)
        if (curl_url_set(h, CURLUPART_QUERY, o->cfg.authorize_params[i],
                         CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK)
            rc = BRIDGE_EINVAL;
    char *u = NULL;
    if (!rc && curl_url_get(h, CURLUPART_URL, &u, 0) == CURLUE_OK) {
        *out = strdup(u);
        curl_free(u);
        rc = *out ? 0 : BRIDGE_ENOMEM;
    } else if (!rc) {
        rc = BRIDGE_EINVAL;
    }
    curl_url_cleanup(h);
    return rc;
}

static void open_browser(oauth_t *o, char *url);

static void authorize(oauth_t *o)
{
    assert(o->running);
    if (o->cfg.no_browser) {
        oauth_fail(o, BRIDGE_EINVAL,
                   "a sign-in in a browser is needed and --no-browser is set; sign in where a "
                   "browser is: `mcp-bridge login %s`, then `mcp-bridge export %s > creds.json` "
                   "there and `mcp-bridge import creds.json` here (or start with "
                   "--refresh-token-file)",
                   o->server_url, o->server_url);
        return;
    }
    char challenge[OAUTH_PKCE_CHALLENGE_LEN + 1];
    if (oauth_pkce_verifier(o->verifier) || oauth_pkce_challenge_s256(o->verifier, challenge) ||
        oauth_random_state(o->state) || oauth_dpop_new_credential(o)) {
        oauth_fail(o, BRIDGE_EIO, "the system random generator failed");
        return;
    }
    char *scope = oauth_choose_scope(o);
    char *url = NULL;
    int rc = build_authorization_url(o, challenge, scope, &url);
    free(scope);
    if (rc || !oauth_browser_url_ok(url, o->cfg.allow_http)) {
        free(url);
        oauth_fail(o, BRIDGE_EPROTO,
                   "the authorization endpoint \"%s\" is not an http(s) URL that can be opened",
                   o->authorization_endpoint);
        return;
    }
    if (o->preflight) { /* everything a start does but the person's part */
        oauth_set_str(&o->preflight_url, url);
        oauth_trace(o, OAUTH_TRACE_AUTHORIZE, url, 0, 1, NULL);
        free(url);
        oauth_finish(o, 0, NULL);
        return;
    }
    if (o->cfg.hold_browser && o->cfg.hold_browser(o->cfg.on_signin_ud)) {
        free(o->held_url);
        o->held_url = url; /* oauth_release_browser goes on from here */
        return;
    }
    open_browser(o, url);
}

void oauth_release_browser(oauth_t *o)
{
    char *url = o->held_url;
    if (!url || !o->running) return;
    o->held_url = NULL;
    open_browser(o, url);
}

/* The person's part: the redirect awaited, the browser opened, the URL shown.
 * Takes url. */
static void open_browser(oauth_t *o, char *url)
{
    long timeout =
        (o->cfg.auth_timeout_s > 0 ? o->cfg.auth_timeout_s : OAUTH_DEFAULT_AUTH_TIMEOUT_S) * 1000;
    oauth_callback_wait(o->listener, o->state, timeout, o->cfg.auth_success_url, on_redirect, o);
    int opened = !o->cfg.no_browser && oauth_browser_open(o->cfg.loop, url) == 0;
    /* The URL holds no secret (state and the PKCE challenge are public). */
    fprintf(stderr, "mcp-bridge: %s to sign in to %s:\n%s\n",
            opened ? "a browser window was opened; if it did not appear, open this URL"
                   : "open this URL in a browser",
            o->server_url, url);
    if (o->cfg.on_signin) o->cfg.on_signin(o->cfg.on_signin_ud, url, NULL);
    free(url);
}

void oauth_set_hold_hook(oauth_t *o, int (*hold)(void *ud))
{
    o->cfg.hold_browser = hold;
}

void oauth_set_signin_hook(oauth_t *o, void (*cb)(void *ud, const char *url, const char *user_code),
                           void *ud)
{
    o->cfg.on_signin = cb;
    o->cfg.on_signin_ud = ud;
}

static int chosen_by_default(const oauth_config_t *cfg)
{
    (void)cfg;
    return 1;
}

const oauth_grant_t oauth_grant_authorization_code = {
    .name = "authorization code",
    .grant_type = "authorization_code",
    .chosen = chosen_by_default,
    .needs_client = 1,
    .needs_redirect = 1,
    .start = authorize,
};
