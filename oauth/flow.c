/* The OAuth run coordinator: one run at a time, started by the relay's 401/403
 * (or a refresh, or the first load), joined by every caller that asks while it
 * runs; it picks the grant and hands each step to the file that does it:
 * single_flight.c, record.c, discovery.c, client.c, authorize.c, grant_*.c. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/browser.h"
#include "oauth/scope.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The grants that obtain a first token, in order: the first one the options
 * choose is used. Adding a grant is a file with its oauth_grant_t and one line
 * here; the authorization code grant, chosen by default, stays last. */
static const oauth_grant_t *const grants[] = {
    &oauth_grant_enterprise,         /* --idp-issuer, --idp-token-endpoint */
    &oauth_grant_workload,           /* --workload-token-file, --workload-token-env */
    &oauth_grant_client_credentials, /* --client-credentials */
    &oauth_grant_device,             /* --device-code */
    &oauth_grant_authorization_code,
};

static const oauth_grant_t *choose_grant(const oauth_config_t *cfg)
{
    for (size_t i = 0; i < sizeof grants / sizeof grants[0]; i++)
        if (grants[i]->chosen(cfg)) return grants[i];
    return &oauth_grant_authorization_code;
}

/* ---- small helpers ---------------------------------------------------------------- */

void oauth_set_str(char **slot, const char *v)
{
    char *n = v ? strdup(v) : NULL;
    free(*slot);
    *slot = n;
}

void oauth_wipe_str(char **slot)
{
    if (*slot) {
        OPENSSL_cleanse(*slot, strlen(*slot));
        free(*slot);
        *slot = NULL;
    }
}

/* An OAuth endpoint we are about to use: https, or http to loopback (or with
 * --allow-http). When not, o->refused says why, for the failure to report. */
int oauth_endpoint_ok(oauth_t *o, const char *url, const char *what)
{
    if (url && oauth_browser_url_ok(url, o->cfg.allow_http)) return 1;
    snprintf(o->refused, sizeof o->refused,
             "refusing the %s \"%.200s\": OAuth endpoints must be https:// (http:// only on "
             "loopback, or with --allow-http)",
             what, url ? url : "(missing)");
    return 0;
}

int oauth_run_fetch(oauth_t *o, const char *method, const char *url, const char *const *headers,
                    const char *body, size_t max_bytes, oauth_fetch_cb cb)
{
    assert(o->running); /* a fetch belongs to the run: oauth_finish cancels what is left */
    return oauth_fetch_on(&o->fetches, o->cfg.http, method, url, headers, body, max_bytes, cb, o);
}

/* ---- the run ---------------------------------------------------------------------- */

void oauth_finish(oauth_t *o, int rc, const char *why)
{
    assert(o->running);
    /* Whatever the run had in flight stops here: no step runs after its end
     * (the timer paces lock retries and the device grant's polls). */
    oauth_fetch_cancel_all(&o->fetches);
    uv_timer_stop(&o->lock_timer);
    if (o->listener) {
        oauth_callback_close(o->listener);
        o->listener = NULL;
    }
    OPENSSL_cleanse(o->verifier, sizeof o->verifier);
    free(o->held_url);
    o->held_url = NULL;
    oauth_clear_candidates(o);
    oauth_challenge_free(&o->challenge);
    oauth_release_lock(o);
    o->running = 0;
    o->preflight = 0;
    /* Not logged here: every waiter reports the failure, once, in its own words.
     * Taken off o first: a callback may start the next run (or free o). */
    list_node done;
    list_init(&done);
    while (!list_empty(&o->waiters))
        list_push_back(&done, list_pop_front(&o->waiters));
    while (!list_empty(&done)) {
        oauth_waiter_t *w = LIST_ENTRY(list_pop_front(&done), oauth_waiter_t, link);
        w->cb(w->ud, rc, why);
        free(w);
    }
}

void oauth_fail(oauth_t *o, int rc, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    oauth_finish(o, rc, why);
}

