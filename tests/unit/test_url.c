/* URL parsing, resolution and origin checks. */
#include "bridge/base/url.h"
#include "bridge/base/err.h"
#include "check.h"

#include <stdlib.h>

static void parse_ok(void)
{
    url_t u;
    char err[256];
    CHECK(url_parse("HTTPS://Example.COM:8443/mcp?x=1", &u, err, sizeof err) == 0);
    CHECK_STR(u.scheme, "https");
    CHECK_STR(u.host, "example.com");
    CHECK_STR(u.port, "8443");
    CHECK_STR(u.path, "/mcp");
    CHECK_STR(u.query, "x=1");
    url_free(&u);

    CHECK(url_parse("http://[::1]:3000", &u, err, sizeof err) == 0);
    CHECK_STR(u.host, "[::1]");
    CHECK_STR(u.path, "/");
    CHECK(u.query == NULL);
    url_free(&u);

    /* An empty query is there whichever libcurl reads it (8.x reports none
     * unless asked, 7.88 an empty one); the URL itself is written without it. */
    CHECK(url_parse("https://example.com/mcp?", &u, err, sizeof err) == 0);
    CHECK_STR(u.query, "");
    CHECK_STR(u.href, "https://example.com/mcp");
    url_free(&u);
}

static void parse_refused(void)
{
    url_t u;
    char err[256];
    CHECK(url_parse("ftp://example.com/x", &u, err, sizeof err) != 0);
    CHECK(strstr(err, "http") != NULL);
    CHECK(url_parse("https://example.com/mcp#frag", &u, err, sizeof err) != 0);
    CHECK(url_parse("https://example.com/mcp#", &u, err, sizeof err) != 0);
    CHECK(url_parse("https://user:pw@example.com/mcp", &u, err, sizeof err) != 0);
    CHECK(url_parse("not a url", &u, err, sizeof err) != 0);
    CHECK(url_parse("/relative/only", &u, err, sizeof err) != 0);
    CHECK(url_parse("", &u, err, sizeof err) != 0);
}

static void resolve(void)
{
    char *out = NULL;
    CHECK(url_resolve("http://h:1/sse", "/messages?sessionId=abc", &out) == 0);
    CHECK_STR(out, "http://h:1/messages?sessionId=abc");
    free(out);
    CHECK(url_resolve("http://h:1/a/sse", "messages", &out) == 0);
    CHECK_STR(out, "http://h:1/a/messages");
    free(out);
    CHECK(url_resolve("http://h:1/sse", "https://other/x", &out) == 0);
    CHECK_STR(out, "https://other/x");
    free(out);
    /* No control character (DEL included) gets into or out of a resolution,
     * whichever of them the installed libcurl lets through. */
    out = NULL;
    CHECK(url_resolve("http://h:1/sse", "///\377\177p", &out) == BRIDGE_EINVAL && !out);
    CHECK(url_resolve("http://h:1/sse", "/a\177b", &out) == BRIDGE_EINVAL && !out);
    CHECK(url_resolve("http://h:1/s\177", "/a", &out) == BRIDGE_EINVAL && !out);
    url_t u;
    char err[128];
    CHECK(url_parse("http://h/a\177b", &u, err, sizeof err) == BRIDGE_EINVAL);
    CHECK(url_parse("http://h/a\tb", &u, err, sizeof err) == BRIDGE_EINVAL);
}

static void origins(void)
{
    CHECK(url_same_origin("https://a.example/x", "https://A.example:443/y"));
    CHECK(!url_same_origin("https://a.example/x", "http://a.example/x"));
    CHECK(!url_same_origin("https://a.example/x", "https://b.example/x"));
    CHECK(!url_same_origin("http://h:1/x", "http://h:2/x"));
    CHECK(url_same_origin("http://h/x", "http://h:80/y"));
    CHECK(!url_same_origin("garbage", "http://h/"));
}

static void loopback(void)
{
    CHECK(url_host_is_loopback("localhost"));
    CHECK(url_host_is_loopback("LOCALHOST"));
    CHECK(url_host_is_loopback("127.0.0.1"));
    CHECK(url_host_is_loopback("127.1.2.3"));
    CHECK(url_host_is_loopback("[::1]"));
    CHECK(!url_host_is_loopback("127.0.0.1.evil.example"));
    CHECK(!url_host_is_loopback("128.0.0.1"));
    CHECK(!url_host_is_loopback("localhost.evil.example"));
    CHECK(!url_host_is_loopback(NULL));
}

int main(void)
{
    parse_ok();
    parse_refused();
    resolve();
    origins();
    loopback();
    return CHECK_DONE();
}
