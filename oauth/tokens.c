/* The tokens a flow holds: the Authorization header made from them, what the
 * relay and the commands may read, and when to refresh them. */
#include "oauth/oauth_int.h"
#include "bridge/base/log.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REFRESH_MARGIN_S 60 /* refresh this long before expiry, or a quarter of the lifetime */

/* How long before expiry to refresh: a minute, but at most a quarter of the
 * token's lifetime, so that short-lived tokens are used before being renewed. */
long oauth_refresh_margin(const oauth_t *o)
{
    long lifetime = o->lifetime;
    if (lifetime <= 0 && o->expires_at) {
        /* From the store: what is left is the best guess of the lifetime. */
        lifetime = (long)(o->expires_at - time(NULL));
    }
    if (lifetime > 0 && lifetime / 4 < REFRESH_MARGIN_S) return lifetime / 4;
    return REFRESH_MARGIN_S;
}

void oauth_set_tokens_header(oauth_t *o)
{
    oauth_wipe_str(&o->header);
    /* --use-id-token: the server wants the OpenID Connect ID token instead. */
    const char *cred = o->cfg.use_id_token && o->id_token ? o->id_token : o->access_token;
    if (cred) {
        size_t n = strlen(cred) + sizeof "Authorization: Bearer ";
        o->header = malloc(n);
        if (o->header)
            snprintf(o->header, n, "Authorization: %s %s", o->dpop_token ? "DPoP" : "Bearer", cred);
    }
    o->generation++;
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
           time(NULL) + oauth_refresh_margin(o) >= o->expires_at && !o->running;
}
