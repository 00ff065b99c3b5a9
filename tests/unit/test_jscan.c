/* The one-pass JSON scanner: validity against the RFC 8259 grammar and UTF-8,
 * and the top-level members it notes. */
#include "bridge/base/jscan.h"
#include "bridge/base/jsonrpc.h"
#include "check.h"

#include <stdlib.h>

static int ok(const char *s)
{
    jscan_t sc;
    return jscan(s, strlen(s), &sc, NULL) == 0;
}

static void validity(void)
{
    const char *good[] = {
        "{}", "[]", "0", "-0", "1.5e-3", "\"x\"", "true", "false", "null", " {\"a\" : [1, 2, {}]} ",
        "\"\\u00e9\\n\\\"\"", "\"\xc3\xa9\"", "\"\xf0\x9f\x98\x80\"", "[[[[[]]]]]", "{\"a\":{\"b\":[]}}",
        "1E+2", "\"\\/\"",
    };
    const char *bad[] = {
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1",
        "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"a\nb\"", "{} {}", "[1] x", "\"\xff\"",
        "\"\xc0\xaf\"" /* overlong */, "\"\xed\xa0\x80\"" /* surrogate */, "\"\xf4\x90\x80\x80\"",
        "\"\xe2\x82\"", "{\"a\" 1}", "[1 2]", "NaN",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int v = ok(good[i]);
        if (!v) fprintf(stderr, "should be valid: %s\n", good[i]);
        CHECK(v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int v = ok(bad[i]);
        if (v) fprintf(stderr, "should be invalid: %s\n", bad[i]);
        CHECK(!v);
    }
    /* Embedded NUL byte. */
    CHECK(jscan("{\"a\":\"\0\"}", 8, &(jscan_t){0}, NULL) != 0);
    /* Depth bound. */
    size_t n = JSCAN_MAX_DEPTH + 1;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = 0;
    CHECK(!ok(deep));
    deep[0] = ' ';
    deep[2 * n - 1] = ' ';
    CHECK(ok(deep)); /* exactly at the bound */
    free(deep);
}

static void members(void)
{
    const char *m = "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":{\"name\":\"x\","
                    "\"id\":\"inner\"}}";
    jscan_t sc;
    CHECK(jscan(m, strlen(m), &sc, NULL) == 0);
    CHECK(sc.top == JSCAN_OBJECT);
    CHECK(sc.id.type == JSCAN_INTEGER && sc.id.len == 2 && !memcmp(sc.id.at, "42", 2));
    CHECK(sc.method.type == JSCAN_STRING && sc.method.len == 10);
    CHECK(sc.params.type == JSCAN_OBJECT);
    CHECK(sc.result.type == JSCAN_NONE);
    const char *e = "{\"\\u0069d\":1,\"result\":{}}";
    CHECK(jscan(e, strlen(e), &sc, NULL) == 0 && sc.odd_keys);
    size_t at = 0;
    CHECK(jscan("{\"a\":tru}", 9, &sc, &at) != 0 && at >= 5);
}

/* The skeleton routes like the full decode. */
static void skeleton(void)
{
    const char *cases[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"big\":\"...\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"error\":{\"code\":1,\"message\":\"m\"}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":\"s\"}",
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"x\"}",
        "{\"id\":1,\"error\":\"e\",\"jsonrpc\":\"2.0\"}",
        /* Integer ids read without jansson: signs, zero, the edges of 64 bits. */
        "{\"jsonrpc\":\"2.0\",\"id\":-0,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":-17,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":999999999999999999,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":9223372036854775807,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775808,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"caf\u00e9\",\"result\":{}}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[128];
        int skel = 0;
        json_t *fast = jr_decode_fast(cases[i], strlen(cases[i]), &skel, err, sizeof err);
        json_t *full = jr_decode(cases[i], strlen(cases[i]), err, sizeof err);
        CHECK(fast && full && skel);
        json_t *id1 = NULL, *id2 = NULL;
        const char *m1 = NULL, *m2 = NULL;
        jr_kind_t k1 = jr_classify(fast, &id1, &m1, NULL), k2 = jr_classify(full, &id2, &m2, NULL);
        CHECK(k1 == k2);
        char *a = id1 ? jr_id_key(id1) : NULL, *b = id2 ? jr_id_key(id2) : NULL;
        CHECK((!a && !b) || (a && b && !strcmp(a, b)));
        CHECK((!m1 && !m2) || (m1 && m2 && !strcmp(m1, m2)));
        free(a);
        free(b);
        json_decref(fast);
        json_decref(full);
    }
}

/* Strings are skimmed 16 and 8 bytes at a time: a byte that matters must be seen
 * at every position and string length around those widths, as jansson sees it. */
static void wide_skips(void)
{
    const char *specials[] = {"\x01", "\x1f", "\\n", "\\u00e9", "\xc3\xa9", "\xff", "\xe2\x82",
                              "\x7f", "\"", "\\"};
    char text[200];
    int agree = 1;
    for (size_t sp = 0; sp < sizeof specials / sizeof specials[0]; sp++) {
        for (size_t len = 0; len <= 40; len++) {
            for (size_t at = 0; at <= len; at++) {
                size_t n = 0;
                n += (size_t)snprintf(text, sizeof text, "{\"text\":\"");
                for (size_t i = 0; i < len; i++) {
                    if (i == at) {
                        memcpy(text + n, specials[sp], strlen(specials[sp]));
                        n += strlen(specials[sp]);
                    }
                    text[n++] = (char)('a' + i % 26);
                }
                if (at == len) {
                    memcpy(text + n, specials[sp], strlen(specials[sp]));
                    n += strlen(specials[sp]);
                }
                memcpy(text + n, "\"}", 2);
                n += 2;
                jscan_t sc;
                int ours = jscan(text, n, &sc, NULL) == 0;
                json_t *j = json_loadb(text, n, 0, NULL);
                int theirs = j != NULL;
                json_decref(j);
                if (ours != theirs) {
                    fprintf(stderr, "  special %zu at %zu of %zu: jscan %d, jansson %d\n", sp, at,
                            len, ours, theirs);
                    agree = 0;
                }
            }
        }
    }
    CHECK(agree);
}

int main(void)
{
    validity();
    wide_skips();
    members();
    skeleton();
    return CHECK_DONE();
}
