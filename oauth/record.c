/* The stored records: one per server (tokens and how to refresh them), named by
 * what the token is for; one client registration per authorization server.
 * Reading, writing and parsing them; the store's calls are asynchronous. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/browser.h"
#include "oauth/token.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An asynchronous store read that survives oauth_free: the callback is skipped
 * (and the secret wiped) when the flow is gone, or its run was cancelled, by the
 * time the store answers. */
typedef struct store_call {
    oauth_t *o;
    keychain_cb cb;
} store_call_t;

/* "name-<first 32 hex digits of SHA-256(a \n b)>": a store name from URLs. */
static void store_name(char *out, size_t n, const char *prefix, const char *a, const char *b)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, a, strlen(a));
    if (b) {
        EVP_DigestUpdate(ctx, "\n", 1);
        EVP_DigestUpdate(ctx, b, strlen(b));
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    int w = snprintf(out, n, "%s-", prefix);
    for (int i = 0; i < 16 && (size_t)w + 2 < n; i++)
        w += snprintf(out + w, n - (size_t)w, "%02x", md[i]);
}

static void on_store_answer(void *ud, int rc, char *secret)
{
    store_call_t *c = ud;
    oauth_t *o = c->o;
    keychain_cb cb = c->cb;
    free(c);
    o->store_ops--;
    if (o->dead || !o->running) { /* freed, or the run was cancelled: nobody waits */
        if (secret) {
            OPENSSL_cleanse(secret, strlen(secret));
            free(secret);
        }
        if (o->dead) oauth_free_if_idle(o);
        return;
    }
    cb(o, rc, secret);
}

int oauth_store_get(oauth_t *o, const char *name, keychain_cb cb)
{
    store_call_t *c = malloc(sizeof *c);
    if (!c) return BRIDGE_ENOMEM;
    c->o = o;
    c->cb = cb;
    if (keychain_get_async(o->cfg.store, o->cfg.loop, name, on_store_answer, c) != 0) {
        free(c);
        return BRIDGE_ENOMEM;
    }
    o->store_ops++;
    return 0;
}

static void on_tokens_saved(void *ud, int rc, char *secret)
{
    oauth_t *o = ud;
    (void)rc; /* a failure is logged by the store, once */
    if (--o->saves_pending == 0 && !o->running) oauth_release_lock(o);
    if (o->dead) oauth_free_if_idle(o);
}

void oauth_save_tokens(oauth_t *o)
{
    if (!o->cfg.store) return;
    json_t *doc = json_pack("{s:i, s:s}", "version", 1, "server", o->server_url);
    if (!doc) return;
#define PUT(k, v)                                                                                  \
    if (v) json_object_set_new(doc, k, json_string(v))
    PUT("issuer", o->issuer);
    PUT("resource", o->resource);
    PUT("token_endpoint", o->token_endpoint);
    /* Only an endpoint we would send tokens to: `logout` checks again. */
    const char *revocation = json_str(o->as_meta, "revocation_endpoint");
    if (revocation && !oauth_browser_url_ok(revocation, o->cfg.allow_http)) revocation = NULL;
    PUT("revocation_endpoint", revocation);
    PUT("client_id", o->client_id);
    PUT("client_secret", o->client_secret);
    PUT("token_endpoint_auth_method", o->auth_method);
    PUT("access_token", o->access_token);
    PUT("refresh_token", o->refresh_token);
    PUT("id_token", o->id_token);
    PUT("scope", o->granted_scope);
    PUT("redirect_uri", o->kept_redirect_uri);
    PUT("token_type", o->dpop_token ? "DPoP" : NULL);
#undef PUT
    if (oauth_dpop_key_to_record(o, doc) != 0) {
        json_decref(doc); /* a DPoP-bound token is of no use without its key */
        return;
    }
    json_t *purpose = oauth_record_purpose(&o->cfg);
    if (purpose) json_object_set_new(doc, "for", purpose);
    if (o->expires_at)
        json_object_set_new(doc, "expires_at", json_integer((json_int_t)o->expires_at));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) return;
    char name[64], label[512];
    oauth_record_name(&o->cfg, name, sizeof name);
    snprintf(label, sizeof label, "mcp-bridge: sign-in to %s", o->server_url);
    /* The lock is held until this write has landed: the next bridge to take it
     * reads the store and must find these tokens (and not a used refresh token). */
    if (keychain_put_async(o->cfg.store, o->cfg.loop, name, label, "tokens", o->server_url, text,
                           on_tokens_saved, o) == 0)
        o->saves_pending++;
    OPENSSL_cleanse(text, strlen(text));
    free(text);
}

