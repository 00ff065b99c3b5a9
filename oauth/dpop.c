/* DPoP key pairs (generation, private JWK export and bounded import) and proof
 * JWTs. Signing is oauth/jwt.c's; the public JWK and thumbprint oauth/jwk.c's. */
#include "oauth/dpop.h"
#include "oauth/jwt.h"
#include "oauth/pkce.h"
#include "bridge/base/b64url.h"
#include "bridge/base/err.h"

#include <assert.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/ec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P256 32 /* bytes of a coordinate and of the private scalar */

int oauth_dpop_key_generate(EVP_PKEY **out)
{
    *out = EVP_EC_gen("P-256");
    ERR_clear_error();
    return *out ? 0 : BRIDGE_EIO;
}

int oauth_dpop_key_export(EVP_PKEY *key, char **jwk_json)
{
    *jwk_json = NULL;
    oauth_jwt_alg_t alg;
    if (oauth_jwt_key_alg(key, &alg) < 0 || alg != OAUTH_JWT_ES256) return BRIDGE_EINVAL;
    json_t *pub = oauth_jwk_public(key);
    BIGNUM *priv = NULL;
    unsigned char d[P256];
    char d_b64[B64URL_ENCODED_LEN(P256) + 1];
    int rc = pub ? 0 : BRIDGE_ENOMEM;
    if (!rc && (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1 ||
                BN_bn2binpad(priv, d, P256) != P256))
        rc = BRIDGE_EIO;
    if (!rc) {
        b64url_encode(d, P256, d_b64);
        /* Written by hand so the only copy of d is the caller's string. */
        size_t cap = 128 + 3 * sizeof d_b64;
        char *s = malloc(cap);
        if (!s)
            rc = BRIDGE_ENOMEM;
        else {
            snprintf(s, cap,
                     "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}",
                     json_string_value(json_object_get(pub, "x")),
                     json_string_value(json_object_get(pub, "y")), d_b64);
            *jwk_json = s;
        }
    }
    OPENSSL_cleanse(d, sizeof d);
    OPENSSL_cleanse(d_b64, sizeof d_b64);
    BN_clear_free(priv);
    json_decref(pub);
    ERR_clear_error();
    return rc;
}

/* The member `name` decoded from base64url, exactly P256 bytes, into out. */
static int member_p256(const json_t *jwk, const char *name, unsigned char out[P256])
{
    const json_t *v = json_object_get(jwk, name);
    if (!json_is_string(v) || json_string_length(v) != B64URL_ENCODED_LEN(P256))
        return BRIDGE_EINVAL;
    size_t n = 0;
    unsigned char *raw = b64url_decode(json_string_value(v), json_string_length(v), &n);
    int rc = raw && n == P256 ? 0 : BRIDGE_EINVAL;
    if (!rc) memcpy(out, raw, P256);
    if (raw) OPENSSL_cleanse(raw, n);
    free(raw);
    return rc;
}

static int is_str(const json_t *jwk, const char *name, const char *want)
{
    const json_t *v = json_object_get(jwk, name);
    return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* Builds the key from its parts and checks that the point is on the curve and
 * belongs to d (EVP_PKEY_check), so a corrupted JWK is refused now, not at the AS. */
static int key_from_parts(const unsigned char x[P256], const unsigned char y[P256],
                          const unsigned char d[P256], EVP_PKEY **out)
{
    unsigned char point[1 + 2 * P256];
    point[0] = 0x04; /* uncompressed (SEC 1 §2.3.3) */
    memcpy(point + 1, x, P256);
    memcpy(point + 1 + P256, y, P256);
    BIGNUM *priv = BN_secure_new();
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL), *check = NULL;
    int rc = BRIDGE_ENOMEM;
    if (priv && bld && ctx && BN_bin2bn(d, P256, priv) &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) &&
        (params = OSSL_PARAM_BLD_to_param(bld))) {
        rc = BRIDGE_EINVAL;
        if (EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) == 1 &&
            (check = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL)) && EVP_PKEY_check(check) == 1)
            rc = 0;
    }
    if (rc && *out) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    EVP_PKEY_CTX_free(check);
    OSSL_PARAM_free(params); /* d was pushed from a secure BIGNUM: its copy is cleared */
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(priv);
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

