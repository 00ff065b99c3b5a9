/* The OAuth flow: one run at a time, driven by the relay's 401/403. Discovery
 * (RFC 9728 protected resource metadata, RFC 8414 / OpenID authorization server
 * metadata, the 2025-03-26 fallbacks), client registration (pre-registered,
 * client ID metadata document, RFC 7591), authorization code with PKCE through a
 * loopback redirect, token exchange, refresh, storage. Each step is a callback
 * of the one before. */
#include "oauth/oauth.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/base/url.h"
#include "oauth/browser.h"
#include "oauth/callback.h"
#include "oauth/fetch.h"
#include "oauth/lock.h"
#include "oauth/mcp_remote.h"
#include "oauth/pkce.h"
#include "oauth/scope.h"
#include "oauth/token.h"
#include "oauth/wellknown.h"
#include "oauth/www_auth.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define METADATA_MAX (o->cfg.metadata_max ? o->cfg.metadata_max : 1024 * 1024)
#define TOKEN_RESPONSE_MAX (256 * 1024)
#define REFRESH_MARGIN_S 60 /* refresh this long before expiry, or a quarter of the lifetime */
#define DEFAULT_AUTH_TIMEOUT_S 300

typedef struct waiter {
    struct waiter *next;
    oauth_done_cb cb;
    void *ud;
} waiter_t;

struct oauth {
    oauth_config_t cfg;
    char *server_url;

    /* Tokens. */
    char *access_token, *refresh_token, *granted_scope, *id_token;
    char *device_code; /* RFC 8628, while polling */
    long device_interval;
    time_t device_deadline;
    time_t expires_at; /* 0: unknown */
    long lifetime;     /* expires_in of the last token response, 0 when unknown */
    char *header;
    unsigned generation;

    /* Discovery. */
    int discovered, legacy;
    char *prm_url;  /* the PRM document used */
    char *resource; /* RFC 8707 value to send, or NULL */
    json_t *prm_scopes;
    char *issuer;
    json_t *as_meta;
    char *authorization_endpoint, *token_endpoint, *registration_endpoint, *revocation_endpoint;
    char refused[400]; /* why endpoint_ok() refused the last endpoint */

    /* Client. */
    char *client_id, *client_secret, *auth_method, *redirect_uri;
    char *kept_redirect_uri; /* the stored client's own (an import's): used as it is */
    char *record_issuer;     /* the authorization server the stored sign-in is from */
    char *registered_scope;  /* the scope in the AS's registration answer */
    int client_static, client_cimd, registered_now;
    json_t *static_metadata;

    /* The run in progress. */
    int running;
    waiter_t *waiters;
    oauth_challenge_t challenge;
    long status;
    char *requested_scope;
    char *cand[4];
    size_t ncand, icand;
    oauth_callback_t *listener;
    char verifier[OAUTH_PKCE_VERIFIER_LEN + 1];
    char state[OAUTH_STATE_LEN + 1];
    int tried_reregister, refresh_after_discovery;

    /* Single flight across processes, and the store's asynchronous calls. */
    enum { PLAN_LOAD, PLAN_REAUTH, PLAN_STEPUP, PLAN_REFRESH } plan;
    char *token_at_start; /* the access token when the run began */
    int lock_fd;
    uv_timer_t lock_timer;
    uint64_t lock_wait_started;
    int lock_waiting_said;
    int store_ops;     /* asynchronous store calls in flight */
    int saves_pending; /* token writes not yet landed: the lock waits for them */
    int dead;          /* oauth_free was called; freed when the last of them returns */
    int timer_closed;
};

static void full_flow(oauth_t *o);

/* How long before expiry to refresh: a minute, but at most a quarter of the
 * token's lifetime, so that short-lived tokens are used before being renewed. */
static long refresh_margin(const oauth_t *o)
{
    long lifetime = o->lifetime;
    if (lifetime <= 0 && o->expires_at) {
        /* From the store: what is left is the best guess of the lifetime. */
        lifetime = (long)(o->expires_at - time(NULL));
    }
    if (lifetime > 0 && lifetime / 4 < REFRESH_MARGIN_S) return lifetime / 4;
    return REFRESH_MARGIN_S;
}
static const char *pick_auth_method(oauth_t *o, int have_secret);
static void release_lock(oauth_t *o);
static void discover_as(oauth_t *o);
static void choose_client(oauth_t *o);
static void authorize(oauth_t *o);

/* ---- small helpers ---------------------------------------------------------------- */

static void set_str(char **slot, const char *v)
{
    char *n = v ? strdup(v) : NULL;
    free(*slot);
    *slot = n;
}

static void wipe_str(char **slot)
{
    if (*slot) {
        OPENSSL_cleanse(*slot, strlen(*slot));
        free(*slot);
        *slot = NULL;
    }
}

static const char *jstr(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static int json_array_has(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i,
                       v) if (json_is_string(v) && !strcmp(json_string_value(v), s)) return 1;
    return 0;
}

static void clear_candidates(oauth_t *o)
{
    for (size_t i = 0; i < o->ncand; i++)
        free(o->cand[i]);
    o->ncand = o->icand = 0;
}

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

/* An OAuth endpoint we are about to use: https, or http to loopback (or with
 * --allow-http). When not, o->refused says why, for the failure to report. */
static int endpoint_ok(oauth_t *o, const char *url, const char *what)
{
    if (url && oauth_browser_url_ok(url, o->cfg.allow_http)) return 1;
    snprintf(o->refused, sizeof o->refused,
             "refusing the %s \"%.200s\": OAuth endpoints must be https:// (http:// only on "
             "loopback, or with --allow-http)",
             what, url ? url : "(missing)");
    return 0;
}

/* ---- the run ---------------------------------------------------------------------- */

static void set_tokens_header(oauth_t *o)
{
    wipe_str(&o->header);
    /* --use-id-token: the server wants the OpenID Connect ID token instead. */
    const char *cred = o->cfg.use_id_token && o->id_token ? o->id_token : o->access_token;
    if (cred) {
        size_t n = strlen(cred) + sizeof "Authorization: Bearer ";
        o->header = malloc(n);
        if (o->header) snprintf(o->header, n, "Authorization: Bearer %s", cred);
    }
    o->generation++;
}

static void finish(oauth_t *o, int rc, const char *why)
{
    if (o->listener) {
        oauth_callback_close(o->listener);
        o->listener = NULL;
    }
    OPENSSL_cleanse(o->verifier, sizeof o->verifier);
    clear_candidates(o);
    oauth_challenge_free(&o->challenge);
    release_lock(o);
    o->running = 0;
    /* Not logged here: every waiter reports the failure, once, in its own words. */
    waiter_t *w = o->waiters;
    o->waiters = NULL;
    while (w) {
        waiter_t *next = w->next;
        w->cb(w->ud, rc, why);
        free(w);
        w = next;
    }
}

