/* Scope selection (MCP 2025-11-25 order), step-up union, offline_access. */
#include "oauth/scope.h"
#include "bridge/base/err.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static json_t *arr(const char *json)
{
    json_error_t e;
    json_t *j = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!j) fprintf(stderr, "bad test JSON %s: %s\n", json, e.text);
    return j;
}

static void select_order(void)
{
    json_t *sup = arr("[\"read\", \"write\", \"read\"]");
    char *s = (char *)"untouched";

    CHECK(oauth_select_scope("a b", sup, "mine", &s) == 0); /* override wins */
    CHECK_STR(s, "mine");
    free(s);
    CHECK(oauth_select_scope("a b", sup, NULL, &s) == 0); /* then the challenge */
    CHECK_STR(s, "a b");
    free(s);
    CHECK(oauth_select_scope(NULL, sup, NULL, &s) == 0); /* then scopes_supported */
    CHECK_STR(s, "read write");
    free(s);
    CHECK(oauth_select_scope(NULL, NULL, NULL, &s) == 0); /* else omit */
    CHECK(s == NULL);

    /* An empty or blank challenge scope says nothing. */
    CHECK(oauth_select_scope("", sup, NULL, &s) == 0);
    CHECK_STR(s, "read write");
    free(s);
    CHECK(oauth_select_scope(" \t ", sup, NULL, &s) == 0);
    CHECK_STR(s, "read write");
    free(s);
    /* An empty override omits the scope deliberately. */
    CHECK(oauth_select_scope("a", sup, "", &s) == 0);
    CHECK(s == NULL);
    /* Empty scopes_supported: omit. */
    json_t *empty = arr("[]");
    CHECK(oauth_select_scope(NULL, empty, NULL, &s) == 0);
    CHECK(s == NULL);
    json_decref(empty);

    /* Normalised: extra spaces, tabs and repeats go. */
    CHECK(oauth_select_scope("  b\ta  b a ", NULL, NULL, &s) == 0);
    CHECK_STR(s, "b a");
    free(s);
    /* Scopes are case-sensitive and may carry URL characters. */
    CHECK(oauth_select_scope("Read read https://x/y:z", NULL, NULL, &s) == 0);
    CHECK_STR(s, "Read read https://x/y:z");
    free(s);
    json_decref(sup);
}

static void select_invalid(void)
{
    char *s = (char *)"untouched";
    CHECK(oauth_select_scope("a \"b\"", NULL, NULL, &s) == BRIDGE_EINVAL && s == NULL);
    CHECK(oauth_select_scope("a\\b", NULL, NULL, &s) == BRIDGE_EINVAL);
    CHECK(oauth_select_scope("a\nb", NULL, NULL, &s) == BRIDGE_EINVAL);
    CHECK(oauth_select_scope("caf\xc3\xa9", NULL, NULL, &s) == BRIDGE_EINVAL);

    const char *bad_arrays[] = {
        "\"read write\"",   /* not an array */
        "{\"a\": 1}",       /* not an array */
        "[\"read\", 3]",    /* not a string */
        "[\"read\", null]", /* not a string */
        "[\"\"]",           /* empty token */
        "[\"read write\"]", /* two tokens in one element */
        "[\"a\\u0000b\"]",  /* embedded NUL */
        "[\"a\\\"b\"]",     /* quote */
    };
    for (size_t i = 0; i < sizeof bad_arrays / sizeof bad_arrays[0]; i++) {
        json_t *j = arr(bad_arrays[i]);
        CHECK(j != NULL);
        CHECK(oauth_select_scope(NULL, j, NULL, &s) == BRIDGE_EINVAL && s == NULL);
        /* A challenge scope makes scopes_supported irrelevant. */
        CHECK(oauth_select_scope("x", j, NULL, &s) == 0);
        CHECK_STR(s, "x");
        free(s);
        json_decref(j);
    }
}

static void bounds(void)
{
    char *big = malloc(OAUTH_SCOPE_MAX + 2);
    memset(big, 'a', OAUTH_SCOPE_MAX + 1);
    big[OAUTH_SCOPE_MAX + 1] = '\0';
    char *s = NULL;
    CHECK(oauth_select_scope(big, NULL, NULL, &s) == BRIDGE_ETOOBIG && s == NULL);
    CHECK(oauth_scope_union(big, NULL, &s) == BRIDGE_ETOOBIG);
    CHECK(oauth_scope_union("a", big, &s) == BRIDGE_ETOOBIG);
    big[OAUTH_SCOPE_MAX] = '\0';
    CHECK(oauth_select_scope(big, NULL, NULL, &s) == 0);
    CHECK(s && strlen(s) == OAUTH_SCOPE_MAX);
    free(s);
    /* Two inputs within the limit whose union is not. */
    CHECK(oauth_scope_union(big, "b", &s) == BRIDGE_ETOOBIG && s == NULL);
    /* Adding offline_access may push it over too. */
    json_t *as = arr("[\"offline_access\"]");
    CHECK(oauth_scope_add_offline_access(big, as, &s) == BRIDGE_ETOOBIG);
    json_decref(as);

    /* Many distinct scopes in scopes_supported whose join is too long. */
    json_t *many = json_array();
    char name[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "scope%04d", i);
        json_array_append_new(many, json_string(name));
    }
    CHECK(oauth_select_scope(NULL, many, NULL, &s) == BRIDGE_ETOOBIG && s == NULL);
    json_decref(many);

    /* 2000 one-letter repeats fit after de-duplication. */
    char rep[4001];
    for (int i = 0; i < 2000; i++) {
        rep[2 * i] = 'z';
        rep[2 * i + 1] = ' ';
    }
    rep[4000] = '\0';
    CHECK(oauth_scope_union(rep, rep, &s) == 0);
    CHECK_STR(s, "z");
    free(s);
    free(big);
}

