/* What DPoP changes in reading answers: a DPoP challenge's parameters are kept
 * when there is no Bearer challenge (a Bearer one wins), and token_type DPoP is
 * taken only after a request that carried a proof. */
#include "bridge/base/err.h"
#include "check.h"
#include "oauth/token.h"
#include "oauth/www_auth.h"

#include <string.h>

static int parse(oauth_challenge_t *c, const char *s)
{
    return oauth_www_auth_parse(c, s, strlen(s));
}

static void dpop_only(void)
{
    oauth_challenge_t c;
    oauth_challenge_init(&c);
    CHECK(parse(&c, "DPoP algs=\"ES256 PS256\", error=\"invalid_token\", "
                    "resource_metadata=\"https://r.example/.well-known/oauth-protected-resource\", "
                    "scope=\"mcp\"") == 0);
    CHECK(c.dpop == 1 && c.bearer == 0);
    CHECK_STR(c.resource_metadata, "https://r.example/.well-known/oauth-protected-resource");
    CHECK_STR(c.scope, "mcp");
    CHECK_STR(c.error, "invalid_token");
    oauth_challenge_free(&c);
    CHECK(c.dpop == 0 && c.scope == NULL);
}

static void bearer_wins(void)
{
    oauth_challenge_t c;
    oauth_challenge_init(&c);
    /* In one value, the Bearer challenge after the DPoP one is kept. */
    CHECK(parse(&c, "DPoP algs=\"ES256\", scope=\"d\", Bearer scope=\"b\"") == 0);
    CHECK(c.bearer == 1 && c.dpop == 0);
    CHECK_STR(c.scope, "b");
    oauth_challenge_free(&c);
    /* Over two header lines too, and a later DPoP line changes nothing. */
    CHECK(parse(&c, "DPoP scope=\"d\"") == 0);
    CHECK(c.dpop == 1);
    CHECK(parse(&c, "Bearer scope=\"b\", resource_metadata=\"https://h/b\"") == 0);
    CHECK(c.bearer == 1 && c.dpop == 0);
    CHECK_STR(c.scope, "b");
    CHECK(parse(&c, "DPoP scope=\"later\"") == 0);
    CHECK_STR(c.scope, "b");
    oauth_challenge_free(&c);
    /* The first DPoP challenge stays when another follows. */
    CHECK(parse(&c, "DPoP scope=\"one\", DPoP scope=\"two\"") == 0);
    CHECK_STR(c.scope, "one");
    oauth_challenge_free(&c);
    /* A DPoP parameter given twice is malformed, as for Bearer. */
    CHECK(parse(&c, "DPoP scope=\"a\", scope=\"b\"") == BRIDGE_EINVAL);
    CHECK(c.dpop == 0 && c.scope == NULL);
    oauth_challenge_free(&c);
}

static void token_type(void)
{
    char why[200];
    oauth_token_t t;
    json_t *dpop = json_loads("{\"access_token\":\"abc\",\"token_type\":\"DPoP\"}", 0, NULL);
    json_t *bearer = json_loads("{\"access_token\":\"abc\",\"token_type\":\"bearer\"}", 0, NULL);
    json_t *other = json_loads("{\"access_token\":\"abc\",\"token_type\":\"mac\"}", 0, NULL);
    CHECK(oauth_token_parse_after_proof(dpop, 0, &t, why, sizeof why) == BRIDGE_EPROTO);
    CHECK(oauth_token_parse_after_proof(dpop, 1, &t, why, sizeof why) == 0);
    CHECK(t.dpop == 1);
    CHECK_STR(t.access_token, "abc");
    oauth_token_free(&t);
    CHECK(oauth_token_parse_after_proof(bearer, 1, &t, why, sizeof why) == 0);
    CHECK(t.dpop == 0); /* an AS may answer a proof with a Bearer token */
    oauth_token_free(&t);
    CHECK(oauth_token_parse_after_proof(other, 1, &t, why, sizeof why) == BRIDGE_EPROTO);
    json_decref(dpop);
    json_decref(bearer);
    json_decref(other);
}

int main(void)
{
    dpop_only();
    bearer_wins();
    token_type();
    return CHECK_DONE();
}