static void failf(oauth_t *o, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void failf(oauth_t *o, int rc, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    finish(o, rc, why);
}

static int add_waiter(oauth_t *o, oauth_done_cb cb, void *ud)
{
    waiter_t *w = calloc(1, sizeof *w);
    if (!w) return BRIDGE_ENOMEM;
    w->cb = cb;
    w->ud = ud;
    waiter_t **pp = &o->waiters;
    while (*pp)
        pp = &(*pp)->next;
    *pp = w;
    return 0;
}

/* An asynchronous store read that survives oauth_free: the callback is skipped
 * (and the secret wiped) when the flow is gone by the time the store answers. */
typedef struct store_call {
    oauth_t *o;
    keychain_cb cb;
} store_call_t;

static void really_free(oauth_t *o);

static void on_store_answer(void *ud, int rc, char *secret)
{
    store_call_t *c = ud;
    oauth_t *o = c->o;
    keychain_cb cb = c->cb;
    free(c);
    o->store_ops--;
    if (o->dead) {
        if (secret) {
            OPENSSL_cleanse(secret, strlen(secret));
            free(secret);
        }
        if (o->store_ops == 0 && o->saves_pending == 0 && o->timer_closed) really_free(o);
        return;
    }
    cb(o, rc, secret);
}

static int store_get(oauth_t *o, const char *name, keychain_cb cb)
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

/* ---- storage ------------------------------------------------------------------------ */

/* The store names: one record per server (tokens and how to refresh them), one
 * client registration per authorization server. */
static void server_record_name(const oauth_t *o, char *out, size_t n)
{
    oauth_record_name(&o->cfg, out, n);
}

static void on_tokens_saved(void *ud, int rc, char *secret)
{
    oauth_t *o = ud;
    (void)rc; /* a failure is logged by the store, once */
    if (--o->saves_pending == 0 && !o->running) release_lock(o);
    if (o->dead && o->saves_pending == 0 && o->store_ops == 0 && o->timer_closed) really_free(o);
}

static void save_tokens(oauth_t *o)
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
    const char *revocation = jstr(o->as_meta, "revocation_endpoint");
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
#undef PUT
    json_t *purpose = oauth_record_purpose(&o->cfg);
    if (purpose) json_object_set_new(doc, "for", purpose);
    if (o->expires_at)
        json_object_set_new(doc, "expires_at", json_integer((json_int_t)o->expires_at));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) return;
    char name[64], label[512];
    server_record_name(o, name, sizeof name);
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
static int apply_record(oauth_t *o, const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    if (!json_is_object(doc) || !jstr(doc, "server") ||
        strcmp(jstr(doc, "server"), o->server_url)) {
        json_decref(doc);
        return 0;
    }
    static const char *const token_keys[] = {"access_token", "refresh_token", "id_token"};
    for (size_t i = 0; i < sizeof token_keys / sizeof token_keys[0]; i++) {
        const char *v = jstr(doc, token_keys[i]);
        if (v && !oauth_token_printable(v)) {
            log_error("the stored sign-in for %s has a %s that is not a printable token (in "
                      "%s); it is ignored and you will be asked to sign in again",
                      o->server_url, token_keys[i], keychain_where(o->cfg.store));
            json_decref(doc);
            return 0;
        }
    }
    set_str(&o->issuer, jstr(doc, "issuer"));
    set_str(&o->record_issuer, jstr(doc, "issuer"));
    set_str(&o->resource, jstr(doc, "resource"));
    set_str(&o->token_endpoint, jstr(doc, "token_endpoint"));
    set_str(&o->revocation_endpoint, jstr(doc, "revocation_endpoint"));
    if (!o->client_static) {
        set_str(&o->client_id, jstr(doc, "client_id"));
        set_str(&o->client_secret, jstr(doc, "client_secret"));
        set_str(&o->auth_method, jstr(doc, "token_endpoint_auth_method"));
    }
    wipe_str(&o->access_token);
    wipe_str(&o->refresh_token);
    o->access_token = jstr(doc, "access_token") ? strdup(jstr(doc, "access_token")) : NULL;
    o->refresh_token = jstr(doc, "refresh_token") ? strdup(jstr(doc, "refresh_token")) : NULL;
    wipe_str(&o->id_token);
    o->id_token = jstr(doc, "id_token") ? strdup(jstr(doc, "id_token")) : NULL;
    set_str(&o->granted_scope, jstr(doc, "scope"));
    set_str(&o->kept_redirect_uri, o->client_static ? NULL : jstr(doc, "redirect_uri"));
    json_t *exp = json_object_get(doc, "expires_at");
    o->expires_at = json_is_integer(exp) ? (time_t)json_integer_value(exp) : 0;
    o->lifetime = 0;
    json_decref(doc);
    set_tokens_header(o);
    return o->access_token || o->refresh_token;
}

static void drop_tokens(oauth_t *o)
{
    wipe_str(&o->access_token);
    wipe_str(&o->refresh_token);
    o->expires_at = 0;
    set_tokens_header(o);
}

static void save_registration(oauth_t *o)
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
    store_name(name, sizeof name, "client", o->issuer, NULL);
    snprintf(label, sizeof label, "mcp-bridge: client registration at %s", o->issuer);
    keychain_put_async(o->cfg.store, o->cfg.loop, name, label, "client", o->issuer, text, NULL,
                       NULL);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
}

static void drop_registration(oauth_t *o)
{
    if (o->cfg.store && o->issuer) {
        char name[64];
        store_name(name, sizeof name, "client", o->issuer, NULL);
        keychain_delete_async(o->cfg.store, o->cfg.loop, name, NULL, NULL);
    }
    if (!o->client_static) {
        wipe_str(&o->client_id);
        wipe_str(&o->client_secret);
        set_str(&o->auth_method, NULL);
    }
}

/* ---- token endpoint -------------------------------------------------------------------- */

static int token_request(oauth_t *o, buf_t *form, oauth_fetch_cb cb)
{
    const char *headers[3] = {"Content-Type: application/x-www-form-urlencoded", NULL, NULL};
    char *basic = NULL;
    if (!endpoint_ok(o, o->token_endpoint, "token endpoint")) { /* never send secrets there */
        buf_free_secret(form);
        return BRIDGE_EPROTO;
    }
    int rc = oauth_token_client_auth(form, o->client_id, o->client_secret, o->auth_method, &basic);
    if (!rc && o->resource && !o->cfg.disable_resource)
        rc = oauth_form_add(form, "resource", o->resource);
    if (!rc && basic) headers[1] = basic;
    if (!rc)
        rc = oauth_fetch(o->cfg.http, "POST", o->token_endpoint, headers, form->data,
                         TOKEN_RESPONSE_MAX, cb, o);
    wipe_str(&basic);
    buf_free_secret(form);
    return rc;
}

/* Why token_request failed. */
static const char *request_failure(const oauth_t *o, int rc)
{
    if (rc != BRIDGE_EPROTO) return "out of memory";
    return o->refused[0] ? o->refused : "the token endpoint is refused";
}

static int apply_token_response(oauth_t *o, const oauth_fetch_result_t *res, char *why, size_t n)
{
    oauth_token_t t;
    int rc = oauth_token_parse(res->json, &t, why, n);
    if (rc) return rc;
    wipe_str(&o->access_token);
    o->access_token = t.access_token;
    if (t.id_token) { /* a refresh may or may not bring a new one */
        wipe_str(&o->id_token);
        o->id_token = t.id_token;
        t.id_token = NULL;
    }
    if (t.refresh_token) { /* a rotated refresh token replaces the old one */
        wipe_str(&o->refresh_token);
        o->refresh_token = t.refresh_token;
    }
    if (t.scope) {
        free(o->granted_scope);
        o->granted_scope = t.scope;
    } else if (o->requested_scope) {
        set_str(&o->granted_scope, o->requested_scope);
    }
    o->expires_at = t.expires_in > 0 ? time(NULL) + t.expires_in : 0;
    o->lifetime = t.expires_in;
    set_tokens_header(o);
    save_tokens(o);
    return 0;
}

/* The part every token-endpoint answer shares. Returns 1 when the run ended
 * here: the exchange failed, or a 2xx answer was taken (`done` is logged) or,
 * with `strict`, refused as unusable. Returns 0 for the caller to handle an
 * error answer, or (not strict) an unusable 2xx whose reason is in `why`. */
static int token_answer(oauth_t *o, const oauth_fetch_result_t *res, const char *doing,
                        const char *done, int strict, char *why, size_t n)
{
    why[0] = 0;
    if (res->rc) {
        failf(o, res->rc, "%s at %s failed: %s", doing, o->token_endpoint, res->why);
        return 1;
    }
    if (res->status < 200 || res->status >= 300) return 0;
    if (apply_token_response(o, res, why, n) == 0) {
        log_info("%s", done);
        finish(o, 0, NULL);
        return 1;
    }
    if (!strict) return 0;
    failf(o, BRIDGE_EPROTO, "the token endpoint %s answered with %s", o->token_endpoint, why);
    return 1;
}

