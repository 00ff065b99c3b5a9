/* Unit tests for ${VAR} substitution, with a fake environment. */
#include "bridge/base/envsubst.h"
#include "bridge/base/err.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>

static const char *fake_getenv(const char *name)
{
    static const char *const env[][2] = {
        {"HOME", "/home/me"}, {"USER", "me"},        {"EMPTY", ""},
        {"_x9", "u"},         {"DOLLAR", "${USER}"}, {"API_KEY", "sk-123"},
    };
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
        if (strcmp(env[i][0], name) == 0) return env[i][1];
    }
    return NULL;
}

/* Substitute `in` and compare with `want`; NULL `want` means "expect rc". */
static void expect(const char *in, int want_rc, const char *want)
{
    char *out = (char *)"untouched";
    char bad[64] = "untouched";
    int rc = envsubst(in, &out, bad, sizeof(bad), fake_getenv);
    CHECK(rc == want_rc);
    if (rc != want_rc) fprintf(stderr, "  input \"%s\": rc %d\n", in, rc);
    if (want_rc == 0) {
        CHECK_STR(out, want);
        CHECK_STR(bad, "");
        free(out);
    } else {
        CHECK(out == NULL);
    }
}

static void expect_unset(const char *in, const char *name)
{
    char *out = NULL;
    char bad[64] = "";
    CHECK(envsubst(in, &out, bad, sizeof(bad), fake_getenv) == BRIDGE_EUNSET);
    CHECK(out == NULL);
    CHECK_STR(bad, name);
}

static void test_substitution(void)
{
    expect("", 0, "");
    expect("plain text", 0, "plain text");
    expect("${HOME}", 0, "/home/me");
    expect("Bearer ${API_KEY}", 0, "Bearer sk-123");
    expect("${USER}@${HOME}:x", 0, "me@/home/me:x");
    expect("${USER}${USER}", 0, "meme");
    expect("a${EMPTY}b", 0, "ab");
    expect("${_x9}", 0, "u");
    /* Values are not substituted again. */
    expect("${DOLLAR}", 0, "${USER}");
    /* "$" not followed by "{" stays. */
    expect("$", 0, "$");
    expect("$$", 0, "$$");
    expect("cost: 5$", 0, "cost: 5$");
    expect("$HOME", 0, "$HOME");
    expect("$${USER}", 0, "$me");
    expect("{USER}", 0, "{USER}");
    expect("}", 0, "}");
}

static void test_errors(void)
{
    expect("${", BRIDGE_EINVAL, NULL);
    expect("x ${USER", BRIDGE_EINVAL, NULL);
    expect("${}", BRIDGE_EINVAL, NULL);
    expect("${1X}", BRIDGE_EINVAL, NULL);
    expect("${A-B}", BRIDGE_EINVAL, NULL);
    expect("${ USER}", BRIDGE_EINVAL, NULL);
    expect("${USER }", BRIDGE_EINVAL, NULL);
    expect("${USER} ${", BRIDGE_EINVAL, NULL);

    expect_unset("${NOPE}", "NOPE");
    expect_unset("${USER} and ${ALSO_NOT_SET} and ${NOPE}", "ALSO_NOT_SET");
    expect_unset("${home}", "home"); /* names are case-sensitive */

    /* The name is truncated to fit, and a NULL bad_name is allowed. */
    char *out = NULL;
    char small[4] = "";
    CHECK(envsubst("${LONGNAME}", &out, small, sizeof(small), fake_getenv) == BRIDGE_EUNSET);
    CHECK_STR(small, "LON");
    CHECK(envsubst("${LONGNAME}", &out, NULL, 0, fake_getenv) == BRIDGE_EUNSET);
    CHECK(out == NULL);
}

static void test_real_getenv(void)
{
    char *out = NULL;
    char bad[64];
    setenv("MCP_BRIDGE_TEST_VAR", "value 1", 1);
    unsetenv("MCP_BRIDGE_TEST_UNSET");
    CHECK(envsubst("[${MCP_BRIDGE_TEST_VAR}]", &out, bad, sizeof(bad), NULL) == 0);
    CHECK_STR(out, "[value 1]");
    free(out);
    out = NULL;
    CHECK(envsubst("${MCP_BRIDGE_TEST_UNSET}", &out, bad, sizeof(bad), NULL) == BRIDGE_EUNSET);
    CHECK_STR(bad, "MCP_BRIDGE_TEST_UNSET");
}

static void test_long_value(void)
{
    /* Many substitutions of a long value: the output buffer must grow correctly. */
    static char big[10000];
    memset(big, 'v', sizeof(big) - 1);
    setenv("MCP_BRIDGE_TEST_BIG", big, 1);
    char *out = NULL;
    CHECK(envsubst("${MCP_BRIDGE_TEST_BIG}-${MCP_BRIDGE_TEST_BIG}", &out, NULL, 0, NULL) == 0);
    CHECK(out && strlen(out) == 2 * (sizeof(big) - 1) + 1);
    CHECK(out && out[sizeof(big) - 1] == '-');
    free(out);
}

int main(void)
{
    test_substitution();
    test_errors();
    test_real_getenv();
    test_long_value();
    return CHECK_DONE();
}
