/* Test-side JWS checking, written apart from oauth/jwt.c so that the tests do
 * not trust the code they test: splits a compact JWS, decodes its header and
 * claims, and verifies the signature with OpenSSL and the public key. */
#ifndef MCP_BRIDGE_TEST_JWS_CHECK_H
#define MCP_BRIDGE_TEST_JWS_CHECK_H

#include "bridge/base/b64url.h"

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

static inline json_t *jws_part_json(const char *p, size_t n)
{
    size_t len = 0;
    unsigned char *raw = b64url_decode(p, n, &len);
    json_t *j = raw ? json_loadb((const char *)raw, len, 0, NULL) : NULL;
    free(raw);
    return j;
}

/* 0 when jwt is three base64url parts whose signature verifies under key with
 * alg ("ES256", "RS256", "EdDSA"/"Ed25519"); header and claims are returned
 * (json_decref them) when not NULL. */
static inline int jws_check(const char *jwt, EVP_PKEY *key, const char *alg, json_t **header,
                            json_t **claims)
{
    const char *dot1 = strchr(jwt, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || strchr(dot2 + 1, '.')) return -1;
    json_t *h = jws_part_json(jwt, (size_t)(dot1 - jwt));
    json_t *c = jws_part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    size_t siglen = 0;
    unsigned char *sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
    int ok = h && c && sig && json_is_string(json_object_get(h, "alg")) &&
             strcmp(json_string_value(json_object_get(h, "alg")), alg) == 0;
    unsigned char der[80];
    const unsigned char *to_verify = sig;
    size_t verify_len = siglen;
    if (ok && !strcmp(alg, "ES256")) { /* r||s back to DER */
        ECDSA_SIG *es = ECDSA_SIG_new();
        ok = es && siglen == 64 &&
             ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) == 1;
        unsigned char *p = der;
        int n = ok ? i2d_ECDSA_SIG(es, &p) : -1;
        ok = ok && n > 0;
        verify_len = ok ? (size_t)n : 0;
        to_verify = der;
        ECDSA_SIG_free(es);
    }
    if (ok) {
        int eddsa = !strcmp(alg, "EdDSA") || !strcmp(alg, "Ed25519");
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        ok = ctx && EVP_DigestVerifyInit(ctx, NULL, eddsa ? NULL : EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(ctx, to_verify, verify_len, (const unsigned char *)jwt,
                              (size_t)(dot2 - jwt)) == 1;
        EVP_MD_CTX_free(ctx);
    }
    free(sig);
    if (ok && header) *header = json_incref(h);
    if (ok && claims) *claims = json_incref(c);
    json_decref(h);
    json_decref(c);
    return ok ? 0 : -1;
}

/* A private key of the given kind as PEM text ("pkcs8" or "traditional"), for
 * loading through the code under test. free() the result. */
static inline char *pem_of(EVP_PKEY *key, int traditional)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = traditional ? PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    char *data = NULL, *out = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (ok && n > 0 && (out = malloc((size_t)n + 1))) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(bio);
    return out;
}

#endif