static void on_refreshed(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char why[512];
    if (token_answer(o, res, "refreshing the token", "access token refreshed", 0, why, sizeof why))
        return;
    const char *err = jstr(res->json, "error");
    if (res->status >= 200 && res->status < 300)
        log_error("the token endpoint %s answered the refresh with an unusable response: %s",
                  o->token_endpoint, why);
    else
        log_info("refresh refused by %s (HTTP %ld%s%s); signing in again", o->token_endpoint,
                 res->status, err ? ", " : "", err ? err : "");
    /* invalid_grant (or anything else): the refresh token is of no more use. */
    drop_tokens(o);
    save_tokens(o);
    if (err && (!strcmp(err, "invalid_client") || !strcmp(err, "unauthorized_client")))
        drop_registration(o);
    full_flow(o);
}

static void discover(oauth_t *o);

/* RFC 6749 §4.4: a client acting for itself, no browser. */
static void on_client_credentials(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char why[512], done[600];
    snprintf(done, sizeof done, "obtained a token for %s with the client credentials grant",
             o->server_url);
    if (token_answer(o, res, "the token request", done, 1, why, sizeof why)) return;
    const char *err = jstr(res->json, "error"), *desc = jstr(res->json, "error_description");
    failf(o, BRIDGE_EHTTP,
          "the token endpoint %s refused the client credentials (HTTP %ld%s%.100s%s%.300s)",
          o->token_endpoint, res->status, err ? ": " : "", err ? err : "", desc ? " - " : "",
          desc ? desc : "");
}

static void client_credentials_grant(oauth_t *o)
{
    if (!endpoint_ok(o, o->token_endpoint, "token endpoint")) {
        failf(o, BRIDGE_EPROTO, "%s", o->refused);
        return;
    }
    if (!o->auth_method) set_str(&o->auth_method, pick_auth_method(o, o->client_secret != NULL));
    const char *scope = o->cfg.scope ? o->cfg.scope : jstr(o->static_metadata, "scope");
    char *selected = NULL;
    if (!scope) {
        oauth_select_scope(o->challenge.scope, o->prm_scopes, NULL, &selected);
        scope = selected;
    }
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = oauth_form_add(&form, "grant_type", "client_credentials");
    if (!rc && scope && *scope) rc = oauth_form_add(&form, "scope", scope);
    free(selected);
    log_debug("requesting a token with the client credentials grant at %s", o->token_endpoint);
    if (!rc) rc = token_request(o, &form, on_client_credentials);
    if (rc) failf(o, rc, "cannot request a token: %s", request_failure(o, rc));
}

static void start_refresh(oauth_t *o)
{
    if (o->cfg.client_credentials && !o->refresh_token) {
        full_flow(o); /* nothing to refresh with: ask again */
        return;
    }
    if (o->refresh_token && o->client_id && !o->token_endpoint && !o->discovered) {
        /* A refresh token given from outside (--refresh-token-file, import):
         * find the token endpoint first. */
        o->refresh_after_discovery = 1;
        discover(o);
        return;
    }
    if (o->token_endpoint && !o->discovered &&
        !oauth_browser_url_ok(o->token_endpoint, o->cfg.allow_http)) {
        /* Stored by a run with --allow-http, or imported: this run's policy
         * decides. Ask the server where its token endpoint is now. */
        log_info("the stored token endpoint %s is not https; looking up the current one",
                 o->token_endpoint);
        set_str(&o->token_endpoint, NULL);
        if (o->refresh_token && o->client_id) {
            o->refresh_after_discovery = 1;
            discover(o);
        } else {
            full_flow(o);
        }
        return;
    }
    if (!o->token_endpoint || !o->client_id || !o->refresh_token) {
        full_flow(o);
        return;
    }
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = oauth_form_add(&form, "grant_type", "refresh_token");
    if (!rc) rc = oauth_form_add(&form, "refresh_token", o->refresh_token);
    log_debug("refreshing the access token at %s", o->token_endpoint);
    if (!rc) rc = token_request(o, &form, on_refreshed);
    if (rc) failf(o, rc, "cannot refresh the token: %s", request_failure(o, rc));
}

static void on_code_exchanged(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char why[512], done[600];
    snprintf(done, sizeof done, "signed in to %s", o->server_url);
    if (token_answer(o, res, "the token request", done, 1, why, sizeof why)) return;
    const char *err = jstr(res->json, "error"), *desc = jstr(res->json, "error_description");
    if (err && !strcmp(err, "invalid_client") && !o->client_static && !o->client_cimd &&
        o->registration_endpoint && !o->tried_reregister) {
        /* The AS forgot our registration: register again and sign in again. */
        log_info("%s no longer knows client %s; registering again", o->token_endpoint,
                 o->client_id);
        o->tried_reregister = 1;
        drop_registration(o);
        choose_client(o);
        return;
    }
    failf(o, BRIDGE_EHTTP,
          "the token endpoint %s refused the authorization code (HTTP %ld%s%.100s%s%.300s)",
          o->token_endpoint, res->status, err ? ": " : "", err ? err : "", desc ? " - " : "",
          desc ? desc : "");
}

/* ---- authorization ----------------------------------------------------------------------- */

static void on_redirect(void *ud, int rc, const char *code, const char *iss, const char *why)
{
    oauth_t *o = ud;
    oauth_callback_close(o->listener);
    o->listener = NULL;
    if (rc == BRIDGE_ETIMEOUT) {
        long limit = o->cfg.auth_timeout_s > 0 ? o->cfg.auth_timeout_s : DEFAULT_AUTH_TIMEOUT_S;
        failf(o, rc,
              "no sign-in came back within %ld second%s (--auth-timeout %ld); finish the sign-in "
              "in the browser sooner, or start with a larger --auth-timeout",
              limit, limit == 1 ? "" : "s", limit);
        return;
    }
    if (rc) {
        failf(o, rc, "%s", why);
        return;
    }
    /* RFC 9207: when the AS says it sends iss, it must be ours. */
    json_t *iss_supported =
        json_object_get(o->as_meta, "authorization_response_iss_parameter_supported");
    if ((iss && o->issuer && !o->legacy && strcmp(iss, o->issuer) != 0) ||
        (!iss && json_is_true(iss_supported))) {
        failf(o, BRIDGE_EPROTO, "the sign-in redirect names issuer \"%s\", not %s; refused",
              iss ? iss : "(none)", o->issuer);
        return;
    }
    buf_t form;
    buf_init_secret(&form, 0);
    int e = oauth_form_add(&form, "grant_type", "authorization_code");
    if (!e) e = oauth_form_add(&form, "code", code);
    if (!e) e = oauth_form_add(&form, "redirect_uri", o->redirect_uri);
    if (!e) e = oauth_form_add(&form, "code_verifier", o->verifier);
    log_debug("exchanging the authorization code at %s", o->token_endpoint);
    if (!e) e = token_request(o, &form, on_code_exchanged);
    if (e) failf(o, e, "cannot exchange the code: %s", request_failure(o, e));
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
    const char *kv[][2] = {
        {"response_type", "code"},
        {"client_id", o->client_id},
        {"redirect_uri", o->redirect_uri},
        {"code_challenge", challenge},
        {"code_challenge_method", "S256"},
        {"state", o->state},
        {"scope", scope},
        {"resource", o->cfg.disable_resource ? NULL : o->resource},
        {"prompt", consent ? "consent" : NULL},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0] && !rc; i++) {
        if (!kv[i][1]) continue;
        size_t n = strlen(kv[i][0]) + strlen(kv[i][1]) + 2;
        char *pair = malloc(n);
        if (!pair) {
            rc = BRIDGE_ENOMEM;
            break;
        }
        snprintf(pair, n, "%s=%s", kv[i][0], kv[i][1]);
        if (curl_url_set(h, CURLUPART_QUERY, pair, CURLU_APPENDQUERY | CURLU_URLENCODE) !=
            CURLUE_OK)
            rc = BRIDGE_EINVAL;
        free(pair);
    }
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

