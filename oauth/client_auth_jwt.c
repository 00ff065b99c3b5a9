/* private_key_jwt client authentication (RFC 7523 §2.2) in the flow: the key
 * named by --client-private-key (a PEM file, or PEM text kept in the credential
 * store), the choice of this method over a secret, the public key offered in a
 * dynamic registration, and a fresh signed client assertion on every token
 * request. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "oauth/client_assertion.h"
#include "oauth/client_auth.h"
#include "oauth/jwk.h"
#include "oauth/jwt.h"
#include "oauth/token.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PRIVATE_KEY_JWT "private_key_jwt"

int oauth_client_key_store_name(const char *name, char *out, size_t n)
{
    assert(n > strlen(OAUTH_CLIENT_KEY_STORE_PREFIX) + OAUTH_CLIENT_KEY_NAME_MAX);
    out[0] = 0;
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > OAUTH_CLIENT_KEY_NAME_MAX) return BRIDGE_EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok) return BRIDGE_EINVAL;
    }
    snprintf(out, n, "%s%s", OAUTH_CLIENT_KEY_STORE_PREFIX, name);
    return 0;
}

int oauth_client_key_store(keychain_t *store, const char *name, const char *pem, char *why,
                           size_t whylen)
{
    assert(store && pem);
    char stored[OAUTH_CLIENT_KEY_NAME_MAX + 8];
    if (oauth_client_key_store_name(name, stored, sizeof stored) != 0) {
        snprintf(why, whylen,
                 "\"%.200s\" cannot name a key: use 1 to %d letters, digits, '.', '_' or '-'",
                 name ? name : "", OAUTH_CLIENT_KEY_NAME_MAX);
        return BRIDGE_EINVAL;
    }
    EVP_PKEY *key = NULL;
    char inner[200];
    int rc = oauth_jwt_key_from_pem(pem, strlen(pem), &key, inner, sizeof inner);
    if (rc) {
        snprintf(why, whylen, "nothing stored: %s", inner);
        return rc;
    }
    EVP_PKEY_free(key);
    char label[200];
    snprintf(label, sizeof label, "mcp-bridge client key %s", name);
    rc = keychain_put(store, stored, label, "key", name, pem);
    if (rc) snprintf(why, whylen, "could not store the key in %s", keychain_where(store));
    return rc;
}

/* --client-private-key keychain:NAME: the PEM text stored under NAME, read
 * once at start like a key file (the store is not yet in use by anything else,
 * so this blocking read races with no job of the store's). */
static int key_from_store(oauth_t *o, const char *name, char *err, size_t errlen)
{
    char stored[OAUTH_CLIENT_KEY_NAME_MAX + 8];
    if (oauth_client_key_store_name(name, stored, sizeof stored) != 0) {
        snprintf(err, errlen,
                 "--client-private-key keychain:%.200s: a key's name is 1 to %d letters, digits, "
                 "'.', '_' or '-'",
                 name, OAUTH_CLIENT_KEY_NAME_MAX);
        return BRIDGE_EINVAL;
    }
    char *pem = NULL;
    int rc = o->cfg.store ? keychain_get(o->cfg.store, stored, &pem) : BRIDGE_EINVAL;
    const char *where = o->cfg.store ? keychain_where(o->cfg.store) : "the credential store";
    if (rc == BRIDGE_EINVAL || (!rc && !pem)) {
        snprintf(err, errlen,
                 "--client-private-key keychain:%s: no key named %s in %s; store it there with: "
                 "mcp-bridge key store %s --from FILE",
                 name, name, where, name);
        return BRIDGE_EINVAL;
    }
    if (rc) {
        snprintf(err, errlen, "--client-private-key keychain:%s: cannot read %s: %s", name, where,
                 bridge_strerror(rc));
        return rc;
    }
    char inner[200];
    rc = oauth_jwt_key_from_pem(pem, strlen(pem), &o->client_key, inner, sizeof inner);
    OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
    if (rc == BRIDGE_EINVAL)
        snprintf(err, errlen, "--client-private-key keychain:%s: %s", name, inner);
    return rc;
}

int oauth_client_key_load(oauth_t *o, char *err, size_t errlen)
{
    assert(!o->client_key);
    const char *arg = o->cfg.client_private_key;
    if (!arg) return 0;
    size_t prefix = strlen(OAUTH_CLIENT_KEY_KEYCHAIN);
    if (!strncmp(arg, OAUTH_CLIENT_KEY_KEYCHAIN, prefix))
        return key_from_store(o, arg + prefix, err, errlen);
    /* Read now: a key file that is missing or readable by others is a
     * mistake to report at start, not at the first token request. */
    return oauth_jwt_key_load_file(arg, &o->client_key, err, errlen);
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

const char *oauth_client_registration_method(const oauth_t *o)
{
    const json_t *methods = json_object_get(o->as_meta, "token_endpoint_auth_methods_supported");
    if (o->client_key && json_array_has_str(methods, PRIVATE_KEY_JWT)) return PRIVATE_KEY_JWT;
    if (o->client_key)
        log_info("%s does not list private_key_jwt among its client authentication methods; "
                 "registering a client without the key of --client-private-key",
                 o->issuer ? o->issuer : o->registration_endpoint);
    return oauth_client_auth_for_registration(o->as_meta);
}

json_t *oauth_client_key_jwks(const oauth_t *o)
{
    assert(o->client_key);
    json_t *jwk = oauth_jwk_public(o->client_key); /* every key we load has one */
    if (!jwk) return NULL;
    json_object_set_new(jwk, "use", json_string("sig"));
    /* The kid of --client-key-id goes in every assertion's header: the AS
     * finds the key by it. */
    if (o->cfg.client_key_id) json_object_set_new(jwk, "kid", json_string(o->cfg.client_key_id));
    return json_pack("{s:[o]}", "keys", jwk);
}

void oauth_client_key_free(oauth_t *o)
{
    EVP_PKEY_free(o->client_key); /* OpenSSL clears the key material */
    o->client_key = NULL;
}