static void union_(void)
{
    char *s = (char *)"untouched";
    CHECK(oauth_scope_union("a b", "b c", &s) == 0);
    CHECK_STR(s, "a b c");
    free(s);
    CHECK(oauth_scope_union("c b", "a b c d", &s) == 0);
    CHECK_STR(s, "c b a d");
    free(s);
    CHECK(oauth_scope_union(NULL, "x  y x", &s) == 0);
    CHECK_STR(s, "x y");
    free(s);
    CHECK(oauth_scope_union("x", NULL, &s) == 0);
    CHECK_STR(s, "x");
    free(s);
    CHECK(oauth_scope_union(NULL, NULL, &s) == 0);
    CHECK(s == NULL);
    CHECK(oauth_scope_union("", " ", &s) == 0);
    CHECK(s == NULL);
    /* Prefixes are not duplicates. */
    CHECK(oauth_scope_union("files:read", "files files:read:all files:rea", &s) == 0);
    CHECK_STR(s, "files:read files files:read:all files:rea");
    free(s);
    CHECK(oauth_scope_union("a", "b\"", &s) == BRIDGE_EINVAL && s == NULL);
}

static void offline_access(void)
{
    json_t *with = arr("[\"openid\", \"offline_access\"]");
    json_t *without = arr("[\"openid\"]");
    json_t *tricky = arr("[\"offline_access\\u0000x\", \"offline\"]");
    char *s = (char *)"untouched";

    CHECK(oauth_scope_add_offline_access("a b", with, &s) == 0);
    CHECK_STR(s, "a b offline_access");
    free(s);
    CHECK(oauth_scope_add_offline_access("offline_access a", with, &s) == 0);
    CHECK_STR(s, "offline_access a");
    free(s);
    CHECK(oauth_scope_add_offline_access("a b", without, &s) == 0);
    CHECK_STR(s, "a b");
    free(s);
    CHECK(oauth_scope_add_offline_access("a", tricky, &s) == 0);
    CHECK_STR(s, "a");
    free(s);
    CHECK(oauth_scope_add_offline_access("a", NULL, &s) == 0);
    CHECK_STR(s, "a");
    free(s);
    /* An omitted scope stays omitted. */
    CHECK(oauth_scope_add_offline_access(NULL, with, &s) == 0);
    CHECK(s == NULL);
    CHECK(oauth_scope_add_offline_access("  ", with, &s) == 0);
    CHECK(s == NULL);
    /* A non-array scopes_supported is ignored here. */
    json_t *str = json_string("offline_access");
    CHECK(oauth_scope_add_offline_access("a", str, &s) == 0);
    CHECK_STR(s, "a");
    free(s);
    json_decref(str);
    json_decref(with);
    json_decref(without);
    json_decref(tricky);
}

/* No protected resource metadata: client scope, registered scope, AS scopes. */
static void fallback(void)
{
    json_t *as = arr("[\"openid\", \"offline_access\"]");
    char *s = NULL;
    CHECK(oauth_scope_fallback("mine", "reg", as, &s) == 0);
    CHECK_STR(s, "mine");
    free(s);
    CHECK(oauth_scope_fallback(NULL, "reg x", as, &s) == 0);
    CHECK_STR(s, "reg x");
    free(s);
    CHECK(oauth_scope_fallback(NULL, NULL, as, &s) == 0);
    CHECK_STR(s, "openid offline_access");
    free(s);
    CHECK(oauth_scope_fallback(NULL, NULL, NULL, &s) == 0);
    CHECK(s == NULL);
    json_t *bad = arr("[\"a b\"]");
    CHECK(oauth_scope_fallback(NULL, NULL, bad, &s) == BRIDGE_EINVAL);
    CHECK(s == NULL);
    json_decref(bad);

    /* prompt=consent only for offline_access at an AS that announces it. */
    CHECK(oauth_scope_wants_consent("mcp offline_access", as) == 1);
    CHECK(oauth_scope_wants_consent("mcp", as) == 0);
    CHECK(oauth_scope_wants_consent("mcp offline_accessX", as) == 0);
    CHECK(oauth_scope_wants_consent(NULL, as) == 0);
    json_t *plain = arr("[\"mcp\"]");
    CHECK(oauth_scope_wants_consent("mcp offline_access", plain) == 0);
    CHECK(oauth_scope_wants_consent("offline_access", NULL) == 0);
    CHECK(oauth_scope_has("\ta offline_access ", "offline_access") == 1);
    json_decref(plain);
    json_decref(as);
}

int main(void)
{
    fallback();
    select_order();
    select_invalid();
    bounds();
    union_();
    offline_access();
    return CHECK_DONE();
}