int oauth_dpop_key_import(const char *json, size_t len, EVP_PKEY **out)
{
    *out = NULL;
    if (len > OAUTH_DPOP_JWK_MAX) return BRIDGE_ETOOBIG;
    json_t *jwk = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    unsigned char x[P256], y[P256], d[P256];
    int rc = json_is_object(jwk) && is_str(jwk, "kty", "EC") && is_str(jwk, "crv", "P-256")
                 ? 0
                 : BRIDGE_EINVAL;
    if (!rc) rc = member_p256(jwk, "x", x);
    if (!rc) rc = member_p256(jwk, "y", y);
    if (!rc) rc = member_p256(jwk, "d", d);
    if (!rc) rc = key_from_parts(x, y, d, out);
    OPENSSL_cleanse(d, sizeof d);
    const json_t *dv = json_object_get(jwk, "d");
    /* jansson frees its strings without wiping them; the private scalar is wiped here. */
    if (json_is_string(dv)) OPENSSL_cleanse((char *)json_string_value(dv), json_string_length(dv));
    json_decref(jwk);
    return rc;
}

int oauth_dpop_jkt(EVP_PKEY *key, char out[OAUTH_JWK_THUMBPRINT_LEN + 1])
{
    json_t *pub = oauth_jwk_public(key);
    int rc = pub ? oauth_jwk_thumbprint(pub, out) : BRIDGE_EINVAL;
    json_decref(pub);
    return rc;
}

/* ath: base64url(SHA-256(the access token)), RFC 9449 §4.2. */
static int token_hash(const char *token, char out[OAUTH_JWK_THUMBPRINT_LEN + 1])
{
    unsigned char digest[32];
    unsigned int n = 0;
    if (EVP_Digest(token, strlen(token), digest, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return BRIDGE_EIO;
    b64url_encode(digest, n, out);
    return 0;
}

int oauth_dpop_proof(EVP_PKEY *key, const char *htm, const char *url, const char *access_token,
                     const char *nonce, time_t now, char **out)
{
    assert(key && htm && url);
    *out = NULL;
    oauth_jwt_alg_t alg;
    size_t htu_len = strcspn(url, "?#");
    if (!*htm || htu_len == 0) return BRIDGE_EINVAL;
    if (oauth_jwt_key_alg(key, &alg) < 0 || alg != OAUTH_JWT_ES256) return BRIDGE_EINVAL;
    char jti[OAUTH_STATE_LEN + 1], ath[OAUTH_JWK_THUMBPRINT_LEN + 1];
    int rc = oauth_random_state(jti);
    if (!rc && access_token) rc = token_hash(access_token, ath);
    if (rc) return rc;
    json_t *header = json_pack("{s:s, s:o*}", "typ", "dpop+jwt", "jwk", oauth_jwk_public(key));
    json_t *claims = json_pack("{s:s, s:s, s:s%, s:I}", "jti", jti, "htm", htm, "htu", url, htu_len,
                               "iat", (json_int_t)now);
    if (claims && access_token && json_object_set_new(claims, "ath", json_string(ath)) < 0)
        rc = BRIDGE_ENOMEM;
    if (claims && nonce && json_object_set_new(claims, "nonce", json_string(nonce)) < 0)
        rc = BRIDGE_ENOMEM;
    if (!header || !claims || json_object_size(header) != 2) rc = BRIDGE_ENOMEM;
    if (!rc) rc = oauth_jwt_sign(key, OAUTH_JWT_ES256, header, claims, out);
    json_decref(header);
    json_decref(claims);
    return rc;
}
