/* Discovery: the protected resource metadata (RFC 9728), trying each candidate
 * URL in turn; the authorization server metadata (RFC 8414, then OpenID
 * Connect); the 2025-03-26 fallbacks when the server publishes no PRM. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "bridge/base/url.h"
#include "oauth/wellknown.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void oauth_clear_candidates(oauth_t *o)
{
    for (size_t i = 0; i < o->ncand; i++)
        free(o->cand[i]);
    o->ncand = o->icand = 0;
}

static int use_as_metadata(oauth_t *o, const json_t *meta, int check_issuer, const char *from)
{
    const char *issuer = json_str(meta, "issuer");
    if (check_issuer && (!issuer || strcmp(issuer, o->issuer) != 0)) {
        log_error("%s names issuer \"%s\", not %s; ignored", from, issuer ? issuer : "(none)",
                  o->issuer);
        oauth_trace(o, OAUTH_TRACE_ISSUER_MISMATCH, from, 200, 0, issuer ? issuer : "(none)");
        return 0;
    }
    json_decref(o->as_meta);
    o->as_meta = json_deep_copy(meta);
    oauth_set_str(&o->authorization_endpoint, json_str(meta, "authorization_endpoint"));
    oauth_set_str(&o->token_endpoint, json_str(meta, "token_endpoint"));
    oauth_set_str(&o->registration_endpoint, json_str(meta, "registration_endpoint"));
    if (!check_issuer && issuer) oauth_set_str(&o->issuer, issuer);
    return 1;
}

static void discovery_done(oauth_t *o)
{
    assert(o->running);
    if (!o->grant->needs_client) {
        o->discovered = 1;
        o->grant->start(o);
        return;
    }
    if (!oauth_endpoint_ok(o, o->authorization_endpoint, "authorization endpoint") ||
        !oauth_endpoint_ok(o, o->token_endpoint, "token endpoint")) {
        oauth_fail(o, BRIDGE_EPROTO, "the authorization server metadata of %s is not usable: %s",
                   o->issuer ? o->issuer : o->server_url, o->refused);
        return;
    }
    const json_t *methods = json_object_get(o->as_meta, "code_challenge_methods_supported");
    if (o->as_meta)
        oauth_trace(o, OAUTH_TRACE_PKCE, NULL, 0, json_array_has_str(methods, "S256"), NULL);
    if (o->as_meta && !json_array_has_str(methods, "S256")) {
        oauth_fail(
            o, BRIDGE_EPROTO,
            "the authorization server %s does not advertise PKCE with S256 "
            "(code_challenge_methods_supported), which MCP requires; refusing to sign in there",
            o->issuer);
        return;
    }
    o->discovered = 1;
    if (o->record_issuer && o->issuer && strcmp(o->record_issuer, o->issuer) != 0) {
        /* A sign-in is only good at the authorization server it came from:
         * its refresh token and client are never sent to another one. */
        log_info("the stored sign-in for %s is from %s, but the server now names %s; signing "
                 "in there",
                 o->server_url, o->record_issuer, o->issuer);
        oauth_set_str(&o->record_issuer, NULL);
        oauth_set_str(&o->kept_redirect_uri, NULL);
        oauth_wipe_str(&o->refresh_token);
        oauth_drop_tokens(o);
        if (!o->client_static) {
            oauth_wipe_str(&o->client_id);
            oauth_wipe_str(&o->client_secret);
            oauth_set_str(&o->auth_method, NULL);
        }
        o->refresh_after_discovery = 0;
    }
    if (o->refresh_after_discovery) {
        o->refresh_after_discovery = 0;
        oauth_start_refresh(o);
        return;
    }
    oauth_choose_client(o);
}

