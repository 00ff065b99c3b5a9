/* WWW-Authenticate parsing: RFC 9110 §11 syntax, RFC 6750 Bearer parameters,
 * what real servers send, and hostile input. */
#include "oauth/www_auth.h"
#include "bridge/base/err.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static int parse(oauth_challenge_t *c, const char *s)
{
    oauth_challenge_init(c);
    return oauth_www_auth_parse(c, s, strlen(s));
}

static void bearer_basic(void)
{
    oauth_challenge_t c;
    CHECK(parse(&c, "Bearer resource_metadata=\"https://example.com/.well-known/"
                    "oauth-protected-resource/mcp\", scope=\"files:read files:write\"") == 0);
    CHECK(c.bearer == 1);
    CHECK_STR(c.resource_metadata, "https://example.com/.well-known/oauth-protected-resource/mcp");
    CHECK_STR(c.scope, "files:read files:write");
    CHECK(c.error == NULL && c.error_description == NULL && c.realm == NULL);
    oauth_challenge_free(&c);
    CHECK(c.bearer == 0 && c.scope == NULL);

    CHECK(parse(&c, "Bearer realm=\"example\", error=\"invalid_token\", "
                    "error_description=\"The access token expired\"") == 0);
    CHECK_STR(c.realm, "example");
    CHECK_STR(c.error, "invalid_token");
    CHECK_STR(c.error_description, "The access token expired");
    oauth_challenge_free(&c);

    /* A bare scheme is a challenge too. */
    CHECK(parse(&c, "Bearer") == 0);
    CHECK(c.bearer == 1 && c.resource_metadata == NULL);
    oauth_challenge_free(&c);

    CHECK(parse(&c, "") == 0);
    CHECK(c.bearer == 0);
    oauth_challenge_free(&c);
}

static void several_challenges(void)
{
    oauth_challenge_t c;
    CHECK(parse(&c, "Basic realm=\"x\", Bearer resource_metadata=\"https://h/prm\", "
                    "scope=\"a b\"") == 0);
    CHECK(c.bearer == 1);
    CHECK_STR(c.resource_metadata, "https://h/prm");
    CHECK_STR(c.scope, "a b");
    CHECK(c.realm == NULL); /* Basic's realm is not Bearer's */
    oauth_challenge_free(&c);

    /* Parameters after Bearer belong to it until the next scheme. */
    CHECK(parse(&c, "Bearer realm=\"r\", error=invalid_token, Basic realm=\"b\", "
                    "Newauth realm=\"n\", type=1, title=\"Login\"") == 0);
    CHECK_STR(c.realm, "r");
    CHECK_STR(c.error, "invalid_token");
    oauth_challenge_free(&c);

    /* Only the first Bearer challenge counts. */
    CHECK(parse(&c, "Bearer scope=\"first\", Bearer scope=\"second\"") == 0);
    CHECK_STR(c.scope, "first");
    oauth_challenge_free(&c);

    /* Bare schemes and token68 challenges before and after. */
    CHECK(parse(&c, "Negotiate, NTLM TlRMTVNTUAABAAAAB4IIog==, Bearer scope=s, "
                    "Basic") == 0);
    CHECK_STR(c.scope, "s");
    oauth_challenge_free(&c);

    /* No Bearer at all. */
    CHECK(parse(&c, "Basic realm=\"x\", Digest realm=\"d\", qop=\"auth\"") == 0);
    CHECK(c.bearer == 0 && c.realm == NULL);
    oauth_challenge_free(&c);
}