static int add_waiter(oauth_t *o, oauth_done_cb cb, void *ud)
{
    oauth_waiter_t *w = calloc(1, sizeof *w);
    if (!w) return BRIDGE_ENOMEM;
    list_node_init(&w->link);
    w->cb = cb;
    w->ud = ud;
    list_push_back(&o->waiters, &w->link);
    return 0;
}

void oauth_full_flow(oauth_t *o)
{
    if (!o->grant->needs_client) {
        /* No client to choose: with a token endpoint given there is nothing to discover. */
        if (o->cfg.token_endpoint || o->discovered)
            o->grant->start(o);
        else
            oauth_discover(o);
        return;
    }
    if (o->cfg.no_browser && o->client_static) {
        o->grant->start(o); /* fails at once, saying what to do instead */
        return;
    }
    /* Discover again when the server points at metadata we did not use. */
    int stale = !o->discovered || (o->challenge.resource_metadata && o->prm_url &&
                                   strcmp(o->challenge.resource_metadata, o->prm_url) != 0);
    if (stale) {
        o->discovered = 0;
        oauth_discover(o);
    } else {
        oauth_choose_client(o);
    }
}

/* What the run came to do, once it holds the lock and has read the store. */
void oauth_run_plan(oauth_t *o)
{
    switch (o->plan) {
    case OAUTH_PLAN_LOAD:
        oauth_finish(o, 0, NULL);
        break;
    case OAUTH_PLAN_STEPUP:
        oauth_full_flow(o);
        break;
    case OAUTH_PLAN_REFRESH:
        oauth_start_refresh(o);
        break;
    case OAUTH_PLAN_REAUTH:
        if (o->refresh_token && !o->discovered && o->grant->needs_client) {
            /* A stored sign-in refused: the server may name another
             * authorization server now (SEP-2352). Look before sending the
             * refresh token anywhere; discovery.c drops a sign-in from
             * another issuer, else refreshes. */
            o->refresh_after_discovery = 1;
            oauth_discover(o);
        } else if (o->refresh_token) {
            oauth_start_refresh(o);
        } else {
            /* The token was refused: the server may name another
             * authorization server now (SEP-2352); look again. */
            oauth_drop_tokens(o);
            if (o->grant->needs_client) o->discovered = 0;
            oauth_full_flow(o);
        }
        break;
    }
}

/* ---- public ------------------------------------------------------------------------- */

/* Wait for the run in progress, or start one: 1 when the caller starts it. */
static int join_or_start(oauth_t *o, oauth_done_cb cb, void *ud)
{
    assert(!o->dead);
    if (add_waiter(o, cb, ud) != 0) {
        cb(ud, BRIDGE_ENOMEM, "out of memory");
        return 0;
    }
    if (o->running) return 0;
    o->running = 1;
    return 1;
}

/* The run a 401 or 403 starts (oauth_handle_challenge, oauth_preflight). */
void oauth_start_challenge(oauth_t *o, long status, const char *www_authenticate)
{
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
            oauth_fail(o, BRIDGE_EHTTP,
                       "%s answered HTTP 403 (forbidden%s%s): the signed-in account may lack "
                       "access",
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
        o->plan = OAUTH_PLAN_STEPUP;
        oauth_begin_run(o);
        return;
    }
    if (o->challenge.scope) {
        /* A new 401 with a scope: the server's word on what to ask for. */
        free(o->requested_scope);
        o->requested_scope = NULL;
    }
    o->plan = OAUTH_PLAN_REAUTH;
    oauth_begin_run(o);
}

void oauth_handle_challenge(oauth_t *o, long status, const char *www_authenticate, oauth_done_cb cb,
                            void *ud)
{
    if (join_or_start(o, cb, ud)) oauth_start_challenge(o, status, www_authenticate);
}

void oauth_preflight(oauth_t *o, long status, const char *www_authenticate, oauth_done_cb cb,
                     void *ud)
{
    if (!join_or_start(o, cb, ud)) return;
    o->preflight = 1;
    oauth_wipe_str(&o->preflight_url);
    oauth_start_challenge(o, status, www_authenticate);
}

void oauth_refresh(oauth_t *o, oauth_done_cb cb, void *ud)
{
    if (!join_or_start(o, cb, ud)) return;
    oauth_challenge_free(&o->challenge);
    oauth_challenge_init(&o->challenge);
    o->plan = OAUTH_PLAN_REFRESH;
    oauth_begin_run(o);
}

