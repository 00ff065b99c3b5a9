/* --ignore-tool matching: mcp-remote's semantics (case-insensitive, '*' any run of
 * characters on one line, everything else literal), and no blow-up on many stars. */
#include "bridge/relay/toolmatch.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void literal_and_case(void)
{
    CHECK(toolmatch("echo", "echo"));
    CHECK(toolmatch("ECHO", "echo"));
    CHECK(toolmatch("echo", "EcHo"));
    CHECK(!toolmatch("echo", "echo2"));
    CHECK(!toolmatch("echo", "ech"));
    CHECK(!toolmatch("echo", ""));
    CHECK(toolmatch("", ""));
    CHECK(!toolmatch("", "x"));
    CHECK(!toolmatch(NULL, "x"));
    CHECK(!toolmatch("x", NULL));
    /* Not shell globs: ?, [ ] and \ are literal characters. */
    CHECK(!toolmatch("ech?", "echo"));
    CHECK(toolmatch("ech?", "ECH?"));
    CHECK(!toolmatch("[e]cho", "echo"));
    CHECK(toolmatch("[e]cho", "[E]cho"));
    CHECK(toolmatch("a\\*", "a\\bc"));
    CHECK(!toolmatch("a.c", "abc"));
    CHECK(toolmatch("get-sum", "GET-SUM"));
    /* Only ASCII letters fold (as JavaScript never folds a non-ASCII letter to ASCII). */
    CHECK(!toolmatch("K", "\xe2\x84\xaa")); /* KELVIN SIGN */
    CHECK(toolmatch("caf\xc3\xa9", "CAF\xc3\xa9"));
}

static void stars(void)
{
    CHECK(toolmatch("*", ""));
    CHECK(toolmatch("*", "anything at all"));
    CHECK(toolmatch("**", "x"));
    CHECK(toolmatch("GET-*", "get-tiny-image"));
    CHECK(toolmatch("GET-*", "get-"));
    CHECK(!toolmatch("GET-*", "xget-tiny"));
    CHECK(toolmatch("*-image", "GET-TINY-IMAGE"));
    CHECK(!toolmatch("*-image", "get-tiny-image2"));
    CHECK(toolmatch("*tiny*", "getTinyImage"));
    CHECK(toolmatch("a*b*c", "abc"));
    CHECK(toolmatch("a*b*c", "aXbYbZc"));
    CHECK(!toolmatch("a*b*c", "aXcYb"));
    CHECK(toolmatch("ab*ba", "aba") == false); /* head and tail may not overlap */
    CHECK(toolmatch("ab*ba", "abba"));
    CHECK(toolmatch("*aa*aa", "aaaa"));
    CHECK(!toolmatch("*aa*aa", "aaa"));
    CHECK(toolmatch("a*a*a", "aaa"));
    CHECK(!toolmatch("a*a*a", "aa"));
}

static void line_terminators(void)
{
    /* '*' is '.*': it does not cover a line break, a literal one does. */
    CHECK(!toolmatch("*", "a\nb"));
    CHECK(!toolmatch("a*", "a\r"));
    CHECK(toolmatch("a\n*", "a\nbc"));
    CHECK(toolmatch("*\n*", "ab\ncd"));
    CHECK(!toolmatch("*\n*", "a\nb\nc"));
    CHECK(!toolmatch("*x*", "a\u2028x"));
    CHECK(!toolmatch("*x*", "x\u2029"));
    CHECK(toolmatch("*x*", "a\u2027x")); /* the code point before is not a terminator */
    CHECK(!toolmatch("*a\n*b", "a\na\nb"));
}

/* Many stars and a name that almost matches: backtracking matchers take exponential
 * time here; this one is bounded by name x pattern. */
static void pathological(void)
{
    char pattern[TOOLMATCH_MAX_PATTERN + 1], name[100001];
    size_t n = 0;
    while (n + 2 < TOOLMATCH_MAX_PATTERN) {
        pattern[n++] = 'a';
        pattern[n++] = '*';
    }
    pattern[n++] = 'b';
    pattern[n] = 0;
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = 0;
    clock_t t0 = clock();
    CHECK(!toolmatch(pattern, name));
    name[sizeof name - 2] = 'B';
    CHECK(toolmatch(pattern, name));
    CHECK(!toolmatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c", name));
    /* A long literal that almost matches at every place. */
    n = 0;
    pattern[n++] = '*';
    while (n < TOOLMATCH_MAX_PATTERN - 2)
        pattern[n++] = 'a';
    pattern[n++] = 'c';
    pattern[n++] = '*';
    pattern[n] = 0;
    CHECK(!toolmatch(pattern, name));
    double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(s < 2.0);
}

int main(void)
{
    literal_and_case();
    stars();
    line_terminators();
    pathological();
    return CHECK_DONE();
}
