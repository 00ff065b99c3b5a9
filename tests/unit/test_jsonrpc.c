/* JSON-RPC classification, id keys, error responses and newline flattening. */
#include "bridge/base/jsonrpc.h"
#include "check.h"

#include <stdlib.h>

static jr_kind_t kind_of(const char *text)
{
    char err[256];
    json_t *v = jr_decode(text, strlen(text), err, sizeof err);
    if (!v) return (jr_kind_t)-1;
    jr_kind_t k = jr_classify(v, NULL, NULL, NULL);
    json_decref(v);
    return k;
}

static void classify(void)
{
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}") == JR_REQUEST);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"x\",\"params\":{}}") ==
          JR_REQUEST);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}") ==
          JR_NOTIFICATION);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}") == JR_RESPONSE);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":1,\"message\":\"m\"}}") ==
          JR_RESPONSE);
    CHECK(kind_of("[{\"jsonrpc\":\"2.0\",\"method\":\"a\"}]") == JR_BATCH);
    CHECK(kind_of("[]") == JR_INVALID);
    CHECK(kind_of("[1]") == JR_BATCH); /* members are judged one by one */
    CHECK(kind_of("\"x\"") == JR_INVALID);
    CHECK(kind_of("{\"foo\":1}") == JR_INVALID);
    CHECK(kind_of("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"a\"}") == JR_INVALID);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"a\"}") == JR_INVALID);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"a\"}") == JR_INVALID);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"a\"}") == JR_INVALID);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"method\":7}") == JR_INVALID);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"params\":3}") == JR_INVALID);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}") == JR_INVALID);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":1}") == JR_INVALID);
    CHECK(kind_of("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"bad\"}") == JR_INVALID);
}

static void decode_errors(void)
{
    char err[256];
    CHECK(jr_decode("{", 1, err, sizeof err) == NULL);
    CHECK(strstr(err, "invalid JSON") != NULL);
    /* Invalid UTF-8 inside a string is refused. */
    const char bad[] = "{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}";
    CHECK(jr_decode(bad, sizeof bad - 1, err, sizeof err) == NULL);
    /* An escaped NUL is refused (it would truncate C strings). */
    const char nul[] = "{\"jsonrpc\":\"2.0\",\"method\":\"a\\u0000b\"}";
    CHECK(jr_decode(nul, sizeof nul - 1, err, sizeof err) == NULL);
    /* A raw NUL byte in the middle. */
    const char raw_nul[] = "{\"a\":1}\0{}";
    CHECK(jr_decode(raw_nul, sizeof raw_nul - 1, err, sizeof err) == NULL);
}

static void id_keys(void)
{
    json_t *n = json_integer(42), *s = json_string("42"), *r = json_real(1.0);
    char *kn = jr_id_key(n), *ks = jr_id_key(s), *kr = jr_id_key(r);
    CHECK_STR(kn, "n:42");
    CHECK_STR(ks, "s:42");
    CHECK(kr == NULL);
    CHECK(jr_id_is(s, "s:42") && !jr_id_is(s, "n:42") && !jr_id_is(s, "s:4"));
    CHECK(jr_id_is(n, "n:42") && !jr_id_is(n, "s:42") && !jr_id_is(r, "n:1"));
    const struct {
        json_int_t v;
        const char *key;
    } ints[] = {{0, "n:0"},
                {-1, "n:-1"},
                {1234567890, "n:1234567890"},
                {9223372036854775807LL, "n:9223372036854775807"},
                {-9223372036854775807LL - 1, "n:-9223372036854775808"}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        json_t *v = json_integer(ints[i].v);
        char *k = jr_id_key(v);
        CHECK_STR(k, ints[i].key);
        CHECK(jr_id_is(v, ints[i].key));
        CHECK(!jr_id_is(v, "n:7") || ints[i].v == 7);
        CHECK(!jr_id_is(v, "s:0"));
        free(k);
        json_decref(v);
    }
    free(kn);
    free(ks);
    json_decref(n);
    json_decref(s);
    json_decref(r);
}

static void errors(void)
{
    char *e = jr_error_response(NULL, JR_PARSE_ERROR, "Parse error", NULL);
    CHECK_STR(e, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse "
                 "error\"}}");
    free(e);
    json_t *id = json_string("a\"b");
    e = jr_error_response(id, JR_SERVER_ERROR, "line1\nline2", NULL);
    CHECK(e && strchr(e, '\n') == NULL);
    CHECK(e && strstr(e, "\"id\":\"a\\\"b\"") != NULL);
    free(e);
    json_decref(id);
}

static void flatten(void)
{
    char text[] = "{\r\n\"a\":\n1}\r";
    jr_flatten_newlines(text, strlen(text));
    CHECK_STR(text, "{  \"a\": 1} ");
    char err[64];
    json_t *v = jr_decode(text, strlen(text), err, sizeof err);
    CHECK(v != NULL);
    json_decref(v);
}

int main(void)
{
    classify();
    decode_errors();
    id_keys();
    errors();
    flatten();
    return CHECK_DONE();
}
