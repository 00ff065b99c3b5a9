/* private_key_jwt client authentication (RFC 7523 §2.2) in the flow: the key
 * named by --client-private-key, the choice of this method over a secret, and a
 * fresh signed client assertion on every token request. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/client_assertion.h"
#include "oauth/client_auth.h"
#include "oauth/jwt.h"
#include "oauth/token.h"

#include <assert.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PRIVATE_KEY_JWT "private_key_jwt"

int oauth_client_key_load(oauth_t *o, char *err, size_t errlen)
{
    assert(!o->client_key);
    if (!o->cfg.client_private_key) return 0;
    /* Read now: a key file that is missing or readable by others is a
     * mistake to report at start, not at the first token request. */
    return oauth_jwt_key_load_file(o->cfg.client_private_key, &o->client_key, err, errlen);
}

const char *oauth_client_auth_method(const oauth_t *o)
{
    if (o->client_key) {
        const json_t *methods =
            json_object_get(o->as_meta, "token_endpoint_auth_methods_supported");
        if (!json_is_array(methods) || json_array_has_str(methods, PRIVATE_KEY_JWT))
            return PRIVATE_KEY_JWT;
        log_info("%s does not list private_key_jwt among its client authentication methods; "
                 "not using the key of --client-private-key",
                 o->issuer ? o->issuer : o->token_endpoint);
    }
    return oauth_client_auth_choose(o->as_meta, o->client_secret != NULL);
}

int oauth_client_auth_private_key_jwt(oauth_t *o, buf_t *form)
{
    assert(o->running && o->auth_method && !strcmp(o->auth_method, PRIVATE_KEY_JWT));
    if (!o->client_key) {
        snprintf(o->refused, sizeof o->refused,
                 "client %s authenticates with private_key_jwt, but no key was given: pass the "
                 "client's private key with --client-private-key FILE",
                 o->client_id ? o->client_id : "(none)");
        return BRIDGE_EPROTO;
    }
    if (!o->client_id) return BRIDGE_EINVAL;
    oauth_jwt_alg_t alg;
    const json_t *algs =
        json_object_get(o->as_meta, "token_endpoint_auth_signing_alg_values_supported");
    char why[300];
    if (oauth_jwt_choose_alg(o->client_key, algs, &alg, why, sizeof why) != 0) {
        snprintf(o->refused, sizeof o->refused, "%s: %s", o->issuer ? o->issuer : "the server",
                 why);
        return BRIDGE_EPROTO;
    }
    /* The audience is the AS's issuer identifier; with the token endpoint named
     * in advance (no discovery) that is all we know of the AS. */
    const char *aud = o->issuer ? o->issuer : o->token_endpoint;
    int rc = oauth_client_assertion_form(form, o->client_key, alg, o->client_id, aud,
                                         o->cfg.client_key_id, time(NULL));
    /* RFC 7523 §3.1: client_id is optional with an assertion; sent as the
     * token request of RFC 6749 §4.1.3 names the client. */
    if (!rc) rc = oauth_form_add(form, "client_id", o->client_id);
    return rc;
}

void oauth_client_key_free(oauth_t *o)
{
    EVP_PKEY_free(o->client_key); /* OpenSSL clears the key material */
    o->client_key = NULL;
}