/* ---- the device authorization grant (RFC 8628) ---------------------------------------- */

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
    if (token_answer(o, res, "polling for the token", done, 1, why, sizeof why)) {
        wipe_str(&o->device_code); /* used once, whatever came of it */
        return;
    }
    const char *err = jstr(res->json, "error");
    if (err && (!strcmp(err, "authorization_pending") || !strcmp(err, "slow_down"))) {
        if (!strcmp(err, "slow_down")) o->device_interval += 5;
        if (time(NULL) >= o->device_deadline) {
            failf(o, BRIDGE_ETIMEOUT, "the code was not approved in time; start again");
            return;
        }
        uv_timer_start(&o->lock_timer, on_device_timer, (uint64_t)o->device_interval * 1000, 0);
        return;
    }
    failf(o, BRIDGE_EHTTP, "the device sign-in ended: %s",
          err ? err : "the token endpoint refused it");
}

static void device_poll(oauth_t *o)
{
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = oauth_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
    if (!rc) rc = oauth_form_add(&form, "device_code", o->device_code);
    if (!rc) rc = token_request(o, &form, on_device_token);
    if (rc) failf(o, rc, "cannot poll for the token: %s", request_failure(o, rc));
}

static void on_device_authorized(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *code = jstr(res->json, "device_code"), *user = jstr(res->json, "user_code");
    const char *uri = jstr(res->json, "verification_uri");
    if (!uri) uri = jstr(res->json, "verification_url"); /* an older spelling */
    const char *complete = jstr(res->json, "verification_uri_complete");
    if (res->rc || res->status < 200 || res->status >= 300 || !code || !user || !uri) {
        const char *err = jstr(res->json, "error_description");
        if (!err) err = jstr(res->json, "error");
        failf(o, BRIDGE_EHTTP, "the device authorization request was refused (%s)",
              res->rc ? res->why
              : err   ? err
                      : "no device_code, user_code or verification_uri");
        return;
    }
    if (!oauth_browser_url_ok(uri, o->cfg.allow_http)) {
        failf(o, BRIDGE_EPROTO, "the verification URI \"%s\" is not an https URL", uri);
        return;
    }
    set_str(&o->device_code, code);
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
    uv_timer_start(&o->lock_timer, on_device_timer, (uint64_t)o->device_interval * 1000, 0);
}

static char *choose_scope(oauth_t *o);

static void device_authorize(oauth_t *o)
{
    const char *endpoint = jstr(o->as_meta, "device_authorization_endpoint");
    if (!endpoint) {
        failf(o, BRIDGE_EINVAL,
              "%s does not offer the device authorization grant (no "
              "device_authorization_endpoint); sign in with a browser, or use `mcp-bridge login` "
              "elsewhere with export and import",
              o->issuer ? o->issuer : o->server_url);
        return;
    }
    if (!endpoint_ok(o, endpoint, "device authorization endpoint")) {
        failf(o, BRIDGE_EPROTO, "%s", o->refused);
        return;
    }
    char *scope = choose_scope(o), *basic = NULL;
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = oauth_token_client_auth(&form, o->client_id, o->client_secret, o->auth_method, &basic);
    if (!rc && scope && *scope) rc = oauth_form_add(&form, "scope", scope);
    if (!rc && o->resource && !o->cfg.disable_resource)
        rc = oauth_form_add(&form, "resource", o->resource);
    const char *headers[3] = {"Content-Type: application/x-www-form-urlencoded", basic, NULL};
    log_debug("starting the device authorization at %s", endpoint);
    if (!rc)
        rc = oauth_fetch(o->cfg.http, "POST", endpoint, headers, form.data, METADATA_MAX,
                         on_device_authorized, o);
    free(scope);
    if (basic) OPENSSL_cleanse(basic, strlen(basic));
    free(basic);
    buf_free_secret(&form);
    if (rc) failf(o, rc, "out of memory starting the device authorization");
}

/* The scope to ask for (see oauth_select_scope), remembered for step-up; NULL
 * to send none. */
static char *choose_scope(oauth_t *o)
{
    char *scope = NULL, *with_offline = NULL;
    if (!o->requested_scope) {
        oauth_select_scope(o->challenge.scope, o->prm_scopes, o->cfg.scope, &scope);
        if (!scope && !o->cfg.scope && o->legacy) /* no protected resource metadata */
            oauth_scope_fallback(jstr(o->static_metadata, "scope"), o->registered_scope,
                                 json_object_get(o->as_meta, "scopes_supported"), &scope);
        if (scope && !o->cfg.scope &&
            oauth_scope_add_offline_access(scope, json_object_get(o->as_meta, "scopes_supported"),
                                           &with_offline) == 0 &&
            with_offline) {
            free(scope);
            scope = with_offline;
        }
        set_str(&o->requested_scope, scope);
    } else {
        scope = strdup(o->requested_scope);
    }
    if (scope && !*scope) { /* an empty --scope omits the parameter */
        free(scope);
        scope = NULL;
    }
    return scope;
}

static void authorize(oauth_t *o)
{
    if (o->cfg.device_code) {
        device_authorize(o);
        return;
    }
    if (o->cfg.no_browser) {
        failf(o, BRIDGE_EINVAL,
              "a sign-in in a browser is needed and --no-browser is set; sign in where a "
              "browser is: `mcp-bridge login %s`, then `mcp-bridge export %s > creds.json` "
              "there and `mcp-bridge import creds.json` here (or start with "
              "--refresh-token-file)",
              o->server_url, o->server_url);
        return;
    }
    char challenge[OAUTH_PKCE_CHALLENGE_LEN + 1];
    if (oauth_pkce_verifier(o->verifier) || oauth_pkce_challenge_s256(o->verifier, challenge) ||
        oauth_random_state(o->state)) {
        failf(o, BRIDGE_EIO, "the system random generator failed");
        return;
    }
    char *scope = choose_scope(o);
    char *url = NULL;
    int rc = build_authorization_url(o, challenge, scope, &url);
    free(scope);
    if (rc || !oauth_browser_url_ok(url, o->cfg.allow_http)) {
        free(url);
        failf(o, BRIDGE_EPROTO,
              "the authorization endpoint \"%s\" is not an http(s) URL that can be opened",
              o->authorization_endpoint);
        return;
    }
    long timeout =
        (o->cfg.auth_timeout_s > 0 ? o->cfg.auth_timeout_s : DEFAULT_AUTH_TIMEOUT_S) * 1000;
    oauth_callback_wait(o->listener, o->state, timeout, o->cfg.auth_success_url, on_redirect, o);
    int opened = !o->cfg.no_browser && oauth_browser_open(o->cfg.loop, url) == 0;
    /* The URL holds no secret (state and the PKCE challenge are public). */
    fprintf(stderr, "mcp-bridge: %s to sign in to %s:\n%s\n",
            opened ? "a browser window was opened; if it did not appear, open this URL"
                   : "open this URL in a browser",
            o->server_url, url);
    free(url);
}

/* ---- client registration ----------------------------------------------------------------------
 */

static const char *pick_auth_method(oauth_t *o, int have_secret)
{
    const json_t *m = json_object_get(o->as_meta, "token_endpoint_auth_methods_supported");
    if (!have_secret) return "none";
    if (!json_is_array(m) || json_array_has(m, "client_secret_basic")) return "client_secret_basic";
    if (json_array_has(m, "client_secret_post")) return "client_secret_post";
    return "client_secret_basic";
}

