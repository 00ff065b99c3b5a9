/* The loopback redirect request parser. */
#include "check.h"
#include "bridge/base/err.h"
#include "oauth/callback_parse.h"

#include <stdlib.h>

static const char *path = "/oauth/callback";

static int parse(const char *req, oauth_callback_params_t *p)
{
    return oauth_callback_parse(req, strlen(req), path, p);
}

static void good(void)
{
    oauth_callback_params_t p;
    CHECK(parse("GET /oauth/callback?code=abc%2Fd+e&state=s1&iss=https%3A%2F%2Fas HTTP/1.1\r\n"
                "Host: 127.0.0.1\r\n\r\n",
                &p) == 0);
    CHECK(p.path_ok);
    CHECK_STR(p.code, "abc/d e");
    CHECK_STR(p.state, "s1");
    CHECK_STR(p.iss, "https://as");
    oauth_callback_params_free(&p);

    CHECK(parse("GET /oauth/callback?error=access_denied&error_description=no%20way&state=s "
                "HTTP/1.0\n\n",
                &p) == 0);
    CHECK_STR(p.error, "access_denied");
    CHECK_STR(p.error_description, "no way");
    CHECK(p.code == NULL);
    oauth_callback_params_free(&p);
}

static void other_requests(void)
{
    oauth_callback_params_t p;
    CHECK(parse("GET /favicon.ico HTTP/1.1\r\n\r\n", &p) == 0);
    CHECK(!p.path_ok);
    oauth_callback_params_free(&p);
    CHECK(parse("POST /oauth/callback?code=x&state=y HTTP/1.1\r\n\r\n", &p) == 0);
    CHECK(!p.path_ok && p.code == NULL);
    oauth_callback_params_free(&p);
    CHECK(parse("GET /oauth/callbackX?code=x HTTP/1.1\r\n\r\n", &p) == 0);
    CHECK(!p.path_ok);
    oauth_callback_params_free(&p);
}

static void incomplete_and_bad(void)
{
    oauth_callback_params_t p;
    CHECK(parse("GET /oauth/callback?code=x HTTP/1.1\r\nHost: a\r\n", &p) ==
          OAUTH_CALLBACK_NEED_MORE);
    CHECK(parse("", &p) == OAUTH_CALLBACK_NEED_MORE);
    CHECK(parse("GARBAGE\r\n\r\n", &p) < 0);
    CHECK(parse("GET /oauth/callback?code=x\r\n\r\n", &p) < 0);
    CHECK(parse("GET  HTTP/1.1\r\n\r\n", &p) < 0);
    /* Repeated parameters are refused. */
    CHECK(parse("GET /oauth/callback?code=a&code=b&state=s HTTP/1.1\r\n\r\n", &p) < 0);
    /* Bad percent escapes and encoded NUL. */
    CHECK(parse("GET /oauth/callback?code=%zz&state=s HTTP/1.1\r\n\r\n", &p) < 0);
    CHECK(parse("GET /oauth/callback?code=a%00b&state=s HTTP/1.1\r\n\r\n", &p) < 0);
    CHECK(parse("GET /oauth/callback?code=a%2&state=s HTTP/1.1\r\n\r\n", &p) < 0);
    /* A request larger than the bound without the end of its headers. */
    size_t n = OAUTH_CALLBACK_MAX_REQUEST + 10;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = 0;
    CHECK(parse(big, &p) == BRIDGE_ETOOBIG);
    free(big);
}

static void decode(void)
{
    char *s = oauth_form_decode("a%41+b", 6);
    CHECK_STR(s, "aA b");
    free(s);
    CHECK(oauth_form_decode("%4", 2) == NULL);
    CHECK(oauth_form_decode("%", 1) == NULL);
    s = oauth_form_decode("", 0);
    CHECK_STR(s, "");
    free(s);
}

int main(void)
{
    good();
    other_requests();
    incomplete_and_bad();
    decode();
    return CHECK_DONE();
}
