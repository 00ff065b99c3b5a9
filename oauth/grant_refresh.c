/* The refresh token grant (RFC 6749 §6): renewing the access token ahead of
 * expiry or after a 401; a refused refresh falls back to a full sign-in. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/browser.h"
#include "oauth/token.h"

#include <assert.h>
#include <string.h>
#include <time.h>

static void on_refreshed(void *ud, const oauth_fetch_result_t *res)
{
    oauth_t *o = ud;
    char why[512];
    oauth_trace(o, OAUTH_TRACE_REFRESH, o->token_endpoint, res->status,
                !res->rc && res->status >= 200 && res->status < 300, res->rc ? res->why : NULL);
    if (oauth_token_answer(o, res, "refreshing the token", "access token refreshed", 0, why,
                           sizeof why))
        return;
    const char *err = json_str(res->json, "error");
    if (res->status >= 200 && res->status < 300)
        log_error("the token endpoint %s answered the refresh with an unusable response: %s",
                  o->token_endpoint, why);
    else
        log_info("refresh refused by %s (HTTP %ld%s%s); signing in again", o->token_endpoint,
                 res->status, err ? ", " : "", err ? err : "");
    /* invalid_grant (or anything else): the refresh token is of no more use. */
    oauth_drop_tokens(o);
    oauth_save_tokens(o);
    if (err && (!strcmp(err, "invalid_client") || !strcmp(err, "unauthorized_client")))
        oauth_drop_registration(o);
    oauth_full_flow(o);
}

void oauth_start_refresh(oauth_t *o)
{
    assert(o->running);
    if (o->cfg.client_credentials && !o->refresh_token) {
        oauth_full_flow(o); /* nothing to refresh with: ask again */
        return;
    }
    if (o->refresh_token && o->client_id && !o->token_endpoint && !o->discovered) {
        /* A refresh token given from outside (--refresh-token-file, import):
         * find the token endpoint first. */
        o->refresh_after_discovery = 1;
        oauth_discover(o);
        return;
    }
    if (o->token_endpoint && !o->discovered &&
        !oauth_browser_url_ok(o->token_endpoint, o->cfg.allow_http)) {
        /* Stored by a run with --allow-http, or imported: this run's policy
         * decides. Ask the server where its token endpoint is now. */
        log_info("the stored token endpoint %s is not https; looking up the current one",
                 o->token_endpoint);
        oauth_set_str(&o->token_endpoint, NULL);
        if (o->refresh_token && o->client_id) {
            o->refresh_after_discovery = 1;
            oauth_discover(o);
        } else {
            oauth_full_flow(o);
        }
        return;
    }
    if (!o->token_endpoint || !o->client_id || !o->refresh_token) {
        oauth_full_flow(o);
        return;
    }
    buf_t form;
    buf_init_secret(&form, 0);
    int rc = oauth_form_add(&form, "grant_type", "refresh_token");
    if (!rc) rc = oauth_form_add(&form, "refresh_token", o->refresh_token);
    log_debug("refreshing the access token at %s", o->token_endpoint);
    if (!rc) rc = oauth_token_request(o, &form, on_refreshed);
    if (rc) oauth_fail(o, rc, "cannot refresh the token: %s", oauth_token_request_failure(o, rc));
}