static void several_values(void)
{
    oauth_challenge_t c;
    oauth_challenge_init(&c);
    const char *v1 = "Basic realm=\"x\"";
    const char *v2 = "Bearer resource_metadata=\"https://h/a\"";
    const char *v3 = "Bearer resource_metadata=\"https://h/b\"";
    CHECK(oauth_www_auth_parse(&c, v1, strlen(v1)) == 0);
    CHECK(c.bearer == 0);
    CHECK(oauth_www_auth_parse(&c, v2, strlen(v2)) == 0);
    CHECK(oauth_www_auth_parse(&c, v3, strlen(v3)) == 0);
    CHECK_STR(c.resource_metadata, "https://h/a");
    oauth_challenge_free(&c);

    const char *vals[] = {"Basic realm=\"x\"", "Bearer realm=\"unterminated", NULL,
                          "bearer scope=\"ok\""};
    oauth_challenge_init(&c);
    CHECK(oauth_www_auth_parse_all(&c, vals, 4) == BRIDGE_EINVAL);
    CHECK(c.bearer == 1);
    CHECK_STR(c.scope, "ok"); /* the good value still counts */
    CHECK(c.realm == NULL);   /* nothing of the bad one */
    oauth_challenge_free(&c);

    const char *good[] = {"Basic realm=\"x\"", "Bearer scope=\"s\""};
    oauth_challenge_init(&c);
    CHECK(oauth_www_auth_parse_all(&c, good, 2) == 0);
    CHECK_STR(c.scope, "s");
    oauth_challenge_free(&c);

    /* Only len bytes are read. */
    oauth_challenge_init(&c);
    const char *longer = "Bearer scope=\"abc\"GARBAGE";
    CHECK(oauth_www_auth_parse(&c, longer, strlen("Bearer scope=\"abc\"")) == 0);
    CHECK_STR(c.scope, "abc");
    oauth_challenge_free(&c);
}

static void case_and_whitespace(void)
{
    oauth_challenge_t c;
    CHECK(parse(&c, "bEaReR Resource_Metadata=\"https://h/x\", SCOPE=\"A\"") == 0);
    CHECK(c.bearer == 1);
    CHECK_STR(c.resource_metadata, "https://h/x");
    CHECK_STR(c.scope, "A"); /* values keep their case */
    oauth_challenge_free(&c);

    CHECK(parse(&c, " \t Bearer \t realm \t = \t \"r\" \t , \t scope =s\t,\t ") == 0);
    CHECK_STR(c.realm, "r");
    CHECK_STR(c.scope, "s");
    oauth_challenge_free(&c);

    /* Empty list elements and trailing commas. */
    CHECK(parse(&c, ",, ,Bearer ,, scope=\"x\" ,,, realm=y,,") == 0);
    CHECK_STR(c.scope, "x");
    CHECK_STR(c.realm, "y");
    oauth_challenge_free(&c);

    /* A header line terminator the caller did not strip. */
    CHECK(parse(&c, "Bearer scope=\"x\"\r\n") == 0);
    CHECK_STR(c.scope, "x");
    oauth_challenge_free(&c);
}

static void values(void)
{
    oauth_challenge_t c;
    /* Backslash escapes. */
    CHECK(parse(&c, "Bearer error_description=\"say \\\"hi\\\" \\\\ \\x\"") == 0);
    CHECK_STR(c.error_description, "say \"hi\" \\ x");
    oauth_challenge_free(&c);

    /* Commas and '=' inside quotes do not split. */
    CHECK(parse(&c, "Bearer error_description=\"a, b=c\", scope=\"d\"") == 0);
    CHECK_STR(c.error_description, "a, b=c");
    CHECK_STR(c.scope, "d");
    oauth_challenge_free(&c);

    /* Unquoted URLs, as some servers send them. */
    CHECK(parse(&c, "Bearer resource_metadata=https://h:8443/.well-known/"
                    "oauth-protected-resource/mcp?x=1, error=invalid_token") == 0);
    CHECK_STR(c.resource_metadata, "https://h:8443/.well-known/oauth-protected-resource/mcp?x=1");
    CHECK_STR(c.error, "invalid_token");
    oauth_challenge_free(&c);

    /* Empty quoted value, tab and UTF-8 (obs-text) inside quotes. */
    CHECK(parse(&c, "Bearer scope=\"\", error_description=\"caf\xc3\xa9\tx\"") == 0);
    CHECK_STR(c.scope, "");
    CHECK_STR(c.error_description, "caf\xc3\xa9\tx");
    oauth_challenge_free(&c);

    /* Unknown parameters are parsed and ignored. */
    CHECK(parse(&c, "Bearer foo=\"bar\", scope=x, baz=1") == 0);
    CHECK_STR(c.scope, "x");
    oauth_challenge_free(&c);

    /* "realm=" alone after the scheme is a token68, not an empty parameter. */
    CHECK(parse(&c, "Bearer realm=, scope=x") == 0);
    CHECK(c.realm == NULL);
    CHECK_STR(c.scope, "x");
    oauth_challenge_free(&c);

    /* token68 on Bearer is tolerated and skipped. */
    CHECK(parse(&c, "Bearer abc.def~ghi+/==, Basic realm=x") == 0);
    CHECK(c.bearer == 1 && c.realm == NULL);
    oauth_challenge_free(&c);
}

