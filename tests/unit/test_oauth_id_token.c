/* oauth/id_token.c: an ID token signed with ES256, RS256 or EdDSA passes against
 * the IdP's JWK Set; a wrong nonce, issuer, audience, an expired token, another
 * key, a tampered payload and alg "none" are refused. */
#include "check.h"
#include "oauth/id_token.h"
#include "oauth/jwk.h"
#include "oauth/jwt.h"
#include "bridge/base/err.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#define ISSUER "https://idp.example.com"
#define CLIENT "idp-client"
#define NOW 1800000000

static char *sign(EVP_PKEY *key, oauth_jwt_alg_t alg, const char *iss, const char *aud, long exp,
                  const char *nonce)
{
    json_t *claims = json_pack("{s:s, s:s, s:s, s:I}", "iss", iss, "aud", aud, "sub", "alice",
                               "exp", (json_int_t)exp);
    if (nonce) json_object_set_new(claims, "nonce", json_string(nonce));
    json_t *header = json_pack("{s:s}", "kid", "k1");
    char *out = NULL;
    CHECK(oauth_jwt_sign(key, alg, header, claims, &out) == 0);
    json_decref(claims);
    json_decref(header);
    return out;
}

static json_t *jwks_of(EVP_PKEY *key)
{
    json_t *jwk = oauth_jwk_public(key);
    json_object_set_new(jwk, "kid", json_string("k1"));
    return json_pack("{s:[o]}", "keys", jwk);
}

static int check(const char *token, const json_t *jwks, const char *nonce)
{
    oauth_id_token_expect_t want = {
        .issuer = ISSUER, .client_id = CLIENT, .nonce = nonce, .jwks = jwks, .now = NOW};
    char why[300] = "";
    time_t exp = 0;
    int rc = oauth_id_token_check(token, &want, &exp, why, sizeof why);
    CHECK(rc == 0 ? exp > NOW : (why[0] != 0 && !strstr(why, "eyJ")));
    return rc;
}

static void test_alg(EVP_PKEY *key, oauth_jwt_alg_t alg)
{
    json_t *jwks = jwks_of(key);
    char *good = sign(key, alg, ISSUER, CLIENT, NOW + 600, "n-1");
    CHECK(check(good, jwks, "n-1") == 0);
    CHECK(check(good, NULL, "n-1") == 0); /* no JWK Set published */
    CHECK(check(good, jwks, NULL) == 0);  /* a refreshed token: no nonce to compare */
    CHECK(check(good, jwks, "n-2") == BRIDGE_EPROTO);
    /* A payload changed after signing. */
    char *tampered = strdup(good);
    char *p = strchr(tampered, '.') + 5;
    *p = *p == 'A' ? 'B' : 'A';
    CHECK(check(tampered, jwks, "n-1") == BRIDGE_EPROTO);
    free(tampered);
    /* Signed by a key the IdP does not publish. */
    EVP_PKEY *other = EVP_EC_gen("P-256");
    json_t *other_jwks = jwks_of(other);
    CHECK(check(good, other_jwks, "n-1") == BRIDGE_EPROTO);
    json_decref(other_jwks);
    EVP_PKEY_free(other);
    free(good);
    char *t = sign(key, alg, "https://evil.example.com", CLIENT, NOW + 600, "n-1");
    CHECK(check(t, jwks, "n-1") == BRIDGE_EPROTO);
    free(t);
    t = sign(key, alg, ISSUER, "another-client", NOW + 600, "n-1");
    CHECK(check(t, jwks, "n-1") == BRIDGE_EPROTO);
    free(t);
    t = sign(key, alg, ISSUER, CLIENT, NOW - 1, "n-1");
    CHECK(check(t, jwks, "n-1") == BRIDGE_EPROTO);
    free(t);
    t = sign(key, alg, ISSUER, CLIENT, NOW + 600, NULL);
    CHECK(check(t, jwks, "n-1") == BRIDGE_EPROTO);
    free(t);
    json_decref(jwks);
}

static void test_unsigned_and_malformed(void)
{
    /* {"alg":"none"}.{"iss":ISSUER,"aud":CLIENT,"sub":"a","exp":9999999999}. */
    const char *none = "eyJhbGciOiJub25lIn0."
                       "eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmNvbSIsImF1ZCI6ImlkcC1jbGllbnQiLCJz"
                       "dWIiOiJhIiwiZXhwIjo5OTk5OTk5OTk5fQ.";
    CHECK(check(none, NULL, NULL) == BRIDGE_EPROTO);
    CHECK(check("a.b", NULL, NULL) == BRIDGE_EPROTO);
    CHECK(check("a.b.c.d", NULL, NULL) == BRIDGE_EPROTO);
    CHECK(check("", NULL, NULL) == BRIDGE_EPROTO);
    CHECK(check("e30.e30.AAAA", NULL, NULL) == BRIDGE_EPROTO);
}

int main(void)
{
    EVP_PKEY *ec = EVP_EC_gen("P-256"), *rsa = EVP_RSA_gen(2048),
             *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    test_alg(ec, OAUTH_JWT_ES256);
    test_alg(rsa, OAUTH_JWT_RS256);
    test_alg(ed, OAUTH_JWT_EDDSA);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
    test_unsigned_and_malformed();
    return CHECK_DONE();
}
