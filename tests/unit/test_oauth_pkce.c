/* PKCE verifier/challenge (RFC 7636 Appendix B vector), state, and the
 * constant-time comparison. */
#include "oauth/pkce.h"
#include "bridge/base/err.h"
#include "check.h"

#include <string.h>

static int all_unreserved(const char *s)
{
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") ==
           strlen(s);
}

static void rfc7636_vector(void)
{
    char ch[OAUTH_PKCE_CHALLENGE_LEN + 1];
    CHECK(oauth_pkce_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch) == 0);
    CHECK_STR(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void verifier(void)
{
    char v1[OAUTH_PKCE_VERIFIER_LEN + 1], v2[OAUTH_PKCE_VERIFIER_LEN + 1];
    memset(v1, 'X', sizeof v1);
    CHECK(oauth_pkce_verifier(v1) == 0);
    CHECK(oauth_pkce_verifier(v2) == 0);
    CHECK(strlen(v1) == OAUTH_PKCE_VERIFIER_LEN);
    CHECK(all_unreserved(v1) && all_unreserved(v2));
    CHECK(strcmp(v1, v2) != 0);

    char ch[OAUTH_PKCE_CHALLENGE_LEN + 1];
    CHECK(oauth_pkce_challenge_s256(v1, ch) == 0);
    CHECK(strlen(ch) == OAUTH_PKCE_CHALLENGE_LEN);
    CHECK(all_unreserved(ch) && !strchr(ch, '=') && !strchr(ch, '.') && !strchr(ch, '~'));

    /* Over many draws every base64url character shows up: no stuck bits. */
    int seen[256] = {0};
    for (int i = 0; i < 200; i++) {
        CHECK(oauth_pkce_verifier(v1) == 0);
        for (const char *p = v1; *p; p++)
            seen[(unsigned char)*p] = 1;
    }
    int distinct = 0;
    for (int i = 0; i < 256; i++)
        distinct += seen[i];
    CHECK(distinct == 64);
}

static void challenge_input_checks(void)
{
    char ch[OAUTH_PKCE_CHALLENGE_LEN + 1];
    char v[140];
    memset(v, 'a', sizeof v);
    v[42] = '\0';
    CHECK(oauth_pkce_challenge_s256(v, ch) == BRIDGE_EINVAL); /* 42 < 43 */
    v[42] = 'a';
    v[43] = '\0';
    CHECK(oauth_pkce_challenge_s256(v, ch) == 0);
    v[43] = 'a';
    v[128] = '\0';
    CHECK(oauth_pkce_challenge_s256(v, ch) == 0);
    v[128] = 'a';
    v[129] = '\0';
    CHECK(oauth_pkce_challenge_s256(v, ch) == BRIDGE_EINVAL); /* 129 > 128 */
    memcpy(v, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX+", 44);
    CHECK(oauth_pkce_challenge_s256(v, ch) == BRIDGE_EINVAL); /* '+' not unreserved */
    memcpy(v, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX ", 44);
    CHECK(oauth_pkce_challenge_s256(v, ch) == BRIDGE_EINVAL);
    memcpy(v, "dBjftJeZ4CVP.mB92K27uhbUJU1p1r~wW1gFWFOEjXk", 44);
    CHECK(oauth_pkce_challenge_s256(v, ch) == 0); /* '.' and '~' are allowed */
    CHECK(oauth_pkce_challenge_s256(NULL, ch) == BRIDGE_EINVAL);
    CHECK(oauth_pkce_challenge_s256("", ch) == BRIDGE_EINVAL);
}

static void state(void)
{
    char s1[OAUTH_STATE_LEN + 1], s2[OAUTH_STATE_LEN + 1];
    CHECK(oauth_random_state(s1) == 0);
    CHECK(oauth_random_state(s2) == 0);
    CHECK(strlen(s1) == OAUTH_STATE_LEN && OAUTH_STATE_LEN * 6 >= 128);
    CHECK(all_unreserved(s1));
    CHECK(strcmp(s1, s2) != 0);
    CHECK(oauth_consttime_equal(s1, s1));
    CHECK(!oauth_consttime_equal(s1, s2));
}

static void consttime_equal(void)
{
    CHECK(oauth_consttime_equal("abc", "abc"));
    CHECK(oauth_consttime_equal("", ""));
    CHECK(!oauth_consttime_equal("abc", "abd"));
    CHECK(!oauth_consttime_equal("abc", "ab"));
    CHECK(!oauth_consttime_equal("ab", "abc"));
    CHECK(!oauth_consttime_equal("abc", ""));
    CHECK(!oauth_consttime_equal(NULL, "abc"));
    CHECK(!oauth_consttime_equal("abc", NULL));
    CHECK(!oauth_consttime_equal(NULL, NULL));
}

int main(void)
{
    rfc7636_vector();
    verifier();
    challenge_input_checks();
    state();
    consttime_equal();
    return CHECK_DONE();
}
