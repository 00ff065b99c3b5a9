/* oauth/token_exchange.c: the RFC 8693 and RFC 7523 form bodies as the
 * conformance IdP and AS read them, and the checks on the exchange's answer. */
#include "check.h"
#include "oauth/token_exchange.h"
#include "bridge/base/err.h"

static int parse(const char *text, oauth_id_jag_t *jag, char *why, size_t whylen)
{
    json_t *j = json_loads(text, 0, NULL);
    int rc = oauth_token_exchange_parse(j, jag, why, whylen);
    json_decref(j);
    return rc;
}

int main(void)
{
    buf_t form;
    buf_init(&form, 0);
    CHECK(oauth_token_exchange_form(&form, "eyJ.id.tok", "https://as.example",
                                    "https://mcp.example/mcp", "read write") == 0);
    CHECK_STR(form.data, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
                         "&subject_token=eyJ.id.tok"
                         "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token"
                         "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid-jag"
                         "&audience=https%3A%2F%2Fas.example"
                         "&resource=https%3A%2F%2Fmcp.example%2Fmcp&scope=read%20write");
    buf_reset(&form);
    CHECK(oauth_token_exchange_form(&form, "t", "https://as", "https://r", "") == 0);
    CHECK(form.data && !strstr(form.data, "scope="));
    buf_reset(&form);
    CHECK(oauth_token_exchange_form(&form, "", "https://as", "https://r", NULL) == BRIDGE_EINVAL);
    CHECK(oauth_token_exchange_form(&form, "t", NULL, "https://r", NULL) == BRIDGE_EINVAL);
    CHECK(oauth_token_exchange_form(&form, "t", "https://as", NULL, NULL) == BRIDGE_EINVAL);
    CHECK(form.len == 0);

    CHECK(oauth_jwt_bearer_form(&form, "eyJ.jag.sig", "mcp:basic", "https://mcp.example/mcp") == 0);
    CHECK_STR(form.data, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
                         "&assertion=eyJ.jag.sig&scope=mcp%3Abasic"
                         "&resource=https%3A%2F%2Fmcp.example%2Fmcp");
    buf_reset(&form);
    CHECK(oauth_jwt_bearer_form(&form, "a", NULL, NULL) == 0);
    CHECK_STR(form.data, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
                         "&assertion=a");
    buf_reset(&form);
    CHECK(oauth_jwt_bearer_form(&form, NULL, NULL, NULL) == BRIDGE_EINVAL);
    buf_free(&form);

    oauth_id_jag_t jag;
    char why[200] = "";
    /* The conformance IdP's answer. */
    CHECK(parse("{\"access_token\":\"eyJ.jag.sig\",\"issued_token_type\":\"urn:ietf:params:oauth:"
                "token-type:id-jag\",\"token_type\":\"N_A\"}",
                &jag, why, sizeof why) == 0);
    CHECK_STR(jag.assertion, "eyJ.jag.sig");
    CHECK(jag.scope == NULL && jag.expires_in == 0);
    oauth_token_exchange_free(&jag);
    CHECK(parse("{\"access_token\":\"x\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:"
                "id-jag\",\"token_type\":\"n_a\",\"expires_in\":300,\"scope\":\"a b\"}",
                &jag, why, sizeof why) == 0);
    CHECK(jag.expires_in == 300);
    CHECK_STR(jag.scope, "a b");
    oauth_token_exchange_free(&jag);
    CHECK(jag.assertion == NULL);

    static const char *const refused[] = {
        "[]",
        "{\"issued_token_type\":\"urn:ietf:params:oauth:token-type:id-jag\"}",
        "{\"access_token\":\"\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:id-jag\"}",
        "{\"access_token\":\"a b\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:id-"
        "jag\"}",
        "{\"access_token\":\"a\\u0000b\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:"
        "id-jag\"}",
        "{\"access_token\":7,\"issued_token_type\":\"urn:ietf:params:oauth:token-type:id-jag\"}",
        "{\"access_token\":\"a\"}",
        "{\"access_token\":\"a\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:access_"
        "token\"}",
        "{\"access_token\":\"a\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:id-jag\","
        "\"token_type\":\"DPoP\"}",
        "{\"access_token\":\"a\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:id-jag\","
        "\"expires_in\":-5}",
        "{\"access_token\":\"a\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:id-jag\","
        "\"expires_in\":\"soon\"}",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        why[0] = '\0';
        int rc = parse(refused[i], &jag, why, sizeof why);
        CHECK(rc == BRIDGE_EPROTO && jag.assertion == NULL && why[0]);
        if (rc != BRIDGE_EPROTO) fprintf(stderr, "accepted: %s\n", refused[i]);
    }
    CHECK(oauth_token_exchange_parse(NULL, &jag, why, sizeof why) == BRIDGE_EPROTO);
    return CHECK_DONE();
}