static void on_as_metadata(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *url = o->cand[o->icand];
    if (!res->rc && res->status == 200 && res->json) {
        log_debug("authorization server metadata at %s", url);
        if (use_as_metadata(o, res->json, 1, url)) {
            oauth_trace(o, OAUTH_TRACE_AS_METADATA, url, res->status, 1, NULL);
            discovery_done(o);
            return;
        }
    } else if (res->rc == BRIDGE_ECONNECT) {
        /* Every candidate is on the issuer's host: say why it cannot be
         * reached (TLS trust, a client certificate) rather than "not found". */
        oauth_trace(o, OAUTH_TRACE_AS_METADATA, url, 0, 0, res->why);
        oauth_fail(o, res->rc, "cannot reach the authorization server at %s: %s", url, res->why);
        return;
    } else {
        oauth_trace(o, OAUTH_TRACE_AS_METADATA, url, res->status, 0,
                    res->rc              ? res->why
                    : res->status == 200 ? "not a JSON object"
                                         : NULL);
        log_debug("no authorization server metadata at %s (%s)", url,
                  res->rc              ? res->why
                  : res->status == 200 ? "not a JSON object"
                                       : "HTTP error");
    }
    if (++o->icand < o->ncand) {
        if (oauth_run_fetch(o, "GET", o->cand[o->icand], NULL, NULL, OAUTH_METADATA_MAX(o),
                            on_as_metadata) != 0)
            oauth_fail(o, BRIDGE_ENOMEM, "out of memory");
        return;
    }
    oauth_fail(o, BRIDGE_EPROTO,
               "no authorization server metadata found for issuer %s (tried %s%s%s)", o->issuer,
               o->cand[0], o->ncand > 1 ? " and " : "",
               o->ncand > 1 ? "the OpenID Connect locations" : "");
}

static void discover_as(oauth_t *o)
{
    oauth_clear_candidates(o);
    if (oauth_as_metadata_urls(o->issuer, o->cand, &o->ncand) != 0 || o->ncand == 0) {
        oauth_fail(o, BRIDGE_EINVAL, "the authorization server \"%s\" is not a valid issuer URL",
                   o->issuer);
        return;
    }
    if (oauth_run_fetch(o, "GET", o->cand[0], NULL, NULL, OAUTH_METADATA_MAX(o), on_as_metadata))
        oauth_fail(o, BRIDGE_ENOMEM, "out of memory");
}

/* 2025-03-26: no protected resource metadata. The MCP server's origin is the
 * authorization server; its metadata is optional and its issuer is not checked. */
static void on_legacy_metadata(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    int found = !res->rc && res->status == 200 && res->json;
    oauth_trace(o, OAUTH_TRACE_AS_METADATA, res->url, res->status, found,
                res->rc                        ? res->why
                : res->status == 200 && !found ? "not a JSON object"
                                               : NULL);
    if (found && use_as_metadata(o, res->json, 0, res->url)) {
        discovery_done(o);
        return;
    }
    char *base = NULL;
    oauth_legacy_base(o->server_url, &base);
    log_debug("no authorization server metadata at the server's origin; using %s/authorize, "
              "/token and /register",
              base ? base : "?");
    char *a = NULL, *t = NULL, *r = NULL;
    if (base) {
        oauth_legacy_default_endpoint(base, "authorize", &a);
        oauth_legacy_default_endpoint(base, "token", &t);
        oauth_legacy_default_endpoint(base, "register", &r);
    }
    free(o->authorization_endpoint);
    free(o->token_endpoint);
    free(o->registration_endpoint);
    o->authorization_endpoint = a;
    o->token_endpoint = t;
    o->registration_endpoint = r;
    oauth_set_str(&o->issuer, base);
    free(base);
    oauth_trace(o, OAUTH_TRACE_AS_DEFAULTS, o->issuer, 0, 1, NULL);
    discovery_done(o);
}

static void discover_legacy(oauth_t *o)
{
    o->legacy = 1;
    oauth_wipe_str(&o->resource);
    if (o->cfg.resource) oauth_set_str(&o->resource, o->cfg.resource);
    json_decref(o->as_meta);
    o->as_meta = NULL;
    char *base = NULL;
    if (oauth_legacy_base(o->server_url, &base) != 0) {
        oauth_fail(o, BRIDGE_EINVAL, "cannot build the authorization base URL of %s",
                   o->server_url);
        return;
    }
    oauth_set_str(&o->issuer, base);
    oauth_trace(o, OAUTH_TRACE_NO_PRM, base, 0, 1, NULL);
    size_t n = strlen(base) + sizeof "/.well-known/oauth-authorization-server";
    char *url = malloc(n);
    if (url) snprintf(url, n, "%s/.well-known/oauth-authorization-server", base);
    free(base);
    const char *headers[] = {"MCP-Protocol-Version: 2025-03-26", NULL};
    log_debug("no protected resource metadata; trying the 2025-03-26 discovery at %s",
              url ? url : "?");
    if (!url ||
        oauth_run_fetch(o, "GET", url, headers, NULL, OAUTH_METADATA_MAX(o), on_legacy_metadata))
        oauth_fail(o, BRIDGE_ENOMEM, "out of memory");
    free(url);
}