static void malformed(void)
{
    oauth_challenge_t c;
    const char *bad[] = {
        "Bearer realm=\"unterminated",
        "Bearer realm=\"backslash at end\\",
        "Bearer realm=\"x\\",
        "Bearer scope=x, realm=",
        "Bearer scope=x, realm=, error=y",
        "Bearer realm=\"x\" scope=\"y\"", /* missing comma */
        "Bearer realm=\"x\"y",
        "realm=\"x\", Bearer", /* a parameter before any scheme */
        "=x",
        "Bearer \"x\"",
        "Bearer realm=\"a\x01z\"", /* control character */
        "Bearer realm=a\x7f",
        "Bearer realm=\"x\"\r\n scope=y",  /* obs-fold */
        "Bearer scope=\"a\", scope=\"b\"", /* duplicate Bearer parameter */
        "Bearer SCOPE=a, scope=b",
        "Bearer realm=a b",
        "Basic Bearer realm=x",
        "Bearer@ realm=x",
        "\"Bearer\"",
        "Bearer realm=\"x\", =y",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(&c, bad[i]);
        if (rc != BRIDGE_EINVAL) fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK(rc == BRIDGE_EINVAL);
        CHECK(c.bearer == 0 && c.realm == NULL && c.scope == NULL);
        oauth_challenge_free(&c);
    }

    /* Embedded NUL. */
    oauth_challenge_init(&c);
    CHECK(oauth_www_auth_parse(&c, "Bearer realm=\"a\0b\"", 18) == BRIDGE_EINVAL);
    CHECK(oauth_www_auth_parse(&c, "Bearer\0", 7) == BRIDGE_EINVAL);
    oauth_challenge_free(&c);

    /* Backslash as the last byte, in a buffer with no NUL after it: nothing past
     * len may be read (AddressSanitizer would see it). */
    const char esc_end[] = "Bearer realm=\"x\\";
    char *exact = malloc(sizeof esc_end - 1);
    if (!exact) abort();
    memcpy(exact, esc_end, sizeof esc_end - 1);
    oauth_challenge_init(&c);
    CHECK(oauth_www_auth_parse(&c, exact, sizeof esc_end - 1) == BRIDGE_EINVAL);
    CHECK(oauth_www_auth_parse(&c, exact, sizeof esc_end - 2) == BRIDGE_EINVAL);
    oauth_challenge_free(&c);
    free(exact);

    /* A failed value leaves earlier results alone. */
    oauth_challenge_init(&c);
    const char *ok = "Bearer scope=\"s\"";
    CHECK(oauth_www_auth_parse(&c, ok, strlen(ok)) == 0);
    CHECK(oauth_www_auth_parse(&c, "Bearer scope=\"t", 15) == BRIDGE_EINVAL);
    CHECK_STR(c.scope, "s");
    oauth_challenge_free(&c);

    /* Duplicates in a challenge other than the kept one are not our business. */
    CHECK(parse(&c, "Basic realm=a, realm=b, Bearer scope=s") == 0);
    CHECK_STR(c.scope, "s");
    oauth_challenge_free(&c);
}

