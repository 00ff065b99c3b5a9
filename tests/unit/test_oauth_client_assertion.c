/* oauth/client_assertion.c: the RFC 7523 claims (iss = sub = client_id,
 * aud = issuer, unique jti, 60-second lifetime), kid, and the two form fields. */
#include "check.h"
#include "jws_check.h"
#include "oauth/client_assertion.h"
#include "bridge/base/err.h"

#include <stdlib.h>

int main(void)
{
    EVP_PKEY *ec = EVP_EC_gen("P-256"), *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char *jwt = NULL, *jwt2 = NULL;
    CHECK(oauth_client_assertion(ec, OAUTH_JWT_ES256, "client-1", "https://as.example/tenant",
                                 "key-7", 1700000000, &jwt) == 0);
    json_t *h = NULL, *c = NULL;
    CHECK(jwt && jws_check(jwt, ec, "ES256", &h, &c) == 0);
    CHECK_STR(json_string_value(json_object_get(h, "kid")), "key-7");
    CHECK_STR(json_string_value(json_object_get(c, "iss")), "client-1");
    CHECK_STR(json_string_value(json_object_get(c, "sub")), "client-1");
    CHECK_STR(json_string_value(json_object_get(c, "aud")), "https://as.example/tenant");
    CHECK(json_integer_value(json_object_get(c, "iat")) == 1700000000);
    CHECK(json_integer_value(json_object_get(c, "exp")) == 1700000060);
    const char *jti = json_string_value(json_object_get(c, "jti"));
    CHECK(jti && strlen(jti) >= 22); /* 128 bits or more */

    /* Another assertion for the same inputs has another jti; no kid when none given. */
    json_t *h2 = NULL, *c2 = NULL;
    CHECK(oauth_client_assertion(ed, OAUTH_JWT_EDDSA, "client-1", "https://as.example/tenant", NULL,
                                 1700000000, &jwt2) == 0);
    CHECK(jwt2 && jws_check(jwt2, ed, "EdDSA", &h2, &c2) == 0);
    CHECK(h2 && !json_object_get(h2, "kid"));
    CHECK(jti && strcmp(jti, json_string_value(json_object_get(c2, "jti"))) != 0);

    char *none = NULL;
    CHECK(oauth_client_assertion(ec, OAUTH_JWT_ES256, "", "https://as", NULL, 1, &none) ==
              BRIDGE_EINVAL &&
          !none);
    CHECK(oauth_client_assertion(ec, OAUTH_JWT_ES256, "c", NULL, NULL, 1, &none) == BRIDGE_EINVAL &&
          !none);
    CHECK(oauth_client_assertion(ec, OAUTH_JWT_RS256, "c", "https://as", NULL, 1, &none) ==
              BRIDGE_EINVAL &&
          !none);

    /* The form: type first, then the assertion, form-encoded after what was there. */
    buf_t form;
    buf_init(&form, 0);
    buf_append_str(&form, "grant_type=client_credentials");
    CHECK(oauth_client_assertion_form(&form, ec, OAUTH_JWT_ES256, "client-1", "https://as.example",
                                      NULL, 1700000000) == 0);
    const char *prefix = "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%"
                         "3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=";
    CHECK(form.data && strncmp(form.data, prefix, strlen(prefix)) == 0);
    const char *assertion = form.data ? form.data + strlen(prefix) : "";
    json_t *c3 = NULL;
    CHECK(strchr(assertion, '&') == NULL && jws_check(assertion, ec, "ES256", NULL, &c3) == 0);
    CHECK_STR(json_string_value(json_object_get(c3, "aud")), "https://as.example");
    buf_free(&form);

    json_decref(c3);
    json_decref(h);
    json_decref(c);
    json_decref(h2);
    json_decref(c2);
    free(jwt);
    free(jwt2);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
    return CHECK_DONE();
}
