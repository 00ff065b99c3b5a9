/* The device authorization grant (RFC 8628): the person signs in on another
 * device with a code shown here, while this side polls the token endpoint. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/browser.h"
#include "oauth/client_auth.h"
#include "oauth/token.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void device_poll(oauth_t *o);

static void on_device_timer(uv_timer_t *t)
{
    device_poll(t->data);
}

static void on_device_token(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char why[512], done[600];
    snprintf(done, sizeof done, "signed in to %s", o->server_url);
    if (oauth_token_answer(o, res, "polling for the token", done, 1, why, sizeof why)) {
        oauth_wipe_str(&o->device_code); /* used once, whatever came of it */
        return;
    }
    const char *err = json_str(res->json, "error");
    if (err && (!strcmp(err, "authorization_pending") || !strcmp(err, "slow_down"))) {
        if (!strcmp(err, "slow_down")) o->device_interval += 5;
        if (time(NULL) >= o->device_deadline) {
            oauth_fail(o, BRIDGE_ETIMEOUT, "the code was not approved in time; start again");
            return;
        }
        uv_timer_start(&o->lock_timer, on_device_timer, (uint64_t)o->device_interval * 1000, 0);
        return;
    }
    oauth_fail(o, BRIDGE_EHTTP, "the device sign-in ended: %s",
               err ? err : "the token endpoint refused it");
}

static void device_poll(oauth_t *o)
{
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = oauth_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
    if (!rc) rc = oauth_form_add(&form, "device_code", o->device_code);
    if (!rc) rc = oauth_token_request(o, &form, on_device_token);
    if (rc) oauth_fail(o, rc, "cannot poll for the token: %s", oauth_token_request_failure(o, rc));
}

static void on_device_authorized(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *code = json_str(res->json, "device_code"), *user = json_str(res->json, "user_code");
    const char *uri = json_str(res->json, "verification_uri");
    if (!uri) uri = json_str(res->json, "verification_url"); /* an older spelling */
    const char *complete = json_str(res->json, "verification_uri_complete");
    if (res->rc || res->status < 200 || res->status >= 300 || !code || !user || !uri) {
        const char *err = json_str(res->json, "error_description");
        if (!err) err = json_str(res->json, "error");
        oauth_fail(o, BRIDGE_EHTTP, "the device authorization request was refused (%s)",
                   res->rc ? res->why
                   : err   ? err
                           : "no device_code, user_code or verification_uri");
        return;
    }
    if (!oauth_browser_url_ok(uri, o->cfg.allow_http)) {
        oauth_fail(o, BRIDGE_EPROTO, "the verification URI \"%s\" is not an https URL", uri);
        return;
    }
    oauth_set_str(&o->device_code, code);
    json_t *iv = json_object_get(res->json, "interval"),
           *ex = json_object_get(res->json, "expires_in");
    o->device_interval =
        json_is_integer(iv) && json_integer_value(iv) > 0 ? (long)json_integer_value(iv) : 5;
    long expires =
        json_is_integer(ex) && json_integer_value(ex) > 0 ? (long)json_integer_value(ex) : 600;
    o->device_deadline = time(NULL) + expires;
    /* The user code is not a secret on its own: it is what the person types. */
    fprintf(stderr,
            "mcp-bridge: to sign in to %s, visit:\n  %s\nand enter the code: %s\n%s%s%s"
            "Waiting for approval...\n",
            o->server_url, uri, user,
            complete && oauth_browser_url_ok(complete, o->cfg.allow_http) ? "(or open " : "",
            complete && oauth_browser_url_ok(complete, o->cfg.allow_http) ? complete : "",
            complete && oauth_browser_url_ok(complete, o->cfg.allow_http) ? ")\n" : "");
    if (o->cfg.on_signin) {
        int whole = complete && oauth_browser_url_ok(complete, o->cfg.allow_http);
        o->cfg.on_signin(o->cfg.on_signin_ud, whole ? complete : uri, user);
    }
    uv_timer_start(&o->lock_timer, on_device_timer, (uint64_t)o->device_interval * 1000, 0);
}

static void device_authorize(oauth_t *o)
{
    assert(o->running);
    const char *endpoint = json_str(o->as_meta, "device_authorization_endpoint");
    if (!endpoint) {
        oauth_fail(
            o, BRIDGE_EINVAL,
            "%s does not offer the device authorization grant (no "
            "device_authorization_endpoint); sign in with a browser, or use `mcp-bridge login` "
            "elsewhere with export and import",
            o->issuer ? o->issuer : o->server_url);
        return;
    }
    if (!oauth_endpoint_ok(o, endpoint, "device authorization endpoint")) {
        oauth_fail(o, BRIDGE_EPROTO, "%s", o->refused);
        return;
    }
    if (o->preflight) { /* the person's part starts with the next request */
        oauth_trace(o, OAUTH_TRACE_AUTHORIZE, endpoint, 0, 1, "device");
        oauth_finish(o, 0, NULL);
        return;
    }
    char *scope = oauth_choose_scope(o), *basic = NULL;
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = oauth_dpop_new_credential(o); /* the device code is redeemed with this key */
    if (!rc)
        rc = oauth_token_client_auth(&form, o->client_id, o->client_secret, o->auth_method, &basic);
    if (!rc && scope && *scope) rc = oauth_form_add(&form, "scope", scope);
    if (!rc && o->resource && !o->cfg.disable_resource)
        rc = oauth_form_add(&form, "resource", o->resource);
    const char *headers[3] = {"Content-Type: application/x-www-form-urlencoded", basic, NULL};
    log_debug("starting the device authorization at %s", endpoint);
    if (!rc)
        rc = oauth_run_fetch(o, "POST", endpoint, headers, form.data, OAUTH_METADATA_MAX(o),
                             on_device_authorized);
    free(scope);
    if (basic) OPENSSL_cleanse(basic, strlen(basic));
    free(basic);
    buf_free_secret(&form);
    if (rc) oauth_fail(o, rc, "out of memory starting the device authorization");
}

static int chosen_by_device_code(const oauth_config_t *cfg)
{
    return cfg->device_code;
}

const oauth_grant_t oauth_grant_device = {
    .name = "device authorization",
    .grant_type = "urn:ietf:params:oauth:grant-type:device_code",
    .chosen = chosen_by_device_code,
    .needs_client = 1,
    .needs_redirect = 0,
    .start = device_authorize,
};