static void on_registered(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    if (res->rc) {
        failf(o, res->rc, "client registration at %s failed: %s", o->registration_endpoint,
              res->why);
        return;
    }
    const char *id = jstr(res->json, "client_id");
    if (res->status < 200 || res->status >= 300 || !id) {
        const char *err = jstr(res->json, "error_description");
        if (!err) err = jstr(res->json, "error");
        failf(o, BRIDGE_EHTTP,
              "client registration at %s was refused (HTTP %ld%s%.300s); pass a pre-registered "
              "client with --static-oauth-client-info",
              o->registration_endpoint, res->status, err ? ": " : "", err ? err : "");
        return;
    }
    set_str(&o->client_id, id);
    set_str(&o->client_secret, jstr(res->json, "client_secret"));
    const char *method = jstr(res->json, "token_endpoint_auth_method");
    set_str(&o->auth_method, method ? method : pick_auth_method(o, o->client_secret != NULL));
    set_str(&o->registered_scope, jstr(res->json, "scope"));
    o->registered_now = 1;
    log_info("registered with %s as client %s", o->issuer ? o->issuer : o->registration_endpoint,
             o->client_id);
    save_registration(o);
    authorize(o);
}

static void register_client(oauth_t *o)
{
    if (!endpoint_ok(o, o->registration_endpoint, "registration endpoint")) {
        failf(o, BRIDGE_EPROTO, "%s", o->refused);
        return;
    }
    /* A public native client (RFC 8252) unless the AS takes only secrets. */
    const json_t *methods = json_object_get(o->as_meta, "token_endpoint_auth_methods_supported");
    const char *method = "none";
    if (json_is_array(methods) && !json_array_has(methods, "none"))
        method = json_array_has(methods, "client_secret_post") &&
                         !json_array_has(methods, "client_secret_basic")
                     ? "client_secret_post"
                     : "client_secret_basic";
    const char *grant =
        o->cfg.device_code ? "urn:ietf:params:oauth:grant-type:device_code" : "authorization_code";
    json_t *req = json_pack("{s:s, s:[s], s:[s,s], s:[s], s:s, s:s}", "client_name", "mcp-bridge",
                            "redirect_uris", o->redirect_uri, "grant_types", grant, "refresh_token",
                            "response_types", "code", "token_endpoint_auth_method", method,
                            "application_type", "native");
    if (req && o->static_metadata) json_object_update(req, o->static_metadata);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    const char *headers[] = {"Content-Type: application/json", NULL};
    log_debug("registering a client at %s", o->registration_endpoint);
    int rc = body ? oauth_fetch(o->cfg.http, "POST", o->registration_endpoint, headers, body,
                                METADATA_MAX, on_registered, o)
                  : BRIDGE_ENOMEM;
    free(body);
    if (rc) failf(o, rc, "out of memory registering a client");
}

/* mcp-remote's callback port for this server (see oauth/mcp_remote.h). */
static int mcp_remote_callback_port(const oauth_config_t *c)
{
    mcp_remote_key_t k = {.server_url = c->server_url,
                          .resource = c->disable_resource ? NULL : c->resource,
                          .authorize_params = c->authorize_params,
                          .authorize_params_len = c->authorize_params_len,
                          .headers = c->headers,
                          .headers_len = c->headers_len,
                          .client_metadata_url = c->client_metadata_url,
                          .token_endpoint = c->token_endpoint};
    char hash[MCP_REMOTE_HASH_LEN + 1];
    return mcp_remote_hash(&k, hash) == 0 ? mcp_remote_port(hash) : 0;
}

/* Listen where a fixed redirect URI points: a client registered for it
 * (mcp-remote's, or one kept by an import) works with no other. `localhost`
 * is also bound on [::1]: a browser may try that address first. */
static int listen_at_fixed_uri(oauth_t *o, const char *uri, char *why, size_t n)
{
    url_t u;
    char err[256];
    if (url_parse(uri, &u, err, sizeof err) != 0) {
        snprintf(why, n, "the redirect URI \"%s\" is not a URL (%s)", uri, err);
        return BRIDGE_EINVAL;
    }
    int rc = 0;
    long port = u.port ? strtol(u.port, NULL, 10) : 0;
    int v4only = !strcmp(u.host, "127.0.0.1");
    if (strcmp(u.scheme, "http") != 0 || port <= 0 || port > 65535 ||
        !(v4only || !strcmp(u.host, "localhost") || !strcmp(u.host, "[::1]"))) {
        snprintf(why, n,
                 "cannot receive the sign-in redirect at %s: only http:// to localhost, "
                 "127.0.0.1 or [::1] with a port can be listened on",
                 uri);
        rc = BRIDGE_EINVAL;
    } else if (oauth_callback_listen(o->cfg.loop, (int)port, !v4only, u.path, &o->listener) != 0) {
        snprintf(why, n,
                 "port %ld is taken, and the sign-in redirect must arrive there (the client is "
                 "registered for %s): close what uses it (another mcp-remote or mcp-bridge?) "
                 "and try again",
                 port, uri);
        rc = BRIDGE_EIO;
    }
    url_free(&u);
    if (!rc) set_str(&o->redirect_uri, uri);
    return rc;
}