void oauth_load(oauth_t *o, oauth_done_cb cb, void *ud)
{
    if (!join_or_start(o, cb, ud)) return;
    o->plan = OAUTH_PLAN_LOAD;
    oauth_begin_run(o);
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

static void on_timer_closed(uv_handle_t *h)
{
    oauth_t *o = h->data;
    o->timer_closed = 1;
    oauth_free_if_idle(o);
}

oauth_t *oauth_new(const oauth_config_t *cfg, char *err, size_t errlen)
{
    assert(cfg && cfg->loop && cfg->server_url);
    oauth_t *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->cfg = *cfg;
    o->grant = choose_grant(cfg);
    o->lock_fd = -1;
    list_init(&o->waiters);
    list_init(&o->fetches);
    list_init(&o->dpop_nonces);
    o->server_url = strdup(cfg->server_url);
    uv_timer_init(cfg->loop, &o->lock_timer);
    o->lock_timer.data = o;
    oauth_challenge_init(&o->challenge);
    if (cfg->static_client_info) {
        json_t *j =
            load_json_arg(cfg->static_client_info, "--static-oauth-client-info", err, errlen);
        if (!j || !json_str(j, "client_id")) {
            if (j) snprintf(err, errlen, "--static-oauth-client-info has no \"client_id\"");
            json_decref(j);
            oauth_free(o);
            return NULL;
        }
        oauth_set_str(&o->client_id, json_str(j, "client_id"));
        oauth_set_str(&o->client_secret, json_str(j, "client_secret"));
        oauth_set_str(&o->auth_method, json_str(j, "token_endpoint_auth_method"));
        o->client_static = 1;
        json_decref(j);
    }
    if (oauth_client_key_load(o, err, errlen) != 0) {
        oauth_free(o);
        return NULL;
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
    if (o->running) oauth_finish(o, BRIDGE_ECLOSED, "the bridge is shutting down");
}

static void really_free(oauth_t *o)
{
    assert(!o->running && list_empty(&o->fetches) && list_empty(&o->waiters));
    char **secrets[] = {&o->access_token,     &o->refresh_token,  &o->id_token,
                        &o->device_code,      &o->token_at_start, &o->header,
                        &o->client_secret,    &o->token_form,     &o->idp_id_token,
                        &o->idp_refresh_token};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        oauth_wipe_str(secrets[i]);
    char *plain[] = {o->granted_scope,
                     o->server_url,
                     o->prm_url,
                     o->resource,
                     o->issuer,
                     o->authorization_endpoint,
                     o->token_endpoint,
                     o->registration_endpoint,
                     o->revocation_endpoint,
                     o->idp_token_endpoint,
                     o->client_id,
                     o->auth_method,
                     o->redirect_uri,
                     o->kept_redirect_uri,
                     o->record_issuer,
                     o->registered_scope,
                     o->requested_scope,
                     o->preflight_url};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        free(plain[i]);
    json_decref(o->prm_scopes);
    json_decref(o->as_meta);
    json_decref(o->idp_meta);
    json_decref(o->static_metadata);
    oauth_client_key_free(o);
    oauth_dpop_forget(o);
    oauth_clear_candidates(o);
    oauth_challenge_free(&o->challenge);
    free(o);
}

void oauth_free_if_idle(oauth_t *o)
{
    assert(o->dead);
    if (o->store_ops == 0 && o->saves_pending == 0 && o->timer_closed) really_free(o);
}

void oauth_free(oauth_t *o)
{
    if (!o || o->dead) return;
    o->dead = 1; /* first: a waiter's callback below may call oauth_free again */
    /* Ends the run: its fetches are cancelled and the listener closed, so no
     * step runs later; the waiters hear BRIDGE_ECLOSED now. */
    oauth_cancel(o);
    oauth_release_lock(o);
    if (o->listener) oauth_callback_close(o->listener);
    o->listener = NULL;
    uv_close((uv_handle_t *)&o->lock_timer, on_timer_closed);
}
