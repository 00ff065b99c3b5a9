/* Which client signs in: a pre-registered one (--static-oauth-client-info), a
 * client ID metadata document, a stored registration, or a new one registered
 * at the authorization server (RFC 7591). */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/client_auth.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void no_registration_possible(oauth_t *o);
static void register_client(oauth_t *o);

/* The client is chosen (how: `which`, for the trace): the grant takes over. */
static void client_ready(oauth_t *o, const char *which)
{
    assert(o->client_id || o->cfg.no_browser);
    oauth_trace(o, OAUTH_TRACE_CLIENT, NULL, 0, 1, which);
    if (o->client_id)
        oauth_trace(o, OAUTH_TRACE_AUTH_METHOD, o->token_endpoint, 0, 1,
                    o->auth_method ? o->auth_method : oauth_client_auth_method(o));
    o->grant->start(o);
}

static void on_registered(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *id = json_str(res->json, "client_id");
    oauth_trace(o, OAUTH_TRACE_REGISTERED, o->registration_endpoint, res->status,
                !res->rc && res->status >= 200 && res->status < 300 && id, res->rc ? res->why : id);
    if (res->rc) {
        oauth_fail(o, res->rc, "client registration at %s failed: %s", o->registration_endpoint,
                   res->why);
        return;
    }
    const char *error = json_str(res->json, "error");
    if (res->status == 400 && error && !strcmp(error, "invalid_client_metadata") &&
        json_str(o->static_metadata, "scope") && !o->registered_without_scope) {
        /* Real servers refuse a scope they do not know in a registration;
         * the scope is asked for again in the authorization request. */
        log_info("%s refused the registration's scope (invalid_client_metadata); registering "
                 "without it",
                 o->registration_endpoint);
        o->registered_without_scope = 1;
        register_client(o);
        return;
    }
    if (res->status < 200 || res->status >= 300 || !id) {
        const char *err = json_str(res->json, "error_description");
        if (!err) err = json_str(res->json, "error");
        oauth_fail(
            o, BRIDGE_EHTTP,
            "client registration at %s was refused (HTTP %ld%s%.300s); pass a pre-registered "
            "client with --static-oauth-client-info",
            o->registration_endpoint, res->status, err ? ": " : "", err ? err : "");
        return;
    }
    oauth_set_str(&o->client_id, id);
    oauth_set_str(&o->client_secret, json_str(res->json, "client_secret"));
    const char *method = json_str(res->json, "token_endpoint_auth_method");
    oauth_set_str(&o->auth_method, method ? method : oauth_client_auth_method(o));
    oauth_set_str(&o->registered_scope, json_str(res->json, "scope"));
    o->registered_now = 1;
    log_info("registered with %s as client %s", o->issuer ? o->issuer : o->registration_endpoint,
             o->client_id);
    oauth_save_registration(o);
    client_ready(o, "registered");
}

static void register_client(oauth_t *o)
{
    if (!oauth_endpoint_ok(o, o->registration_endpoint, "registration endpoint")) {
        oauth_fail(o, BRIDGE_EPROTO, "%s", o->refused);
        return;
    }
    const char *method = oauth_client_registration_method(o);
    const char *grant = o->grant->grant_type;
    json_t *req = json_pack("{s:s, s:[s], s:[s,s], s:[s], s:s, s:s}", "client_name", "mcp-bridge",
                            "redirect_uris", o->redirect_uri, "grant_types", grant, "refresh_token",
                            "response_types", "code", "token_endpoint_auth_method", method,
                            "application_type", "native");
    if (req && !strcmp(method, "private_key_jwt")) {
        /* RFC 7591 §2: the public key goes by value; the AS checks every
         * assertion against it. */
        json_t *jwks = oauth_client_key_jwks(o);
        if (!jwks || json_object_set_new(req, "jwks", jwks) != 0) json_decref(req), req = NULL;
    }
    if (req && o->static_metadata) json_object_update(req, o->static_metadata);
    if (req && o->registered_without_scope) json_object_del(req, "scope");
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    const char *headers[] = {"Content-Type: application/json", NULL};
    log_debug("registering a client at %s", o->registration_endpoint);
    int rc = body ? oauth_run_fetch(o, "POST", o->registration_endpoint, headers, body,
                                    OAUTH_METADATA_MAX(o), on_registered)
                  : BRIDGE_ENOMEM;
    free(body);
    if (rc) oauth_fail(o, rc, "out of memory registering a client");
}

