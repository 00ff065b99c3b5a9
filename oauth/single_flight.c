/* One sign-in or refresh at a time across processes: the run takes the
 * per-server lock (oauth/lock.c), then re-reads the stored record, since
 * another bridge may have signed in or refreshed while this one waited. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/lock.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void try_lock(oauth_t *o);

void oauth_release_lock(oauth_t *o)
{
    if (o->saves_pending) return; /* on_tokens_saved releases it */
    uv_timer_stop(&o->lock_timer);
    if (o->lock_fd >= 0) oauth_lock_release(o->lock_fd);
    o->lock_fd = -1;
    o->lock_waiting_said = 0;
}

static int token_fresh(const oauth_t *o)
{
    return o->access_token &&
           (!o->expires_at || time(NULL) + oauth_refresh_margin(o) < o->expires_at);
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
        const char *stored_at = json_str(doc, "access_token"),
                   *stored_rt = json_str(doc, "refresh_token");
        int newer = (stored_at && (!before || strcmp(stored_at, before) != 0)) ||
                    (stored_rt && (!refresh_before || strcmp(stored_rt, refresh_before) != 0));
        json_decref(doc);
        if (o->plan == OAUTH_PLAN_LOAD || (newer && o->plan != OAUTH_PLAN_STEPUP)) {
            if (oauth_apply_record(o, text) && o->plan != OAUTH_PLAN_LOAD) {
                log_info("using the tokens another mcp-bridge obtained for %s", o->server_url);
                if (token_fresh(o)) {
                    o->plan = OAUTH_PLAN_LOAD;
                } else if (o->refresh_token) {
                    o->plan = OAUTH_PLAN_REFRESH;
                }
            }
        }
        oauth_wipe_str(&before);
        oauth_wipe_str(&refresh_before);
    }
    if (text) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
    if (o->plan == OAUTH_PLAN_LOAD && o->access_token)
        log_debug("using stored tokens for %s (issuer %s)", o->server_url,
                  o->issuer ? o->issuer : "?");
    oauth_run_plan(o);
}

static void reload_record(oauth_t *o)
{
    char name[64];
    oauth_record_name(&o->cfg, name, sizeof name);
    if (!o->cfg.store || oauth_store_get(o, name, on_record_reloaded) != 0) oauth_run_plan(o);
}

static void on_lock_timer(uv_timer_t *t)
{
    try_lock(t->data);
}

static void try_lock(oauth_t *o)
{
    char name[64];
    oauth_record_name(&o->cfg, name, sizeof name);
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
    long limit =
        (o->cfg.auth_timeout_s > 0 ? o->cfg.auth_timeout_s : OAUTH_DEFAULT_AUTH_TIMEOUT_S) + 30;
    if (waited > (uint64_t)limit * 1000) {
        oauth_fail(o, BRIDGE_ETIMEOUT,
                   "another mcp-bridge has been signing in to %s for %lu s; giving up",
                   o->server_url, (unsigned long)(waited / 1000));
        return;
    }
    if (!o->lock_waiting_said) {
        o->lock_waiting_said = 1;
        log_info("another mcp-bridge is signing in to %s; waiting for it", o->server_url);
        if (o->cfg.on_signin) o->cfg.on_signin(o->cfg.on_signin_ud, NULL, NULL);
    }
    uv_timer_start(&o->lock_timer, on_lock_timer, 100, 0);
}

void oauth_begin_run(oauth_t *o)
{
    assert(o->running && o->plan >= OAUTH_PLAN_LOAD && o->plan <= OAUTH_PLAN_REFRESH);
    oauth_set_str(&o->token_at_start, o->access_token);
    if (o->plan == OAUTH_PLAN_LOAD || !o->cfg.store ||
        keychain_kind(o->cfg.store) == KEYCHAIN_MEMORY) {
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
