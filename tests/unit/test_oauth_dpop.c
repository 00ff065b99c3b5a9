/* oauth/dpop.c and oauth/dpop_nonce.c: key export and bounded import, proofs
 * verified independently, the RFC 9449 ath example, nonces and use_dpop_nonce. */
#include "check.h"
#include "jws_check.h"
#include "oauth/dpop.h"
#include "oauth/dpop_nonce.h"
#include "bridge/base/err.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>

static int import_str(const char *s, EVP_PKEY **out)
{
    return oauth_dpop_key_import(s, strlen(s), out);
}

static void test_key_roundtrip(void)
{
    EVP_PKEY *key = NULL, *back = NULL;
    char *jwk = NULL;
    CHECK(oauth_dpop_key_generate(&key) == 0 && key);
    CHECK(oauth_dpop_key_export(key, &jwk) == 0 && jwk);
    CHECK(jwk && strstr(jwk, "\"kty\":\"EC\"") && strstr(jwk, "\"d\":\""));
    CHECK(jwk && import_str(jwk, &back) == 0 && back);
    CHECK(back && EVP_PKEY_eq(key, back) == 1);
    char a[OAUTH_JWK_THUMBPRINT_LEN + 1] = "", b[OAUTH_JWK_THUMBPRINT_LEN + 1] = "";
    CHECK(oauth_dpop_jkt(key, a) == 0 && back && oauth_dpop_jkt(back, b) == 0);
    CHECK_STR(a, b);
    CHECK(strlen(a) == OAUTH_JWK_THUMBPRINT_LEN);

    /* Import refusals: each part of the contract. */
    json_t *good = json_loads(jwk, 0, NULL);
    const char *d = json_string_value(json_object_get(good, "d"));
    const char *x = json_string_value(json_object_get(good, "x"));
    const char *y = json_string_value(json_object_get(good, "y"));
    char buf[2048];
    EVP_PKEY *out = NULL;
    snprintf(buf, sizeof buf,
             "{\"kty\":\"RSA\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}", x, y, d);
    CHECK(import_str(buf, &out) == BRIDGE_EINVAL && !out);
    snprintf(buf, sizeof buf,
             "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}", x, y, d);
    CHECK(import_str(buf, &out) == BRIDGE_EINVAL && !out);
    snprintf(buf, sizeof buf,
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%.42s\",\"y\":\"%s\",\"d\":\"%s\"}", x, y,
             d);
    CHECK(import_str(buf, &out) == BRIDGE_EINVAL && !out);
    snprintf(buf, sizeof buf, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
    CHECK(import_str(buf, &out) == BRIDGE_EINVAL && !out); /* no d: not a private JWK */
    snprintf(buf, sizeof buf,
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%.42s*\"}", x, y,
             d);
    CHECK(import_str(buf, &out) == BRIDGE_EINVAL && !out); /* not base64url */
    snprintf(
        buf, sizeof buf,
        "{\"kty\":\"EC\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}",
        x, y, d);
    CHECK(import_str(buf, &out) == BRIDGE_EINVAL && !out); /* duplicate member */
    /* x and y swapped: not a point on the curve (or not the one d gives). */
    snprintf(buf, sizeof buf,
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}", y, x, d);
    CHECK(import_str(buf, &out) == BRIDGE_EINVAL && !out);
    /* Another key's d with this key's point. */
    EVP_PKEY *other = NULL;
    char *other_jwk = NULL;
    oauth_dpop_key_generate(&other);
    oauth_dpop_key_export(other, &other_jwk);
    json_t *oj = json_loads(other_jwk, 0, NULL);
    snprintf(buf, sizeof buf,
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}", x, y,
             json_string_value(json_object_get(oj, "d")));
    CHECK(import_str(buf, &out) == BRIDGE_EINVAL && !out);
    CHECK(import_str("[]", &out) == BRIDGE_EINVAL && !out);
    CHECK(import_str("{", &out) == BRIDGE_EINVAL && !out);
    memset(buf, ' ', sizeof buf);
    CHECK(oauth_dpop_key_import(buf, OAUTH_DPOP_JWK_MAX + 1, &out) == BRIDGE_ETOOBIG && !out);
    /* Extra members (kid, use) are allowed. */
    snprintf(
        buf, sizeof buf,
        "{\"kid\":\"k1\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}",
        x, y, d);
    CHECK(import_str(buf, &out) == 0 && out);
    EVP_PKEY_free(out);
    OPENSSL_cleanse(buf, sizeof buf);

    /* Only P-256 keys are DPoP keys here. */
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    char *no = NULL;
    CHECK(oauth_dpop_key_export(rsa, &no) == BRIDGE_EINVAL && !no);
    CHECK(oauth_dpop_proof(rsa, "GET", "https://a/", NULL, NULL, 1, &no) == BRIDGE_EINVAL && !no);
    EVP_PKEY_free(rsa);

    json_decref(oj);
    free(other_jwk);
    EVP_PKEY_free(other);
    json_decref(good);
    free(jwk);
    EVP_PKEY_free(back);
    EVP_PKEY_free(key);
}