/* Take what a stored record says. Returns 1 when it held tokens. */
int oauth_apply_record(oauth_t *o, const char *text)
{
    assert(text);
    json_t *doc = json_loads(text, 0, NULL);
    if (!json_is_object(doc) || !json_str(doc, "server") ||
        strcmp(json_str(doc, "server"), o->server_url)) {
        json_decref(doc);
        return 0;
    }
    static const char *const token_keys[] = {"access_token", "refresh_token", "id_token"};
    for (size_t i = 0; i < sizeof token_keys / sizeof token_keys[0]; i++) {
        const char *v = json_str(doc, token_keys[i]);
        if (v && !oauth_token_printable(v)) {
            log_error("the stored sign-in for %s has a %s that is not a printable token (in "
                      "%s); it is ignored and you will be asked to sign in again",
                      o->server_url, token_keys[i], keychain_where(o->cfg.store));
            json_decref(doc);
            return 0;
        }
    }
    oauth_set_str(&o->issuer, json_str(doc, "issuer"));
    oauth_set_str(&o->record_issuer, json_str(doc, "issuer"));
    oauth_set_str(&o->resource, json_str(doc, "resource"));
    oauth_set_str(&o->token_endpoint, json_str(doc, "token_endpoint"));
    oauth_set_str(&o->revocation_endpoint, json_str(doc, "revocation_endpoint"));
    if (!o->client_static) {
        oauth_set_str(&o->client_id, json_str(doc, "client_id"));
        oauth_set_str(&o->client_secret, json_str(doc, "client_secret"));
        oauth_set_str(&o->auth_method, json_str(doc, "token_endpoint_auth_method"));
    }
    oauth_wipe_str(&o->access_token);
    oauth_wipe_str(&o->refresh_token);
    o->access_token = json_str(doc, "access_token") ? strdup(json_str(doc, "access_token")) : NULL;
    o->refresh_token =
        json_str(doc, "refresh_token") ? strdup(json_str(doc, "refresh_token")) : NULL;
    oauth_wipe_str(&o->id_token);
    o->id_token = json_str(doc, "id_token") ? strdup(json_str(doc, "id_token")) : NULL;
    oauth_set_str(&o->granted_scope, json_str(doc, "scope"));
    oauth_set_str(&o->kept_redirect_uri, o->client_static ? NULL : json_str(doc, "redirect_uri"));
    json_t *exp = json_object_get(doc, "expires_at");
    o->expires_at = json_is_integer(exp) ? (time_t)json_integer_value(exp) : 0;
    o->lifetime = 0;
    oauth_dpop_key_from_record(o, doc);
    const char *type = json_str(doc, "token_type");
    o->dpop_token = o->dpop_key && type && !strcmp(type, "DPoP");
    json_decref(doc);
    oauth_set_tokens_header(o);
    return o->access_token || o->refresh_token;
}

void oauth_drop_tokens(oauth_t *o)
{
    oauth_wipe_str(&o->access_token);
    oauth_wipe_str(&o->refresh_token);
    o->expires_at = 0;
    o->dpop_token = 0;
    oauth_dpop_forget_key(o); /* the next sign-in is another credential: another key */
    oauth_set_tokens_header(o);
}

void oauth_save_registration(oauth_t *o)
{
    if (!o->cfg.store || o->client_static || o->client_cimd || !o->issuer) return;
    json_t *doc =
        json_pack("{s:s, s:s, s:s?, s:s?, s:s?}", "issuer", o->issuer, "client_id", o->client_id,
                  "client_secret", o->client_secret, "token_endpoint_auth_method", o->auth_method,
                  "redirect_uri", o->redirect_uri);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) return;
    char name[64], label[512];
    oauth_client_record_name(o->issuer, name, sizeof name);
    snprintf(label, sizeof label, "mcp-bridge: client registration at %s", o->issuer);
    keychain_put_async(o->cfg.store, o->cfg.loop, name, label, "client", o->issuer, text, NULL,
                       NULL);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
}