/* prefix + unit * times + suffix, malloc'd. */
static char *repeat(const char *prefix, const char *unit, size_t times, const char *suffix)
{
    size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix);
    char *s = malloc(pl + ul * times + sl + 1);
    if (!s) abort();
    memcpy(s, prefix, pl);
    for (size_t i = 0; i < times; i++)
        memcpy(s + pl + i * ul, unit, ul);
    memcpy(s + pl + ul * times, suffix, sl + 1);
    return s;
}

static void limits(void)
{
    oauth_challenge_t c;
    /* 1000 commas: empty elements, accepted, no parameters counted. */
    char *commas = repeat("Bearer scope=x", ",", 1000, "");
    CHECK(parse(&c, commas) == 0);
    CHECK_STR(c.scope, "x");
    CHECK(c.params_seen == 1);
    oauth_challenge_free(&c);
    free(commas);

    /* 64 parameters are fine, 65 are not. */
    char *p64 = repeat("Bearer scope=x", ", p=1", 63, "");
    CHECK(parse(&c, p64) == 0);
    CHECK(c.params_seen == 64);
    /* ...and the count carries over to the next value. */
    CHECK(oauth_www_auth_parse(&c, "Basic realm=x", 13) == BRIDGE_ETOOBIG);
    CHECK(oauth_www_auth_parse(&c, "Basic", 5) == 0); /* no parameter in it */
    oauth_challenge_free(&c);
    free(p64);
    char *p65 = repeat("Bearer scope=x", ", p=1", 64, "");
    CHECK(parse(&c, p65) == BRIDGE_ETOOBIG);
    CHECK(c.bearer == 0 && c.scope == NULL);
    oauth_challenge_free(&c);
    free(p65);

    /* 16 KiB is the most; a huge NUL-free value is refused without parsing. */
    char *big = malloc(OAUTH_WWW_AUTH_MAX_BYTES + 2);
    if (!big) abort();
    memset(big, ' ', OAUTH_WWW_AUTH_MAX_BYTES + 1);
    big[OAUTH_WWW_AUTH_MAX_BYTES + 1] = '\0';
    memcpy(big, "Bearer scope=x", 14);
    oauth_challenge_init(&c);
    CHECK(oauth_www_auth_parse(&c, big, OAUTH_WWW_AUTH_MAX_BYTES) == 0);
    CHECK_STR(c.scope, "x");
    CHECK(oauth_www_auth_parse(&c, "Basic", 5) == BRIDGE_ETOOBIG); /* total counted */
    oauth_challenge_free(&c);
    CHECK(oauth_www_auth_parse(&c, big, OAUTH_WWW_AUTH_MAX_BYTES + 1) == BRIDGE_ETOOBIG);
    CHECK(c.bearer == 0);
    oauth_challenge_free(&c);
    free(big);

    /* A long quoted value within the limit, then unterminated. */
    char *longq = repeat("Bearer error_description=\"", "a", 16000, "\"");
    CHECK(parse(&c, longq) == 0);
    CHECK(c.error_description && strlen(c.error_description) == 16000);
    oauth_challenge_free(&c);
    longq[strlen(longq) - 1] = '\0';
    CHECK(parse(&c, longq) == BRIDGE_EINVAL);
    oauth_challenge_free(&c);
    free(longq);

    /* Many backslashes. */
    char *bs = repeat("Bearer realm=\"", "\\\\", 4000, "\"");
    CHECK(parse(&c, bs) == 0);
    CHECK(c.realm && strlen(c.realm) == 4000 && strspn(c.realm, "\\") == 4000);
    oauth_challenge_free(&c);
    free(bs);
}

int main(void)
{
    bearer_basic();
    several_challenges();
    several_values();
    case_and_whitespace();
    values();
    malformed();
    limits();
    return CHECK_DONE();
}
