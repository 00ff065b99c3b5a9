/* OpenID Connect ID token checks (Core §3.1.3.7, §3.1.2.1 nonce): the compact
 * JWS is split and decoded within bounds, its signature verified with a key of
 * the IdP's JWK Set, and its claims compared with what the sign-in expects. */
#include "oauth/id_token.h"
#include "bridge/base/b64url.h"
#include "bridge/base/err.h"
#include "oauth/token.h"

#include <assert.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { ALG_ES256, ALG_RS256, ALG_EDDSA, ALG_UNKNOWN } alg_t;

static alg_t alg_of(const char *name)
{
    if (!name) return ALG_UNKNOWN;
    if (!strcmp(name, "ES256")) return ALG_ES256;
    if (!strcmp(name, "RS256")) return ALG_RS256;
    if (!strcmp(name, "EdDSA") || !strcmp(name, "Ed25519")) return ALG_EDDSA;
    return ALG_UNKNOWN;
}

/* A JWK member decoded from base64url; NULL when absent, malformed or too long. */
static unsigned char *member(const json_t *jwk, const char *name, size_t *len)
{
    const json_t *v = json_object_get(jwk, name);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 2048)
        return NULL;
    return b64url_decode(json_string_value(v), json_string_length(v), len);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *key = NULL;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return key;
}

static EVP_PKEY *ec_key(const json_t *jwk)
{
    if (!json_is_string(json_object_get(jwk, "crv")) ||
        strcmp(json_string_value(json_object_get(jwk, "crv")), "P-256"))
        return NULL;
    size_t xl = 0, yl = 0;
    unsigned char *x = member(jwk, "x", &xl), *y = member(jwk, "y", &yl);
    EVP_PKEY *key = NULL;
    if (x && y && xl == 32 && yl == 32) {
        unsigned char point[65];
        point[0] = 0x04; /* uncompressed */
        memcpy(point + 1, x, 32);
        memcpy(point + 33, y, 32);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        if (bld &&
            OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
            key = from_params("EC", bld);
        OSSL_PARAM_BLD_free(bld);
    }
    free(x);
    free(y);
    return key;
}

static EVP_PKEY *rsa_key(const json_t *jwk)
{
    size_t nl = 0, el = 0;
    unsigned char *n = member(jwk, "n", &nl), *e = member(jwk, "e", &el);
    EVP_PKEY *key = NULL;
    BIGNUM *bn_n = n ? BN_bin2bn(n, (int)nl, NULL) : NULL,
           *bn_e = e ? BN_bin2bn(e, (int)el, NULL) : NULL;
    if (bn_n && bn_e && BN_num_bits(bn_n) >= 2048 && BN_num_bits(bn_n) <= 8192) {
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        if (bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
            key = from_params("RSA", bld);
        OSSL_PARAM_BLD_free(bld);
    }
    BN_free(bn_n);
    BN_free(bn_e);
    free(n);
    free(e);
    return key;
}

static EVP_PKEY *okp_key(const json_t *jwk)
{
    if (!json_is_string(json_object_get(jwk, "crv")) ||
        strcmp(json_string_value(json_object_get(jwk, "crv")), "Ed25519"))
        return NULL;
    size_t xl = 0;
    unsigned char *x = member(jwk, "x", &xl);
    EVP_PKEY *key =
        x && xl == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl) : NULL;
    free(x);
    return key;
}

/* The public key of a JWK usable for alg (kty, use and alg members agreeing). */
static EVP_PKEY *key_for(const json_t *jwk, alg_t alg, const char *alg_name)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *use = json_string_value(json_object_get(jwk, "use"));
    const char *jwk_alg = json_string_value(json_object_get(jwk, "alg"));
    if (!kty || (use && strcmp(use, "sig")) || (jwk_alg && strcmp(jwk_alg, alg_name))) return NULL;
    if (alg == ALG_ES256 && !strcmp(kty, "EC")) return ec_key(jwk);
    if (alg == ALG_RS256 && !strcmp(kty, "RSA")) return rsa_key(jwk);
    if (alg == ALG_EDDSA && !strcmp(kty, "OKP")) return okp_key(jwk);
    return NULL;
}

/* A JWS ES256 signature is r||s; OpenSSL verifies DER. */
static unsigned char *es256_der(const unsigned char *sig, size_t len, size_t *derlen)
{
    if (len != 64) return NULL;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;
    if (s && r && ss && ECDSA_SIG_set0(s, r, ss) == 1) {
        r = ss = NULL; /* owned by s now */
        int n = i2d_ECDSA_SIG(s, &der);
        if (n <= 0) der = NULL;
        *derlen = n > 0 ? (size_t)n : 0;
    }
    BN_free(r);
    BN_free(ss);
    ECDSA_SIG_free(s);
    return der;
}

static int verify_with(EVP_PKEY *key, alg_t alg, const char *input, size_t inlen,
                       const unsigned char *sig, size_t siglen)
{
    unsigned char *der = NULL;
    size_t derlen = 0;
    if (alg == ALG_ES256) {
        der = es256_der(sig, siglen, &derlen);
        if (!der) return 0;
        sig = der;
        siglen = derlen;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok =
        ctx &&
        EVP_DigestVerifyInit(ctx, NULL, alg == ALG_EDDSA ? NULL : EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)input, inlen) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return ok;
}

/* 0 when a key of the set (the one named by kid, when the header names one)
 * verifies the signature. */