static void test_proof(void)
{
    EVP_PKEY *key = NULL;
    oauth_dpop_key_generate(&key);
    char *proof = NULL;
    /* RFC 9449 §7.1's example token and its ath. */
    const char *token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    CHECK(oauth_dpop_proof(key, "POST", "https://rs.example/mcp/x?q=1#frag", token, "n-123",
                           1700000000, &proof) == 0);
    json_t *h = NULL, *c = NULL;
    CHECK(proof && jws_check(proof, key, "ES256", &h, &c) == 0);
    CHECK_STR(json_string_value(json_object_get(h, "typ")), "dpop+jwt");
    json_t *jwk = json_object_get(h, "jwk");
    CHECK(json_object_size(jwk) == 4 && !json_object_get(jwk, "d"));
    char a[OAUTH_JWK_THUMBPRINT_LEN + 1] = "", b[OAUTH_JWK_THUMBPRINT_LEN + 1] = "";
    CHECK(oauth_jwk_thumbprint(jwk, a) == 0 && oauth_dpop_jkt(key, b) == 0);
    CHECK_STR(a, b);
    CHECK_STR(json_string_value(json_object_get(c, "htm")), "POST");
    CHECK_STR(json_string_value(json_object_get(c, "htu")), "https://rs.example/mcp/x");
    CHECK_STR(json_string_value(json_object_get(c, "ath")),
              "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    CHECK_STR(json_string_value(json_object_get(c, "nonce")), "n-123");
    CHECK(json_integer_value(json_object_get(c, "iat")) == 1700000000);
    const char *jti1 = json_string_value(json_object_get(c, "jti"));
    CHECK(jti1 && strlen(jti1) >= 22);
    json_decref(h);
    json_decref(c);
    free(proof);

    /* Without token and nonce: no ath, no nonce; a fresh jti. */
    CHECK(oauth_dpop_proof(key, "GET", "http://127.0.0.1:8080/token", NULL, NULL, 5, &proof) == 0);
    json_t *c2 = NULL;
    CHECK(proof && jws_check(proof, key, "ES256", NULL, &c2) == 0);
    CHECK(c2 && !json_object_get(c2, "ath") && !json_object_get(c2, "nonce"));
    CHECK_STR(json_string_value(json_object_get(c2, "htu")), "http://127.0.0.1:8080/token");
    json_decref(c2);
    free(proof);
    proof = NULL;
    CHECK(oauth_dpop_proof(key, "", "https://a/", NULL, NULL, 5, &proof) == BRIDGE_EINVAL);
    CHECK(oauth_dpop_proof(key, "GET", "?x", NULL, NULL, 5, &proof) == BRIDGE_EINVAL && !proof);
    EVP_PKEY_free(key);
}

static void test_nonce(void)
{
    char *n = NULL;
    CHECK(oauth_dpop_nonce_parse("eyJ7S_zG.eyJH0-Z.HX4w-7v", 24, &n) == 0);
    CHECK_STR(n, "eyJ7S_zG.eyJH0-Z.HX4w-7v");
    free(n);
    CHECK(oauth_dpop_nonce_parse(" \tabc!~[] \t", 11, &n) == 0);
    CHECK_STR(n, "abc!~[]");
    free(n);
    n = NULL;
    CHECK(oauth_dpop_nonce_parse("a b", 3, &n) == BRIDGE_EINVAL && !n);
    CHECK(oauth_dpop_nonce_parse("a\"b", 3, &n) == BRIDGE_EINVAL && !n);
    CHECK(oauth_dpop_nonce_parse("a\\b", 3, &n) == BRIDGE_EINVAL && !n);
    CHECK(oauth_dpop_nonce_parse("a\r\n", 3, &n) == BRIDGE_EINVAL && !n);
    CHECK(oauth_dpop_nonce_parse("ab\0c", 4, &n) == BRIDGE_EINVAL && !n);
    CHECK(oauth_dpop_nonce_parse("caf\xc3\xa9", 5, &n) == BRIDGE_EINVAL && !n);
    CHECK(oauth_dpop_nonce_parse("  ", 2, &n) == BRIDGE_EINVAL && !n);
    char big[OAUTH_DPOP_NONCE_MAX + 1];
    memset(big, 'a', sizeof big);
    CHECK(oauth_dpop_nonce_parse(big, OAUTH_DPOP_NONCE_MAX, &n) == 0 && n);
    free(n);
    n = NULL;
    CHECK(oauth_dpop_nonce_parse(big, sizeof big, &n) == BRIDGE_ETOOBIG && !n);

    json_t *e = json_pack("{s:s}", "error", "use_dpop_nonce");
    CHECK(oauth_dpop_error_wants_nonce(e) == 1);
    json_decref(e);
    e = json_pack("{s:s}", "error", "invalid_dpop_proof");
    CHECK(oauth_dpop_error_wants_nonce(e) == 0);
    json_decref(e);
    CHECK(oauth_dpop_error_wants_nonce(NULL) == 0);

#define WANTS(s) oauth_dpop_challenge_wants_nonce(s, strlen(s))
    CHECK(WANTS("DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires "
                "nonce in DPoP proof\"") == 1);
    CHECK(WANTS("dpop algs=\"ES256 PS256\", error=use_dpop_nonce") == 1);
    CHECK(WANTS("Bearer realm=\"x\", error=\"invalid_token\", DPoP algs=\"ES256\", "
                "ERROR=\"use_dpop_nonce\"") == 1);
    CHECK(WANTS("Basic realm=\"a,b\", DPoP error=\"use_dpop_nonce\"") == 1);
    CHECK(WANTS("Negotiate YII+/x==, DPoP error=use_dpop_nonce") == 1); /* token68 */
    CHECK(WANTS("Basic abc=, DPoP error=\"use_dpop_nonce\"") == 1);
    CHECK(WANTS("Bearer resource_metadata=https://rs.example/.well-known/x?a=b, DPoP "
                "error=use_dpop_nonce") == 1);
    CHECK(WANTS("Bearer error=\"use_dpop_nonce\"") == 0);
    CHECK(WANTS("DPoP error=\"invalid_token\", Bearer error=\"use_dpop_nonce\"") == 0);
    CHECK(WANTS("DPoP error=\"use_dpop_nonce_x\"") == 0);
    CHECK(WANTS("DPoP error=\"use_dpop_nonc\"") == 0);
    CHECK(WANTS("DPoP error_description=\"use_dpop_nonce\"") == 0);
    CHECK(WANTS("DPoP error=\"use_dpop_nonce") == 0);     /* unterminated */
    CHECK(WANTS("DPoP error=\"use_\\dpop_nonce\"") == 1); /* quoted-pair */
    CHECK(WANTS("") == 0);
    CHECK(WANTS(",,, ,") == 0);
    CHECK(oauth_dpop_challenge_wants_nonce("DPoP error=use_dpop_nonce\0", 26) == 0);
#undef WANTS
}

int main(void)
{
    test_key_roundtrip();
    test_proof();
    test_nonce();
    return CHECK_DONE();
}
