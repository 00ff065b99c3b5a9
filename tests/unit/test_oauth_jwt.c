/* oauth/jwt.c and oauth/jwk.c: key loading and its refusals, the algorithm
 * choice, signatures verified independently, RFC 8037 and RFC 7638 vectors. */
#include "check.h"
#include "jws_check.h"
#include "oauth/jwk.h"
#include "oauth/jwt.h"
#include "bridge/base/err.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static EVP_PKEY *gen(const char *kind)
{
    if (!strcmp(kind, "P-256")) return EVP_EC_gen("P-256");
    if (!strcmp(kind, "P-384")) return EVP_EC_gen("P-384");
    if (!strcmp(kind, "RSA")) return EVP_RSA_gen(2048);
    if (!strcmp(kind, "RSA1024")) return EVP_RSA_gen(1024);
    return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

/* Loads key's PEM through the code under test. */
static EVP_PKEY *reload(EVP_PKEY *key, int traditional)
{
    char *pem = pem_of(key, traditional), why[200] = "";
    EVP_PKEY *out = NULL;
    int rc = pem ? oauth_jwt_key_from_pem(pem, strlen(pem), &out, why, sizeof why) : -99;
    if (rc) fprintf(stderr, "reload: %d %s\n", rc, why);
    free(pem);
    return out;
}

static void test_sign_and_verify(const char *kind, oauth_jwt_alg_t want_alg, int traditional)
{
    EVP_PKEY *orig = gen(kind), *key = reload(orig, traditional);
    CHECK(key != NULL);
    oauth_jwt_alg_t alg = -1;
    CHECK(key && oauth_jwt_key_alg(key, &alg) == 0 && alg == want_alg);
    json_t *hdr = json_pack("{s:s, s:s}", "typ", "JWT", "alg", "none"); /* alg is replaced */
    json_t *claims = json_pack("{s:s, s:i}", "sub", "me", "iat", 1700000000);
    char *jwt = NULL;
    CHECK(key && oauth_jwt_sign(key, want_alg, hdr, claims, &jwt) == 0);
    json_t *h = NULL, *c = NULL;
    CHECK(jwt && jws_check(jwt, orig, oauth_jwt_alg_name(want_alg), &h, &c) == 0);
    CHECK_STR(json_string_value(json_object_get(h, "typ")), "JWT");
    CHECK_STR(json_string_value(json_object_get(c, "sub")), "me");
    CHECK(json_integer_value(json_object_get(c, "iat")) == 1700000000);
    /* A flipped byte in the claims breaks the signature. */
    if (jwt) {
        char *dot = strchr(jwt, '.');
        dot[1] = dot[1] == 'e' ? 'f' : 'e';
        CHECK(jws_check(jwt, orig, oauth_jwt_alg_name(want_alg), NULL, NULL) != 0);
    }
    /* A key cannot sign with another family's algorithm. */
    char *other = NULL;
    CHECK(oauth_jwt_sign(key, want_alg == OAUTH_JWT_RS256 ? OAUTH_JWT_ES256 : OAUTH_JWT_RS256, NULL,
                         claims, &other) == BRIDGE_EINVAL &&
          !other);
    json_decref(h);
    json_decref(c);
    json_decref(hdr);
    json_decref(claims);
    free(jwt);
    EVP_PKEY_free(key);
    EVP_PKEY_free(orig);
}

/* RFC 8037 Appendix A.4: Ed25519 is deterministic, so the signature is known. */
static void test_rfc8037_vector(void)
{
    static const char d_b64[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    size_t n = 0;
    unsigned char *d = b64url_decode(d_b64, strlen(d_b64), &n);
    EVP_PKEY *raw = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, n);
    EVP_PKEY *key = reload(raw, 0);
    static const char input[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    char *sig = NULL;
    CHECK(key && oauth_jws_sign_input(key, OAUTH_JWT_EDDSA, input, strlen(input), &sig) == 0);
    CHECK_STR(sig, "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_"
                   "MuM0KAg");
    json_t *jwk = key ? oauth_jwk_public(key) : NULL;
    CHECK_STR(json_string_value(json_object_get(jwk, "x")),
              "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    CHECK_STR(json_string_value(json_object_get(jwk, "kty")), "OKP");
    CHECK_STR(json_string_value(json_object_get(jwk, "crv")), "Ed25519");
    /* RFC 8037 A.3: the thumbprint of that public key. */
    char tp[OAUTH_JWK_THUMBPRINT_LEN + 1] = "";
    CHECK(oauth_jwk_thumbprint(jwk, tp) == 0);
    CHECK_STR(tp, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    json_decref(jwk);
    free(sig);
    free(d);
    EVP_PKEY_free(key);
    EVP_PKEY_free(raw);
}

/* RFC 7638 §3.1 (an RSA key; the extra members do not count). */
static void test_rfc7638_thumbprint(void)
{
    json_t *jwk = json_pack(
        "{s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "n",
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
        "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdk"
        "t-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e", "AQAB", "alg", "RS256", "kid", "2011-04-29");
    char tp[OAUTH_JWK_THUMBPRINT_LEN + 1] = "";
    CHECK(oauth_jwk_thumbprint(jwk, tp) == 0);
    CHECK_STR(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    /* Refusals: a member missing, a value outside base64url, an unknown kty. */
    json_object_del(jwk, "e");
    CHECK(oauth_jwk_thumbprint(jwk, tp) == BRIDGE_EINVAL);
    json_object_set_new(jwk, "e", json_string("AQ\"AB"));
    CHECK(oauth_jwk_thumbprint(jwk, tp) == BRIDGE_EINVAL);
    json_object_set_new(jwk, "e", json_integer(65537));
    CHECK(oauth_jwk_thumbprint(jwk, tp) == BRIDGE_EINVAL);
    json_object_set_new(jwk, "e", json_string("AQAB"));
    json_object_set_new(jwk, "kty", json_string("oct"));
    CHECK(oauth_jwk_thumbprint(jwk, tp) == BRIDGE_EINVAL);
    CHECK(oauth_jwk_thumbprint(NULL, tp) == BRIDGE_EINVAL);
    json_decref(jwk);

    /* An RSA key's own public JWK round-trips to the thumbprint OpenSSL's n and e give. */
    EVP_PKEY *rsa = gen("RSA");
    json_t *pub = oauth_jwk_public(rsa);
    CHECK(pub && json_object_size(pub) == 3);
    CHECK_STR(json_string_value(json_object_get(pub, "e")), "AQAB");
    CHECK(json_string_length(json_object_get(pub, "n")) == B64URL_ENCODED_LEN(256));
    CHECK(oauth_jwk_thumbprint(pub, tp) == 0 && strlen(tp) == OAUTH_JWK_THUMBPRINT_LEN);
    json_decref(pub);
    EVP_PKEY_free(rsa);
}

static void test_refused_keys(void)
{
    char why[300] = "";
    EVP_PKEY *out = NULL;
    CHECK(oauth_jwt_key_from_pem("hello", 5, &out, why, sizeof why) == BRIDGE_EINVAL && !out);
    CHECK(strstr(why, "no PEM private key") != NULL);

    /* Encrypted PKCS#8: refused with a sentence, never a prompt. */
    EVP_PKEY *ec = gen("P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PKCS8PrivateKey(bio, ec, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"secret");
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    CHECK(strstr(data, "ENCRYPTED") != NULL);
    CHECK(oauth_jwt_key_from_pem(data, (size_t)n, &out, why, sizeof why) == BRIDGE_EINVAL && !out);
    CHECK(strstr(why, "encrypted") != NULL);
    BIO_free(bio);

    /* Curves and sizes we do not sign with. */
    EVP_PKEY *p384 = gen("P-384"), *small = gen("RSA1024");
    char *pem = pem_of(p384, 1);
    CHECK(oauth_jwt_key_from_pem(pem, strlen(pem), &out, why, sizeof why) == BRIDGE_EINVAL);
    CHECK(strstr(why, "not an EC P-256") != NULL);
    free(pem);
    pem = pem_of(small, 1);
    CHECK(oauth_jwt_key_from_pem(pem, strlen(pem), &out, why, sizeof why) == BRIDGE_EINVAL);
    free(pem);

    /* A key file others can read is refused like OpenSSH refuses it. */
    char path[] = "/tmp/test_oauth_jwt_XXXXXX";
    int fd = mkstemp(path);
    pem = pem_of(ec, 0);
    CHECK(fd >= 0 && write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem));
    close(fd);
    chmod(path, 0644);
    CHECK(oauth_jwt_key_load_file(path, &out, why, sizeof why) == BRIDGE_EINVAL && !out);
    CHECK(strstr(why, path) && strstr(why, "chmod 600") && strstr(why, "0644"));
    chmod(path, 0600);
    CHECK(oauth_jwt_key_load_file(path, &out, why, sizeof why) == 0 && out);
    CHECK(out && EVP_PKEY_eq(out, ec) == 1);
    EVP_PKEY_free(out);
    out = NULL;
    unlink(path);
    CHECK(oauth_jwt_key_load_file(path, &out, why, sizeof why) == BRIDGE_EIO && !out);
    CHECK(strstr(why, path) != NULL);
    CHECK(oauth_jwt_key_load_file("/tmp", &out, why, sizeof why) == BRIDGE_EIO);
    free(pem);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(small);
}

static void test_choose_alg(void)
{
    EVP_PKEY *ec = gen("P-256"), *rsa = gen("RSA"), *ed = gen("Ed25519");
    char why[300] = "";
    oauth_jwt_alg_t alg = -1;
    CHECK(oauth_jwt_choose_alg(ec, NULL, &alg, why, sizeof why) == 0 && alg == OAUTH_JWT_ES256);
    CHECK(oauth_jwt_choose_alg(rsa, NULL, &alg, why, sizeof why) == 0 && alg == OAUTH_JWT_RS256);
    CHECK(oauth_jwt_choose_alg(ed, NULL, &alg, why, sizeof why) == 0 && alg == OAUTH_JWT_EDDSA);
    json_t *list = json_pack("[s, s, i]", "PS256", "RS256", 7);
    CHECK(oauth_jwt_choose_alg(rsa, list, &alg, why, sizeof why) == 0 && alg == OAUTH_JWT_RS256);
    CHECK(oauth_jwt_choose_alg(ec, list, &alg, why, sizeof why) == BRIDGE_EINVAL);
    CHECK(strstr(why, "ES256") && strstr(why, "token_endpoint_auth_signing_alg_values_supported"));
    json_decref(list);
    list = json_pack("[s]", "Ed25519");
    CHECK(oauth_jwt_choose_alg(ed, list, &alg, why, sizeof why) == 0 && alg == OAUTH_JWT_ED25519);
    json_decref(list);
    list = json_pack("[s, s]", "EdDSA", "ES256");
    CHECK(oauth_jwt_choose_alg(ed, list, &alg, why, sizeof why) == 0 && alg == OAUTH_JWT_EDDSA);
    CHECK(oauth_jwt_choose_alg(ec, list, &alg, why, sizeof why) == 0 && alg == OAUTH_JWT_ES256);
    json_decref(list);
    list = json_array();
    CHECK(oauth_jwt_choose_alg(ec, list, &alg, why, sizeof why) == BRIDGE_EINVAL);
    json_decref(list);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
}

int main(void)
{
    test_sign_and_verify("P-256", OAUTH_JWT_ES256, 0);
    test_sign_and_verify("P-256", OAUTH_JWT_ES256, 1); /* EC PRIVATE KEY */
    test_sign_and_verify("RSA", OAUTH_JWT_RS256, 0);
    test_sign_and_verify("RSA", OAUTH_JWT_RS256, 1); /* RSA PRIVATE KEY */
    test_sign_and_verify("Ed25519", OAUTH_JWT_EDDSA, 0);
    test_rfc8037_vector();
    test_rfc7638_thumbprint();
    test_refused_keys();
    test_choose_alg();
    return CHECK_DONE();
}