static void on_prm(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *url = o->cand[o->icand];
    const json_t *servers = json_object_get(res->json, "authorization_servers");
    int found = !res->rc && res->status == 200 && json_is_array(servers) &&
                json_array_size(servers) > 0 && json_is_string(json_array_get(servers, 0));
    oauth_trace(o, OAUTH_TRACE_PRM, url, res->status, found,
                res->rc                            ? res->why
                : res->status == 200 && !res->json ? "not a JSON object"
                : res->status == 200 && !found     ? "no authorization_servers"
                                                   : NULL);
    if (found) {
        const char *resource = json_str(res->json, "resource");
        int matches = !resource || oauth_prm_resource_matches(resource, o->server_url);
        oauth_trace(o, OAUTH_TRACE_RESOURCE, url, 0, matches, resource);
        if (!matches) {
            oauth_fail(
                o, BRIDGE_EPROTO,
                "the protected resource metadata at %s is for \"%s\", not for %s; refusing to "
                "sign in (a server may be trying to obtain a token for another resource)",
                url, resource, o->server_url);
            return;
        }
        log_debug("protected resource metadata at %s", url);
        oauth_set_str(&o->prm_url, url);
        char *canon = NULL;
        if (o->cfg.resource)
            oauth_set_str(&o->resource, o->cfg.resource);
        else if (resource)
            oauth_set_str(&o->resource, resource);
        else if (oauth_canonical_resource(o->server_url, &canon) == 0) {
            free(o->resource);
            o->resource = canon;
        }
        json_decref(o->prm_scopes);
        o->prm_scopes = json_incref(json_object_get(res->json, "scopes_supported"));
        o->dpop_required =
            json_is_true(json_object_get(res->json, "dpop_bound_access_tokens_required"));
        o->dpop_resource = json_array_has_str(
            json_object_get(res->json, "dpop_signing_alg_values_supported"), "ES256");
        const char *issuer = json_string_value(json_array_get(servers, 0));
        oauth_set_str(&o->issuer, issuer);
        o->legacy = 0;
        oauth_trace(o, OAUTH_TRACE_ISSUER, url, 0, 1, issuer);
        if (!oauth_endpoint_ok(o, issuer, "authorization server")) {
            oauth_fail(o, BRIDGE_EPROTO, "%s (named by %s)", o->refused, url);
            return;
        }
        discover_as(o);
        return;
    }
    log_debug("no protected resource metadata at %s (%s)", url,
              res->rc              ? res->why
              : res->status == 200 ? "no authorization_servers"
                                   : "HTTP error");
    if (++o->icand < o->ncand) {
        if (oauth_run_fetch(o, "GET", o->cand[o->icand], NULL, NULL, OAUTH_METADATA_MAX(o), on_prm))
            oauth_fail(o, BRIDGE_ENOMEM, "out of memory");
        return;
    }
    discover_legacy(o);
}

void oauth_discover(oauth_t *o)
{
    assert(o->running);
    oauth_clear_candidates(o);
    if (o->challenge.resource_metadata) {
        char *abs = NULL;
        int resolved = url_resolve(o->server_url, o->challenge.resource_metadata, &abs) == 0;
        if (!resolved || !oauth_endpoint_ok(o, abs, "resource metadata URL")) {
            if (!resolved)
                snprintf(o->refused, sizeof o->refused,
                         "the resource_metadata URL \"%.200s\" in the server's challenge is not a "
                         "URL",
                         o->challenge.resource_metadata);
            free(abs);
            oauth_fail(o, BRIDGE_EPROTO, "%s", o->refused);
            return;
        }
        o->cand[0] = abs;
        o->ncand = 1;
        oauth_trace(o, OAUTH_TRACE_PRM_HINT, abs, 0, 1, o->challenge.resource_metadata);
    } else if (oauth_prm_urls(o->server_url, o->cand, &o->ncand) != 0) {
        oauth_fail(o, BRIDGE_EINVAL, "cannot build the metadata URLs of %s", o->server_url);
        return;
    }
    if (oauth_run_fetch(o, "GET", o->cand[0], NULL, NULL, OAUTH_METADATA_MAX(o), on_prm))
        oauth_fail(o, BRIDGE_ENOMEM, "out of memory");
}