/* A stored registration at this issuer, for this redirect URI, is reused. */
static void on_registration_loaded(void *ud, int rc, char *text)
{
    oauth_t *o = ud;
    json_t *doc = !rc && text ? json_loads(text, 0, NULL) : NULL;
    if (text) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
    int ok = json_is_object(doc) && json_str(doc, "client_id") && json_str(doc, "issuer") &&
             !strcmp(json_str(doc, "issuer"), o->issuer) && json_str(doc, "redirect_uri") &&
             o->redirect_uri && !strcmp(json_str(doc, "redirect_uri"), o->redirect_uri);
    if (ok) {
        oauth_set_str(&o->client_id, json_str(doc, "client_id"));
        oauth_set_str(&o->client_secret, json_str(doc, "client_secret"));
        oauth_set_str(&o->auth_method, json_str(doc, "token_endpoint_auth_method"));
    }
    json_decref(doc);
    if (ok) {
        log_debug("using the stored client registration %s", o->client_id);
        client_ready(o, "stored");
    } else if (o->registration_endpoint) {
        oauth_trace(o, OAUTH_TRACE_CLIENT, o->registration_endpoint, 0, 1, "register");
        register_client(o);
    } else {
        no_registration_possible(o);
    }
}

/* --no-browser: nothing to sign in with here; say which is missing first, the
 * client (nothing to register with) or the browser. Nothing is registered. */
static void no_browser_blocker(oauth_t *o)
{
    int cimd = o->cfg.client_metadata_url &&
               json_is_true(json_object_get(o->as_meta, "client_id_metadata_document_supported"));
    if (o->client_static || cimd || (o->kept_redirect_uri && o->client_id) ||
        o->registration_endpoint)
        o->grant->start(o); /* fails at once: no browser */
    else
        no_registration_possible(o);
}

void oauth_choose_client(oauth_t *o)
{
    assert(o->running && o->grant->needs_client);
    if (o->cfg.no_browser && o->grant->needs_redirect) {
        no_browser_blocker(o);
        return;
    }
    if (!o->grant->needs_redirect) {
        /* No redirect comes back: no listener, and a registration that says so. */
        oauth_set_str(&o->redirect_uri, "http://127.0.0.1/oauth/callback");
    } else {
        char why[512] = "out of memory";
        if (oauth_start_listener(o, why, sizeof why) != 0) {
            oauth_fail(o, BRIDGE_EIO, "%s", why);
            return;
        }
    }
    if (o->client_static) {
        if (!o->auth_method) oauth_set_str(&o->auth_method, oauth_client_auth_method(o));
        client_ready(o, "static");
        return;
    }
    if (o->cfg.client_metadata_url &&
        json_is_true(json_object_get(o->as_meta, "client_id_metadata_document_supported"))) {
        o->client_cimd = 1;
        oauth_set_str(&o->client_id, o->cfg.client_metadata_url);
        oauth_wipe_str(&o->client_secret);
        oauth_set_str(&o->auth_method, "none");
        client_ready(o, "metadata-document");
        return;
    }
    o->client_cimd = 0;
    if (o->kept_redirect_uri && o->client_id) {
        /* The client that came with the stored sign-in (an import from
         * mcp-remote): registered for this redirect URI, it signs in again. */
        log_debug("using the stored client %s with its redirect URI %s", o->client_id,
                  o->kept_redirect_uri);
        if (!o->auth_method) oauth_set_str(&o->auth_method, oauth_client_auth_method(o));
        client_ready(o, "kept");
        return;
    }
    if (o->cfg.store && o->issuer) {
        char name[64];
        oauth_client_record_name(o->issuer, name, sizeof name);
        if (oauth_store_get(o, name, on_registration_loaded) == 0) return;
    }
    on_registration_loaded(o, BRIDGE_EINVAL, NULL);
}

static void no_registration_possible(oauth_t *o)
{
    oauth_fail(o, BRIDGE_EINVAL,
               "%s offers no dynamic client registration: register a client there and pass it with "
               "--static-oauth-client-info '{\"client_id\":\"...\"}'%s%s",
               o->issuer ? o->issuer : o->server_url,
               json_is_true(json_object_get(o->as_meta, "client_id_metadata_document_supported"))
                   ? ", or pass --client-metadata-url with your client ID metadata document"
                   : "",
               o->cfg.no_browser ? " (with --no-browser, then sign in where a browser is with "
                                   "`mcp-bridge login` and bring the sign-in here with export and "
                                   "import)"
                                 : "");
}
