/* Public JWKs and RFC 7638 thumbprints. The thumbprint input is built by hand
 * rather than by jansson so that member order and escaping are exactly the
 * RFC's, whatever the serializer does. */
#include "oauth/jwk.h"
#include "bridge/base/b64url.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"

#include <assert.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <string.h>

#define P256_COORD 32
#define ED25519_LEN 32
#define RSA_MAX_BYTES 2048 /* 16384-bit modulus */

/* A BIGNUM parameter of key as base64url of its big-endian bytes, padded to pad
 * bytes when pad is non-zero (EC coordinates have a fixed width, RFC 7518 §6.2.1.2). */
static json_t *bn_param_b64(EVP_PKEY *key, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char bytes[RSA_MAX_BYTES];
    json_t *out = NULL;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return NULL;
    int n = pad ? (BN_num_bytes(bn) <= pad ? BN_bn2binpad(bn, bytes, pad) : -1)
                : (BN_num_bytes(bn) <= RSA_MAX_BYTES ? BN_bn2bin(bn, bytes) : -1);
    if (n > 0) {
        char enc[B64URL_ENCODED_LEN(RSA_MAX_BYTES) + 1];
        b64url_encode(bytes, (size_t)n, enc);
        out = json_string(enc);
    }
    BN_free(bn);
    return out;
}

json_t *oauth_jwk_public(EVP_PKEY *key)
{
    assert(key);
    json_t *jwk = NULL;
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[32];
        size_t n = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &n) != 1 ||
            strcmp(group, "prime256v1") != 0)
            return NULL;
        jwk = json_pack("{s:s, s:s, s:o*, s:o*}", "kty", "EC", "crv", "P-256", "x",
                        bn_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, P256_COORD), "y",
                        bn_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, P256_COORD));
        if (jwk && json_object_size(jwk) != 4) json_decref(jwk), jwk = NULL;
    } else if (EVP_PKEY_is_a(key, "RSA")) {
        jwk = json_pack("{s:s, s:o*, s:o*}", "kty", "RSA", "n",
                        bn_param_b64(key, OSSL_PKEY_PARAM_RSA_N, 0), "e",
                        bn_param_b64(key, OSSL_PKEY_PARAM_RSA_E, 0));
        if (jwk && json_object_size(jwk) != 3) json_decref(jwk), jwk = NULL;
    } else if (EVP_PKEY_is_a(key, "ED25519")) {
        unsigned char pub[ED25519_LEN];
        size_t n = sizeof pub;
        char enc[B64URL_ENCODED_LEN(ED25519_LEN) + 1];
        if (EVP_PKEY_get_raw_public_key(key, pub, &n) != 1 || n != ED25519_LEN) return NULL;
        b64url_encode(pub, n, enc);
        jwk = json_pack("{s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "x", enc);
    }
    return jwk;
}

static int b64url_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Appends "name":"value" for a member that must be a bounded base64url string
 * (crv values such as P-256 and Ed25519 fit the same alphabet). */
static int add_member(buf_t *b, const json_t *jwk, const char *name)
{
    const json_t *v = json_object_get(jwk, name);
    if (!json_is_string(v)) return BRIDGE_EINVAL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > OAUTH_JWK_MEMBER_MAX) return BRIDGE_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!b64url_char((unsigned char)s[i])) return BRIDGE_EINVAL;
    return buf_printf(b, "%s\"%s\":\"%s\"", b->len > 1 ? "," : "", name, s);
}

int oauth_jwk_thumbprint(const json_t *jwk, char out[OAUTH_JWK_THUMBPRINT_LEN + 1])
{
    static const char *const ec[] = {"crv", "kty", "x", "y", NULL};
    static const char *const rsa[] = {"e", "kty", "n", NULL};
    static const char *const okp[] = {"crv", "kty", "x", NULL};
    const char *kty = json_is_object(jwk) ? json_string_value(json_object_get(jwk, "kty")) : NULL;
    const char *const *members = !kty                  ? NULL
                                 : !strcmp(kty, "EC")  ? ec
                                 : !strcmp(kty, "RSA") ? rsa
                                 : !strcmp(kty, "OKP") ? okp
                                                       : NULL;
    if (!members) return BRIDGE_EINVAL;
    buf_t b;
    buf_init(&b, 4 * OAUTH_JWK_MEMBER_MAX + 64);
    int rc = buf_append_byte(&b, '{');
    for (size_t i = 0; !rc && members[i]; i++)
        rc = add_member(&b, jwk, members[i]);
    if (!rc) rc = buf_append_byte(&b, '}');
    unsigned char digest[32];
    unsigned int dlen = 0;
    if (!rc && EVP_Digest(b.data, b.len, digest, &dlen, EVP_sha256(), NULL) != 1) rc = BRIDGE_EIO;
    if (!rc) b64url_encode(digest, dlen, out);
    buf_free(&b);
    return rc == BRIDGE_ETOOBIG ? BRIDGE_EINVAL : rc;
}