void oauth_drop_registration(oauth_t *o)
{
    if (o->cfg.store && o->issuer) {
        char name[64];
        oauth_client_record_name(o->issuer, name, sizeof name);
        keychain_delete_async(o->cfg.store, o->cfg.loop, name, NULL, NULL);
    }
    if (!o->client_static) {
        oauth_wipe_str(&o->client_id);
        oauth_wipe_str(&o->client_secret);
        oauth_set_str(&o->auth_method, NULL);
    }
}

/* Authorization parameters that only shape the sign-in page, not the grant. */
static int param_shapes_grant(const char *kv)
{
    static const char *const page_only[] = {"prompt",  "login_hint",    "ui_locales",    "display",
                                            "max_age", "id_token_hint", "claims_locales"};
    size_t klen = strcspn(kv, "=");
    for (size_t i = 0; i < sizeof page_only / sizeof page_only[0]; i++)
        if (strlen(page_only[i]) == klen && !strncmp(kv, page_only[i], klen)) return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *oauth_record_purpose(const oauth_config_t *cfg)
{
    json_t *p = json_object();
    if (!p) return NULL;
    if (cfg->disable_resource)
        json_object_set_new(p, "resource", json_false());
    else if (cfg->resource && *cfg->resource)
        json_object_set_new(p, "resource", json_string(cfg->resource));
    if (cfg->scope) json_object_set_new(p, "scope", json_string(cfg->scope));
    if (cfg->token_endpoint)
        json_object_set_new(p, "token_endpoint", json_string(cfg->token_endpoint));
    const char **params =
        cfg->authorize_params_len ? malloc(cfg->authorize_params_len * sizeof *params) : NULL;
    size_t np = 0;
    for (size_t i = 0; params && i < cfg->authorize_params_len; i++)
        if (param_shapes_grant(cfg->authorize_params[i])) params[np++] = cfg->authorize_params[i];
    if (np) {
        /* Sorted: the order on the command line changes nothing. */
        qsort(params, np, sizeof *params, cmp_str);
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < np; i++)
            json_array_append_new(arr, json_string(params[i]));
        json_object_set_new(p, "authorize_params", arr);
    }
    free(params);
    if (json_object_size(p) == 0) {
        json_decref(p);
        return NULL;
    }
    return p;
}

void oauth_record_name_for(const char *server_url, const json_t *purpose, char *out, size_t n)
{
    char *text =
        json_object_size(purpose) ? json_dumps(purpose, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    /* Nothing but the URL: the name records have always had, so an upgrade
     * finds what was stored before. */
    store_name(out, n, "server", server_url, text);
    free(text);
}

void oauth_record_name(const oauth_config_t *cfg, char *out, size_t n)
{
    json_t *p = oauth_record_purpose(cfg);
    oauth_record_name_for(cfg->server_url, p, out, n);
    json_decref(p);
}

void oauth_client_record_name(const char *issuer, char *out, size_t n)
{
    store_name(out, n, "client", issuer, NULL);
}

/* The record of a sign-in at an enterprise IdP: its ID token and refresh
 * token, one per IdP issuer and client. */
void oauth_idp_record_name(const char *issuer, const char *client_id, char *out, size_t n)
{
    store_name(out, n, "idp", issuer, client_id);
}

void oauth_save_idp_tokens(oauth_t *o, const char *id_token, const char *refresh_token)
{
    assert(o->cfg.idp_issuer && o->cfg.idp_client_id);
    if (!o->cfg.store) return;
    json_t *doc = json_pack("{s:i, s:s, s:s}", "version", 1, "idp_issuer", o->cfg.idp_issuer,
                            "client_id", o->cfg.idp_client_id);
    if (!doc) return;
    if (id_token) json_object_set_new(doc, "id_token", json_string(id_token));
    if (refresh_token) json_object_set_new(doc, "refresh_token", json_string(refresh_token));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) return;
    char name[64], label[512];
    oauth_idp_record_name(o->cfg.idp_issuer, o->cfg.idp_client_id, name, sizeof name);
    snprintf(label, sizeof label, "mcp-bridge: sign-in at the IdP %s", o->cfg.idp_issuer);
    if (keychain_put_async(o->cfg.store, o->cfg.loop, name, label, "tokens", o->cfg.idp_issuer,
                           text, on_tokens_saved, o) == 0)
        o->saves_pending++;
    OPENSSL_cleanse(text, strlen(text));
    free(text);
}
