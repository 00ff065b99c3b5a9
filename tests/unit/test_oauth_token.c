/* Token endpoint forms, client authentication and response validation. */
#include "bridge/base/buf.h"
#include "check.h"
#include "oauth/token.h"

#include <stdlib.h>

static int parse(const char *text, oauth_token_t *t, char *why, size_t n)
{
    json_t *j = json_loads(text, 0, NULL);
    int rc = oauth_token_parse(j, t, why, n);
    json_decref(j);
    return rc;
}

static void good_responses(void)
{
    oauth_token_t t;
    char why[256];
    CHECK(parse("{\"access_token\":\"abc\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
                "\"refresh_token\":\"r1\",\"scope\":\"a b\"}",
                &t, why, sizeof why) == 0);
    CHECK_STR(t.access_token, "abc");
    CHECK_STR(t.refresh_token, "r1");
    CHECK_STR(t.scope, "a b");
    CHECK(t.expires_in == 3600);
    oauth_token_free(&t);
    /* Lower-case token_type, no expiry, no refresh token. */
    CHECK(parse("{\"access_token\":\"abc\",\"token_type\":\"bearer\"}", &t, why, sizeof why) == 0);
    CHECK(t.expires_in == 0 && t.refresh_token == NULL && t.scope == NULL);
    oauth_token_free(&t);
    /* Liberal: no token_type at all, expires_in as a string. */
    CHECK(parse("{\"access_token\":\"abc\",\"expires_in\":\"60\"}", &t, why, sizeof why) == 0);
    CHECK(t.expires_in == 60);
    oauth_token_free(&t);
}

static void bad_responses(void)
{
    oauth_token_t t;
    char why[256];
    CHECK(parse("{\"token_type\":\"Bearer\"}", &t, why, sizeof why) != 0);
    CHECK(strstr(why, "access_token") != NULL);
    CHECK(parse("{\"access_token\":\"\"}", &t, why, sizeof why) != 0);
    CHECK(parse("{\"access_token\":42}", &t, why, sizeof why) != 0);
    /* A token that would inject a header line. */
    CHECK(parse("{\"access_token\":\"abc\\r\\nX-Evil: 1\"}", &t, why, sizeof why) != 0);
    CHECK(strstr(why, "abc") == NULL); /* the reason never quotes the token */
    CHECK(parse("{\"access_token\":\"a b\"}", &t, why, sizeof why) != 0);
    CHECK(parse("{\"access_token\":\"abc\",\"token_type\":\"DPoP\"}", &t, why, sizeof why) != 0);
    CHECK(parse("{\"access_token\":\"abc\",\"expires_in\":0}", &t, why, sizeof why) != 0);
    CHECK(parse("{\"access_token\":\"abc\",\"expires_in\":-5}", &t, why, sizeof why) != 0);
    CHECK(parse("{\"access_token\":\"abc\",\"expires_in\":\"soon\"}", &t, why, sizeof why) != 0);
    CHECK(parse("{\"access_token\":\"abc\",\"refresh_token\":\"x\\ny\"}", &t, why, sizeof why) != 0);
    CHECK(oauth_token_parse(NULL, &t, why, sizeof why) != 0);
    /* Over the size bound. */
    char *big = malloc(OAUTH_TOKEN_MAX + 64);
    int n = sprintf(big, "{\"access_token\":\"");
    memset(big + n, 'a', OAUTH_TOKEN_MAX + 1);
    strcpy(big + n + OAUTH_TOKEN_MAX + 1, "\"}");
    CHECK(parse(big, &t, why, sizeof why) != 0);
    free(big);
}

static void forms(void)
{
    buf_t f;
    buf_init(&f, 0);
    CHECK(oauth_form_add(&f, "grant_type", "authorization_code") == 0);
    CHECK(oauth_form_add(&f, "redirect_uri", "http://127.0.0.1:1/cb?x=1&y=2") == 0);
    CHECK(oauth_form_add(&f, "scope", "a b") == 0);
    CHECK_STR(f.data, "grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb%"
                      "3Fx%3D1%26y%3D2&scope=a%20b");
    buf_free(&f);
}

static void client_auth(void)
{
    buf_t f;
    char *basic = NULL;
    buf_init(&f, 0);
    CHECK(oauth_token_client_auth(&f, "id", NULL, "none", &basic) == 0);
    CHECK_STR(f.data, "client_id=id");
    CHECK(basic == NULL);
    buf_free(&f);

    buf_init(&f, 0);
    CHECK(oauth_token_client_auth(&f, "id", "s3", "client_secret_post", &basic) == 0);
    CHECK_STR(f.data, "client_id=id&client_secret=s3");
    buf_free(&f);

    /* RFC 6749 2.3.1: form-encode id and secret before Base64. "a:b" / "c d" ->
     * "a%3Ab:c%20d" -> YSUzQWI6YyUyMGQ= */
    buf_init(&f, 0);
    CHECK(oauth_token_client_auth(&f, "a:b", "c d", "client_secret_basic", &basic) == 0);
    CHECK_STR(basic, "Authorization: Basic YSUzQWI6YyUyMGQ=");
    CHECK(f.len == 0);
    free(basic);
    buf_free(&f);

    /* No method given: basic with a secret, public without. */
    buf_init(&f, 0);
    CHECK(oauth_token_client_auth(&f, "pre-registered-client", "pre-registered-secret", NULL,
                                  &basic) == 0);
    CHECK(basic && !strncmp(basic, "Authorization: Basic ", 21));
    free(basic);
    buf_free(&f);
    buf_init(&f, 0);
    CHECK(oauth_token_client_auth(&f, "x", NULL, NULL, &basic) == 0);
    CHECK_STR(f.data, "client_id=x");
    buf_free(&f);
    CHECK(oauth_token_client_auth(&f, NULL, NULL, NULL, &basic) != 0);
}

int main(void)
{
    good_responses();
    bad_responses();
    forms();
    client_auth();
    return CHECK_DONE();
}
