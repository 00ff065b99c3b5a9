/* Client assertions for private_key_jwt. The audience is the issuer identifier,
 * not the token endpoint: one value that every endpoint of the AS accepts. */
#include "oauth/client_assertion.h"
#include "oauth/pkce.h"
#include "oauth/token.h"
#include "bridge/base/err.h"

#include <assert.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

int oauth_client_assertion(EVP_PKEY *key, oauth_jwt_alg_t alg, const char *client_id,
                           const char *issuer, const char *kid, time_t now, char **out)
{
    assert(key);
    *out = NULL;
    if (!client_id || !*client_id || !issuer || !*issuer) return BRIDGE_EINVAL;
    char jti[OAUTH_STATE_LEN + 1];
    int rc = oauth_random_state(jti);
    if (rc) return rc;
    json_t *header = kid ? json_pack("{s:s}", "kid", kid) : json_object();
    json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", client_id, "sub", client_id,
                               "aud", issuer, "jti", jti, "iat", (json_int_t)now, "exp",
                               (json_int_t)now + OAUTH_CLIENT_ASSERTION_LIFETIME);
    rc = header && claims ? oauth_jwt_sign(key, alg, header, claims, out) : BRIDGE_EINVAL;
    json_decref(header);
    json_decref(claims);
    return rc;
}

int oauth_client_assertion_form(buf_t *form, EVP_PKEY *key, oauth_jwt_alg_t alg,
                                const char *client_id, const char *issuer, const char *kid,
                                time_t now)
{
    char *assertion = NULL;
    int rc = oauth_client_assertion(key, alg, client_id, issuer, kid, now, &assertion);
    if (!rc) rc = oauth_form_add(form, "client_assertion_type", OAUTH_CLIENT_ASSERTION_TYPE);
    if (!rc) rc = oauth_form_add(form, "client_assertion", assertion);
    if (assertion) OPENSSL_cleanse(assertion, strlen(assertion));
    free(assertion);
    return rc;
}