static int verify_signature(const json_t *jwks, const char *kid, alg_t alg, const char *alg_name,
                            const char *input, size_t inlen, const unsigned char *sig,
                            size_t siglen, char *why, size_t whylen)
{
    const json_t *keys = json_object_get(jwks, "keys");
    if (!json_is_array(keys)) {
        snprintf(why, whylen, "the IdP's JWK Set has no \"keys\" array");
        return BRIDGE_EPROTO;
    }
    size_t i, candidates = 0;
    const json_t *jwk;
    json_array_foreach (keys, i, jwk) {
        if (i >= 64) break; /* a set of more keys than any IdP publishes */
        const char *k = json_string_value(json_object_get(jwk, "kid"));
        if (kid && (!k || strcmp(k, kid))) continue;
        EVP_PKEY *key = key_for(jwk, alg, alg_name);
        if (!key) continue;
        candidates++;
        int ok = verify_with(key, alg, input, inlen, sig, siglen);
        EVP_PKEY_free(key);
        if (ok) return 0;
    }
    snprintf(why, whylen,
             candidates ? "an ID token whose %s signature no key of the IdP's JWK Set verifies"
                        : "an ID token signed (%s) with a key the IdP's JWK Set does not hold",
             alg_name);
    return BRIDGE_EPROTO;
}

/* A part of the JWS decoded as a JSON object. */
static json_t *decode_object(const char *part, size_t len)
{
    size_t n = 0;
    unsigned char *raw = b64url_decode(part, len, &n);
    json_t *j = raw ? json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(raw);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static int audience_ok(const json_t *claims, const char *client_id)
{
    const json_t *aud = json_object_get(claims, "aud");
    if (json_is_string(aud)) return !strcmp(json_string_value(aud), client_id);
    if (!json_is_array(aud)) return 0;
    size_t i;
    const json_t *a;
    int found = 0;
    json_array_foreach (aud, i, a)
        if (json_is_string(a) && !strcmp(json_string_value(a), client_id)) found = 1;
    /* Core §3.1.3.7 (4, 5): with other audiences, azp names the client. */
    const json_t *azp = json_object_get(claims, "azp");
    if (found && json_array_size(aud) > 1 && azp &&
        (!json_is_string(azp) || strcmp(json_string_value(azp), client_id)))
        return 0;
    return found;
}

static int check_claims(const json_t *c, const oauth_id_token_expect_t *want, time_t *exp,
                        char *why, size_t whylen)
{
    const char *iss = json_string_value(json_object_get(c, "iss"));
    if (!iss || strcmp(iss, want->issuer)) {
        snprintf(why, whylen, "an ID token from issuer \"%.200s\", not %s", iss ? iss : "(none)",
                 want->issuer);
        return BRIDGE_EPROTO;
    }
    if (!audience_ok(c, want->client_id)) {
        snprintf(why, whylen, "an ID token whose audience is not client %s", want->client_id);
        return BRIDGE_EPROTO;
    }
    const json_t *e = json_object_get(c, "exp");
    if (!json_is_number(e) || !json_is_string(json_object_get(c, "sub"))) {
        snprintf(why, whylen, "an ID token without exp or sub");
        return BRIDGE_EPROTO;
    }
    double expires = json_number_value(e);
    if (!(expires > (double)want->now)) {
        snprintf(why, whylen, "an ID token that has expired");
        return BRIDGE_EPROTO;
    }
    if (want->nonce) {
        const char *nonce = json_string_value(json_object_get(c, "nonce"));
        if (!nonce || strlen(nonce) != strlen(want->nonce) ||
            CRYPTO_memcmp(nonce, want->nonce, strlen(nonce)) != 0) {
            snprintf(why, whylen, "an ID token whose nonce is not the one of this sign-in");
            return BRIDGE_EPROTO;
        }
    }
    if (exp) *exp = expires > 4e12 ? (time_t)4e12 : (time_t)expires;
    return 0;
}

int oauth_id_token_check(const char *id_token, const oauth_id_token_expect_t *want, time_t *exp,
                         char *why, size_t whylen)
{
    assert(want && want->issuer && want->client_id);
    if (!id_token || !oauth_token_printable(id_token)) {
        snprintf(why, whylen, "an ID token that is not a printable string of at most %d bytes",
                 OAUTH_TOKEN_MAX);
        return BRIDGE_EPROTO;
    }
    const char *dot1 = strchr(id_token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        snprintf(why, whylen, "an ID token that is not a signed JWT (three parts)");
        return BRIDGE_EPROTO;
    }
    json_t *header = decode_object(id_token, (size_t)(dot1 - id_token));
    json_t *claims = decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    size_t siglen = 0;
    unsigned char *sig = *(dot2 + 1) ? b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen) : NULL;
    int rc = 0;
    const char *alg_name = json_string_value(json_object_get(header, "alg"));
    alg_t alg = alg_of(alg_name);
    if (!header || !claims || !sig) {
        snprintf(why, whylen, "an ID token that is not a well-formed JWS");
        rc = BRIDGE_EPROTO;
    } else if (alg == ALG_UNKNOWN) {
        snprintf(why, whylen, "an ID token signed with \"%.40s\" (ES256, RS256 or EdDSA taken)",
                 alg_name ? alg_name : "(no alg)");
        rc = BRIDGE_EPROTO;
    } else if (json_object_get(header, "crit")) {
        snprintf(why, whylen, "an ID token with critical header parameters");
        rc = BRIDGE_EPROTO;
    }
    if (!rc && want->jwks)
        rc = verify_signature(want->jwks, json_string_value(json_object_get(header, "kid")), alg,
                              alg_name, id_token, (size_t)(dot2 - id_token), sig, siglen, why,
                              whylen);
    if (!rc) rc = check_claims(claims, want, exp, why, whylen);
    free(sig);
    json_decref(header);
    json_decref(claims);
    return rc;
}