static int start_listener(oauth_t *o, char *why, size_t n)
{
    if (o->listener) return 0;
    const char *path = o->cfg.callback_path ? o->cfg.callback_path : OAUTH_CALLBACK_PATH;
    if (o->kept_redirect_uri) return listen_at_fixed_uri(o, o->kept_redirect_uri, why, n);
    if (o->cfg.mcp_remote_callback) {
        const char *host = o->cfg.callback_host ? o->cfg.callback_host : mcp_remote_default_host();
        int port = o->cfg.callback_port ? o->cfg.callback_port : mcp_remote_callback_port(&o->cfg);
        char uri[300];
        int v6 = strchr(host, ':') != NULL && host[0] != '[';
        snprintf(uri, sizeof uri, "http://%s%s%s:%d%s", v6 ? "[" : "", host, v6 ? "]" : "", port,
                 path);
        return port ? listen_at_fixed_uri(o, uri, why, n) : BRIDGE_ENOMEM;
    }
    int port = o->cfg.callback_port;
    if (!port) {
        /* Stable per server, so the registered redirect URI stays valid. */
        unsigned h = 2166136261u;
        for (const char *p = o->server_url; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        port = 20000 + (int)(h % 30000);
    }
    const char *host = o->cfg.callback_host ? o->cfg.callback_host : "127.0.0.1";
    int also6 = strcmp(host, "127.0.0.1") != 0;
    if (oauth_callback_listen(o->cfg.loop, port, also6, path, &o->listener) != 0) {
        log_info("port %d is taken; using another one for the sign-in redirect", port);
        if (oauth_callback_listen(o->cfg.loop, 0, also6, path, &o->listener) != 0) {
            snprintf(why, n, "cannot listen on 127.0.0.1 for the sign-in redirect");
            return BRIDGE_EIO;
        }
    }
    char uri[300];
    int v6 = strchr(host, ':') != NULL;
    snprintf(uri, sizeof uri, "http://%s%s%s:%d%s", v6 ? "[" : "", host, v6 ? "]" : "",
             oauth_callback_port(o->listener), path);
    set_str(&o->redirect_uri, uri);
    return 0;
}

static void no_registration_possible(oauth_t *o);

/* A stored registration at this issuer, for this redirect URI, is reused. */
static void on_registration_loaded(void *ud, int rc, char *text)
{
    oauth_t *o = ud;
    json_t *doc = !rc && text ? json_loads(text, 0, NULL) : NULL;
    if (text) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
    int ok = json_is_object(doc) && jstr(doc, "client_id") && jstr(doc, "issuer") &&
             !strcmp(jstr(doc, "issuer"), o->issuer) && jstr(doc, "redirect_uri") &&
             o->redirect_uri && !strcmp(jstr(doc, "redirect_uri"), o->redirect_uri);
    if (ok) {
        set_str(&o->client_id, jstr(doc, "client_id"));
        set_str(&o->client_secret, jstr(doc, "client_secret"));
        set_str(&o->auth_method, jstr(doc, "token_endpoint_auth_method"));
    }
    json_decref(doc);
    if (ok) {
        log_debug("using the stored client registration %s", o->client_id);
        authorize(o);
    } else if (o->registration_endpoint) {
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
        authorize(o);
    else
        no_registration_possible(o);
}

static void choose_client(oauth_t *o)
{
    if (o->cfg.no_browser && !o->cfg.device_code) {
        no_browser_blocker(o);
        return;
    }
    if (o->cfg.device_code) {
        /* No redirect comes back: no listener, and a registration that says so. */
        set_str(&o->redirect_uri, "http://127.0.0.1/oauth/callback");
    } else {
        char why[512] = "out of memory";
        if (start_listener(o, why, sizeof why) != 0) {
            failf(o, BRIDGE_EIO, "%s", why);
            return;
        }
    }
    if (o->client_static) {
        if (!o->auth_method)
            set_str(&o->auth_method, pick_auth_method(o, o->client_secret != NULL));
        authorize(o);
        return;
    }
    if (o->cfg.client_metadata_url &&
        json_is_true(json_object_get(o->as_meta, "client_id_metadata_document_supported"))) {
        o->client_cimd = 1;
        set_str(&o->client_id, o->cfg.client_metadata_url);
        wipe_str(&o->client_secret);
        set_str(&o->auth_method, "none");
        authorize(o);
        return;
    }
    o->client_cimd = 0;
    if (o->kept_redirect_uri && o->client_id) {
        /* The client that came with the stored sign-in (an import from
         * mcp-remote): registered for this redirect URI, it signs in again. */
        log_debug("using the stored client %s with its redirect URI %s", o->client_id,
                  o->kept_redirect_uri);
        if (!o->auth_method)
            set_str(&o->auth_method, pick_auth_method(o, o->client_secret != NULL));
        authorize(o);
        return;
    }
    if (o->cfg.store && o->issuer) {
        char name[64];
        store_name(name, sizeof name, "client", o->issuer, NULL);
        if (store_get(o, name, on_registration_loaded) == 0) return;
    }
    on_registration_loaded(o, BRIDGE_EINVAL, NULL);
}

static void no_registration_possible(oauth_t *o)
{
    failf(o, BRIDGE_EINVAL,
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

/* ---- discovery ----------------------------------------------------------------------------- */

static int use_as_metadata(oauth_t *o, const json_t *meta, int check_issuer, const char *from)
{
    const char *issuer = jstr(meta, "issuer");
    if (check_issuer && (!issuer || strcmp(issuer, o->issuer) != 0)) {
        log_error("%s names issuer \"%s\", not %s; ignored", from, issuer ? issuer : "(none)",
                  o->issuer);
        return 0;
    }
    json_decref(o->as_meta);
    o->as_meta = json_deep_copy(meta);
    set_str(&o->authorization_endpoint, jstr(meta, "authorization_endpoint"));
    set_str(&o->token_endpoint, jstr(meta, "token_endpoint"));
    set_str(&o->registration_endpoint, jstr(meta, "registration_endpoint"));
    if (!check_issuer && issuer) set_str(&o->issuer, issuer);
    return 1;
}

static void discovery_done(oauth_t *o)
{
    if (o->cfg.client_credentials) {
        o->discovered = 1;
        client_credentials_grant(o);
        return;
    }
    if (!endpoint_ok(o, o->authorization_endpoint, "authorization endpoint") ||
        !endpoint_ok(o, o->token_endpoint, "token endpoint")) {
        failf(o, BRIDGE_EPROTO, "the authorization server metadata of %s is not usable: %s",
              o->issuer ? o->issuer : o->server_url, o->refused);
        return;
    }
    const json_t *methods = json_object_get(o->as_meta, "code_challenge_methods_supported");
    if (o->as_meta && !json_array_has(methods, "S256")) {
        failf(o, BRIDGE_EPROTO,
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
        set_str(&o->record_issuer, NULL);
        set_str(&o->kept_redirect_uri, NULL);
        wipe_str(&o->refresh_token);
        drop_tokens(o);
        if (!o->client_static) {
            wipe_str(&o->client_id);
            wipe_str(&o->client_secret);
            set_str(&o->auth_method, NULL);
        }
        o->refresh_after_discovery = 0;
    }
    if (o->refresh_after_discovery) {
        o->refresh_after_discovery = 0;
        start_refresh(o);
        return;
    }
    choose_client(o);
}

static void on_as_metadata(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *url = o->cand[o->icand];
    if (!res->rc && res->status == 200 && res->json) {
        log_debug("authorization server metadata at %s", url);
        if (use_as_metadata(o, res->json, 1, url)) {
            discovery_done(o);
            return;
        }
    } else if (res->rc == BRIDGE_ECONNECT) {
        /* Every candidate is on the issuer's host: say why it cannot be
         * reached (TLS trust, a client certificate) rather than "not found". */
        failf(o, res->rc, "cannot reach the authorization server at %s: %s", url, res->why);
        return;
    } else {
        log_debug("no authorization server metadata at %s (%s)", url,
                  res->rc              ? res->why
                  : res->status == 200 ? "not a JSON object"
                                       : "HTTP error");
    }
    if (++o->icand < o->ncand) {
        if (oauth_fetch(o->cfg.http, "GET", o->cand[o->icand], NULL, NULL, METADATA_MAX,
                        on_as_metadata, o) != 0)
            failf(o, BRIDGE_ENOMEM, "out of memory");
        return;
    }
    failf(o, BRIDGE_EPROTO, "no authorization server metadata found for issuer %s (tried %s%s%s)",
          o->issuer, o->cand[0], o->ncand > 1 ? " and " : "",
          o->ncand > 1 ? "the OpenID Connect locations" : "");
}

static void discover_as(oauth_t *o)
{
    clear_candidates(o);
    if (oauth_as_metadata_urls(o->issuer, o->cand, &o->ncand) != 0 || o->ncand == 0) {
        failf(o, BRIDGE_EINVAL, "the authorization server \"%s\" is not a valid issuer URL",
              o->issuer);
        return;
    }
    if (oauth_fetch(o->cfg.http, "GET", o->cand[0], NULL, NULL, METADATA_MAX, on_as_metadata, o))
        failf(o, BRIDGE_ENOMEM, "out of memory");
}

/* 2025-03-26: no protected resource metadata. The MCP server's origin is the
 * authorization server; its metadata is optional and its issuer is not checked. */
static void on_legacy_metadata(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    if (!res->rc && res->status == 200 && res->json && use_as_metadata(o, res->json, 0, res->url)) {
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
    set_str(&o->issuer, base);
    free(base);
    discovery_done(o);
}

static void discover_legacy(oauth_t *o)
{
    o->legacy = 1;
    wipe_str(&o->resource);
    if (o->cfg.resource) set_str(&o->resource, o->cfg.resource);
    json_decref(o->as_meta);
    o->as_meta = NULL;
    char *base = NULL;
    if (oauth_legacy_base(o->server_url, &base) != 0) {
        failf(o, BRIDGE_EINVAL, "cannot build the authorization base URL of %s", o->server_url);
        return;
    }
    set_str(&o->issuer, base);
    size_t n = strlen(base) + sizeof "/.well-known/oauth-authorization-server";
    char *url = malloc(n);
    if (url) snprintf(url, n, "%s/.well-known/oauth-authorization-server", base);
    free(base);
    const char *headers[] = {"MCP-Protocol-Version: 2025-03-26", NULL};
    log_debug("no protected resource metadata; trying the 2025-03-26 discovery at %s",
              url ? url : "?");
    if (!url ||
        oauth_fetch(o->cfg.http, "GET", url, headers, NULL, METADATA_MAX, on_legacy_metadata, o))
        failf(o, BRIDGE_ENOMEM, "out of memory");
    free(url);
}

static void on_prm(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    const char *url = o->cand[o->icand];
    const json_t *servers = json_object_get(res->json, "authorization_servers");
    if (!res->rc && res->status == 200 && json_is_array(servers) && json_array_size(servers) > 0 &&
        json_is_string(json_array_get(servers, 0))) {
        const char *resource = jstr(res->json, "resource");
        if (resource && !oauth_prm_resource_matches(resource, o->server_url)) {
            failf(o, BRIDGE_EPROTO,
                  "the protected resource metadata at %s is for \"%s\", not for %s; refusing to "
                  "sign in (a server may be trying to obtain a token for another resource)",
                  url, resource, o->server_url);
            return;
        }
        log_debug("protected resource metadata at %s", url);
        set_str(&o->prm_url, url);
        char *canon = NULL;
        if (o->cfg.resource)
            set_str(&o->resource, o->cfg.resource);
        else if (resource)
            set_str(&o->resource, resource);
        else if (oauth_canonical_resource(o->server_url, &canon) == 0) {
            free(o->resource);
            o->resource = canon;
        }
        json_decref(o->prm_scopes);
        o->prm_scopes = json_incref(json_object_get(res->json, "scopes_supported"));
        const char *issuer = json_string_value(json_array_get(servers, 0));
        set_str(&o->issuer, issuer);
        o->legacy = 0;
        if (!endpoint_ok(o, issuer, "authorization server")) {
            failf(o, BRIDGE_EPROTO, "%s (named by %s)", o->refused, url);
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
        if (oauth_fetch(o->cfg.http, "GET", o->cand[o->icand], NULL, NULL, METADATA_MAX, on_prm, o))
            failf(o, BRIDGE_ENOMEM, "out of memory");
        return;
    }
    discover_legacy(o);
}

static void discover(oauth_t *o)
{
    clear_candidates(o);
    if (o->challenge.resource_metadata) {
        char *abs = NULL;
        int resolved = url_resolve(o->server_url, o->challenge.resource_metadata, &abs) == 0;
        if (!resolved || !endpoint_ok(o, abs, "resource metadata URL")) {
            if (!resolved)
                snprintf(o->refused, sizeof o->refused,
                         "the resource_metadata URL \"%.200s\" in the server's challenge is not a "
                         "URL",
                         o->challenge.resource_metadata);
            free(abs);
            failf(o, BRIDGE_EPROTO, "%s", o->refused);
            return;
        }
        o->cand[0] = abs;
        o->ncand = 1;
    } else if (oauth_prm_urls(o->server_url, o->cand, &o->ncand) != 0) {
        failf(o, BRIDGE_EINVAL, "cannot build the metadata URLs of %s", o->server_url);
        return;
    }
    if (oauth_fetch(o->cfg.http, "GET", o->cand[0], NULL, NULL, METADATA_MAX, on_prm, o))
        failf(o, BRIDGE_ENOMEM, "out of memory");
}

static void full_flow(oauth_t *o)
{
    if (o->cfg.client_credentials) {
        if (o->cfg.token_endpoint) { /* given: no discovery */
            set_str(&o->token_endpoint, o->cfg.token_endpoint);
            if (!o->resource && o->cfg.resource) set_str(&o->resource, o->cfg.resource);
            client_credentials_grant(o);
        } else if (o->discovered) {
            client_credentials_grant(o);
        } else {
            discover(o);
        }
        return;
    }
    if (o->cfg.no_browser && o->client_static) {
        authorize(o); /* fails at once, saying what to do instead */
        return;
    }
    /* Discover again when the server points at metadata we did not use. */
    int stale = !o->discovered || (o->challenge.resource_metadata && o->prm_url &&
                                   strcmp(o->challenge.resource_metadata, o->prm_url) != 0);
    if (stale) {
        o->discovered = 0;
        discover(o);
    } else {
        choose_client(o);
    }
}

/* ---- single flight --------------------------------------------------------------------------- */

static void release_lock(oauth_t *o)
{
    if (o->saves_pending) return; /* on_tokens_saved releases it */
    uv_timer_stop(&o->lock_timer);
    if (o->lock_fd >= 0) oauth_lock_release(o->lock_fd);
    o->lock_fd = -1;
    o->lock_waiting_said = 0;
}

/* What the run came to do, once it holds the lock and has read the store. */
static void run_plan(oauth_t *o)
{
    switch (o->plan) {
    case PLAN_LOAD:
        finish(o, 0, NULL);
        break;
    case PLAN_STEPUP:
        full_flow(o);
        break;
    case PLAN_REFRESH:
        start_refresh(o);
        break;
    case PLAN_REAUTH:
        if (o->refresh_token) {
            start_refresh(o);
        } else {
            drop_tokens(o);
            full_flow(o);
        }
        break;
    }
}

static int token_fresh(const oauth_t *o)
{
    return o->access_token && (!o->expires_at || time(NULL) + refresh_margin(o) < o->expires_at);
}

/* Another bridge may have signed in or refreshed while we waited for the lock:
 * then its tokens are ours too, and a rotated refresh token is never used twice. */
static void on_record_reloaded(void *ud, int rc, char *text)
{
    oauth_t *o = ud;
    if (!rc && text) {
        char *before = o->token_at_start ? strdup(o->token_at_start) : NULL;
        char *refresh_before = o->refresh_token ? strdup(o->refresh_token) : NULL;
        json_t *doc = json_loads(text, 0, NULL);
        const char *stored_at = jstr(doc, "access_token"), *stored_rt = jstr(doc, "refresh_token");
        int newer = (stored_at && (!before || strcmp(stored_at, before) != 0)) ||
                    (stored_rt && (!refresh_before || strcmp(stored_rt, refresh_before) != 0));
        json_decref(doc);
        if (o->plan == PLAN_LOAD || (newer && o->plan != PLAN_STEPUP)) {
            if (apply_record(o, text) && o->plan != PLAN_LOAD) {
                log_info("using the tokens another mcp-bridge obtained for %s", o->server_url);
                if (token_fresh(o)) {
                    o->plan = PLAN_LOAD;
                } else if (o->refresh_token) {
                    o->plan = PLAN_REFRESH;
                }
            }
        }
        wipe_str(&before);
        wipe_str(&refresh_before);
    }
    if (text) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
    if (o->plan == PLAN_LOAD && o->access_token)
        log_debug("using stored tokens for %s (issuer %s)", o->server_url,
                  o->issuer ? o->issuer : "?");
    run_plan(o);
}

static void reload_record(oauth_t *o)
{
    char name[64];
    server_record_name(o, name, sizeof name);
    if (!o->cfg.store || store_get(o, name, on_record_reloaded) != 0) run_plan(o);
}

static void try_lock(oauth_t *o);

static void on_lock_timer(uv_timer_t *t)
{
    try_lock(t->data);
}

static void try_lock(oauth_t *o)
{
    char name[64];
    server_record_name(o, name, sizeof name);
    int fd = oauth_lock_try(name);
    if (fd >= 0) {
        o->lock_fd = fd;
        reload_record(o);
        return;
    }
    if (fd != BRIDGE_ETIMEOUT) { /* no lock file can be made: go on alone */
        log_debug("no lock in %s; going on without one", oauth_lock_dir());
        reload_record(o);
        return;
    }
    uint64_t waited = uv_now(o->cfg.loop) - o->lock_wait_started;
    long limit = (o->cfg.auth_timeout_s > 0 ? o->cfg.auth_timeout_s : DEFAULT_AUTH_TIMEOUT_S) + 30;
    if (waited > (uint64_t)limit * 1000) {
        failf(o, BRIDGE_ETIMEOUT,
              "another mcp-bridge has been signing in to %s for %lu s; giving up", o->server_url,
              (unsigned long)(waited / 1000));
        return;
    }
    if (!o->lock_waiting_said) {
        o->lock_waiting_said = 1;
        log_info("another mcp-bridge is signing in to %s; waiting for it", o->server_url);
    }
    uv_timer_start(&o->lock_timer, on_lock_timer, 100, 0);
}

static void begin_run(oauth_t *o)
{
    set_str(&o->token_at_start, o->access_token);
    if (o->plan == PLAN_LOAD || !o->cfg.store || keychain_kind(o->cfg.store) == KEYCHAIN_MEMORY) {
        reload_record(o);
        return;
    }
    if (o->lock_fd >= 0) { /* still ours: the last run's write had not landed yet */
        reload_record(o);
        return;
    }
    o->lock_wait_started = uv_now(o->cfg.loop);
    try_lock(o);
}

/* ---- public ------------------------------------------------------------------------------------
 */

/* Wait for the run in progress, or start one: 1 when the caller starts it. */
static int join_or_start(oauth_t *o, oauth_done_cb cb, void *ud)
{
    if (add_waiter(o, cb, ud) != 0) {
        cb(ud, BRIDGE_ENOMEM, "out of memory");
        return 0;
    }
    if (o->running) return 0;
    o->running = 1;
    return 1;
}

void oauth_handle_challenge(oauth_t *o, long status, const char *www_authenticate, oauth_done_cb cb,
                            void *ud)
{
    if (!join_or_start(o, cb, ud)) return;
    o->status = status;
    o->tried_reregister = 0;
    oauth_challenge_free(&o->challenge);
    oauth_challenge_init(&o->challenge);
    if (www_authenticate &&
        oauth_www_auth_parse(&o->challenge, www_authenticate, strlen(www_authenticate)) != 0)
        log_debug("could not read the WWW-Authenticate header; discovering without it");
    log_debug("HTTP %ld from %s: %s%s%s", status, o->server_url,
              o->challenge.error ? o->challenge.error : "authorization needed",
              o->challenge.scope ? ", scope " : "", o->challenge.scope ? o->challenge.scope : "");

    if (status == 403) {
        if (!o->challenge.error || strcmp(o->challenge.error, "insufficient_scope") != 0) {
            failf(o, BRIDGE_EHTTP,
                  "%s answered HTTP 403 (forbidden%s%s): the signed-in account may lack access",
                  o->server_url, o->challenge.error_description ? ": " : "",
                  o->challenge.error_description ? o->challenge.error_description : "");
            return;
        }
        /* Step-up: ask again for what we asked before plus what the server wants. */
        char *u = NULL;
        oauth_scope_union(o->requested_scope ? o->requested_scope : o->granted_scope,
                          o->challenge.scope, &u);
        free(o->requested_scope);
        o->requested_scope = u;
        log_info("%s needs more scope (%s); signing in again", o->server_url,
                 o->challenge.scope ? o->challenge.scope : "unspecified");
        o->plan = PLAN_STEPUP;
        begin_run(o);
        return;
    }
    if (o->challenge.scope) {
        /* A new 401 with a scope: the server's word on what to ask for. */
        free(o->requested_scope);
        o->requested_scope = NULL;
    }
    o->plan = PLAN_REAUTH;
    begin_run(o);
}

void oauth_refresh(oauth_t *o, oauth_done_cb cb, void *ud)
{
    if (!join_or_start(o, cb, ud)) return;
    oauth_challenge_free(&o->challenge);
    oauth_challenge_init(&o->challenge);
    o->plan = PLAN_REFRESH;
    begin_run(o);
}

void oauth_load(oauth_t *o, oauth_done_cb cb, void *ud)
{
    if (!join_or_start(o, cb, ud)) return;
    o->plan = PLAN_LOAD;
    begin_run(o);
}

const char *oauth_access_token(const oauth_t *o)
{
    return o->access_token;
}

int oauth_has_refresh_token(const oauth_t *o)
{
    return o->refresh_token != NULL;
}

void oauth_seed_refresh_token(oauth_t *o, const char *refresh_token)
{
    if (o->refresh_token || !refresh_token || !*refresh_token) return;
    o->refresh_token = strdup(refresh_token);
    log_debug("seeded with a refresh token from outside");
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

const char *oauth_header(const oauth_t *o)
{
    return o->header;
}

unsigned oauth_generation(const oauth_t *o)
{
    return o->generation;
}

int oauth_should_refresh(const oauth_t *o)
{
    return (o->refresh_token || o->cfg.client_credentials) && o->expires_at &&
           time(NULL) + refresh_margin(o) >= o->expires_at && !o->running;
}

static json_t *load_json_arg(const char *text, const char *what, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "%s is not a JSON object (%s)", what,
                 j ? "another JSON value" : je.text);
        json_decref(j);
        return NULL;
    }
    return j;
}

static void really_free(oauth_t *o);

static void on_timer_closed(uv_handle_t *h)
{
    oauth_t *o = h->data;
    o->timer_closed = 1;
    if (o->store_ops == 0 && o->saves_pending == 0) really_free(o);
}

oauth_t *oauth_new(const oauth_config_t *cfg, char *err, size_t errlen)
{
    oauth_t *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->cfg = *cfg;
    o->lock_fd = -1;
    o->server_url = strdup(cfg->server_url);
    uv_timer_init(cfg->loop, &o->lock_timer);
    o->lock_timer.data = o;
    oauth_challenge_init(&o->challenge);
    if (cfg->static_client_info) {
        json_t *j =
            load_json_arg(cfg->static_client_info, "--static-oauth-client-info", err, errlen);
        if (!j || !jstr(j, "client_id")) {
            if (j) snprintf(err, errlen, "--static-oauth-client-info has no \"client_id\"");
            json_decref(j);
            oauth_free(o);
            return NULL;
        }
        set_str(&o->client_id, jstr(j, "client_id"));
        set_str(&o->client_secret, jstr(j, "client_secret"));
        set_str(&o->auth_method, jstr(j, "token_endpoint_auth_method"));
        o->client_static = 1;
        json_decref(j);
    }
    if (cfg->static_client_metadata) {
        o->static_metadata = load_json_arg(cfg->static_client_metadata,
                                           "--static-oauth-client-metadata", err, errlen);
        if (!o->static_metadata) {
            oauth_free(o);
            return NULL;
        }
    }
    return o;
}

void oauth_cancel(oauth_t *o)
{
    if (o->running) finish(o, BRIDGE_ECLOSED, "the bridge is shutting down");
}

static void really_free(oauth_t *o)
{
    wipe_str(&o->access_token);
    wipe_str(&o->refresh_token);
    wipe_str(&o->id_token);
    wipe_str(&o->device_code);
    wipe_str(&o->token_at_start);
    wipe_str(&o->header);
    wipe_str(&o->client_secret);
    free(o->granted_scope);
    free(o->server_url);
    free(o->prm_url);
    free(o->resource);
    json_decref(o->prm_scopes);
    free(o->issuer);
    json_decref(o->as_meta);
    free(o->authorization_endpoint);
    free(o->token_endpoint);
    free(o->registration_endpoint);
    free(o->revocation_endpoint);
    free(o->client_id);
    free(o->auth_method);
    free(o->redirect_uri);
    free(o->kept_redirect_uri);
    free(o->record_issuer);
    free(o->registered_scope);
    json_decref(o->static_metadata);
    free(o->requested_scope);
    clear_candidates(o);
    oauth_challenge_free(&o->challenge);
    free(o);
}

void oauth_free(oauth_t *o)
{
    if (!o || o->dead) return;
    oauth_cancel(o);
    release_lock(o);
    if (o->listener) oauth_callback_close(o->listener);
    o->listener = NULL;
    o->dead = 1;
    uv_close((uv_handle_t *)&o->lock_timer, on_timer_closed);
}
