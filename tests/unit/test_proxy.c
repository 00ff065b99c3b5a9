/* Proxy selection for --enable-proxy: the variables and NO_PROXY matching as
 * Node's EnvHttpProxyAgent (mcp-remote) reads them. */
#include "bridge/net/proxy.h"
#include "check.h"

#include <stdlib.h>

static void clear_env(void)
{
    const char *names[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                           "no_proxy",   "NO_PROXY",   "ALL_PROXY",   "all_proxy"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
}

static proxy_env_t picked; /* what pick() loaded last */

static const char *pick(const char *no_proxy, const char *url)
{
    proxy_env_t *p = &picked;
    proxy_env_free(p);
    clear_env();
    setenv("HTTPS_PROXY", "http://proxy:3128", 1);
    setenv("HTTP_PROXY", "http://plain:3128", 1);
    if (no_proxy) setenv("NO_PROXY", no_proxy, 1);
    if (proxy_env_load(p) != 0) return "load failed";
    return proxy_for_url(p, url);
}

static void variables(void)
{
    proxy_env_t p;
    clear_env();
    setenv("HTTP_PROXY", "http://upper:1", 1);
    CHECK(proxy_env_load(&p) == 0);
    CHECK_STR(proxy_for_url(&p, "http://a.test/mcp"), "http://upper:1");
    /* No https proxy: the http one serves https:// too. */
    CHECK_STR(proxy_for_url(&p, "https://a.test/mcp"), "http://upper:1");
    proxy_env_free(&p);

    setenv("https_proxy", "http://lower:2", 1);
    setenv("HTTPS_PROXY", "http://upper:2", 1);
    CHECK(proxy_env_load(&p) == 0);
    CHECK_STR(proxy_for_url(&p, "https://a.test/mcp"), "http://lower:2");
    proxy_env_free(&p);

    /* A lower-case variable set empty wins over the upper-case one: no proxy. */
    clear_env();
    setenv("http_proxy", "", 1);
    setenv("HTTP_PROXY", "http://upper:1", 1);
    CHECK(proxy_env_load(&p) == 0);
    CHECK(proxy_for_url(&p, "http://a.test/") == NULL);
    CHECK(proxy_for_url(&p, "https://a.test/") == NULL);
    proxy_env_free(&p);

    /* ALL_PROXY is not read. */
    clear_env();
    setenv("ALL_PROXY", "http://all:1", 1);
    CHECK(proxy_env_load(&p) == 0);
    CHECK(proxy_for_url(&p, "https://a.test/") == NULL);
    proxy_env_free(&p);
}

static void no_proxy(void)
{
    CHECK_STR(pick(NULL, "https://a.test/"), "http://proxy:3128");
    CHECK_STR(pick("", "https://a.test/"), "http://proxy:3128");
    CHECK(pick("*", "https://a.test/") == NULL);
    CHECK(pick("a.test", "https://a.test/") == NULL);
    CHECK(pick("A.TEST", "https://a.test/") == NULL);
    CHECK(pick("a.test", "https://sub.a.test/") == NULL);
    CHECK(pick(".a.test", "https://sub.a.test/") == NULL);
    CHECK(pick("*.a.test", "https://sub.a.test/") == NULL);
    CHECK(pick(".a.test", "https://a.test/") == NULL);
    CHECK_STR(pick("a.test", "https://nota.test/"), "http://proxy:3128");
    CHECK_STR(pick("sub.a.test", "https://a.test/"), "http://proxy:3128");
    /* Lists: commas and white space. */
    CHECK(pick("x.test, y.test  a.test", "https://a.test/") == NULL);
    CHECK(pick(",,a.test,", "https://a.test/") == NULL);
    /* Ports: an entry with one matches that port only, default ports count. */
    CHECK(pick("a.test:8443", "https://a.test:8443/") == NULL);
    CHECK_STR(pick("a.test:8443", "https://a.test/"), "http://proxy:3128");
    CHECK(pick("a.test:443", "https://a.test/") == NULL);
    CHECK(pick("a.test:80", "http://a.test/") == NULL);
    CHECK(pick("127.0.0.1", "http://127.0.0.1:3000/mcp") == NULL);
    CHECK_STR(pick("127.0.0.1:1", "http://127.0.0.1:3000/mcp"), "http://plain:3128");
    /* IPv6 literals are written with brackets, as in the URL. */
    CHECK(pick("[::1]", "http://[::1]:3000/") == NULL);
    CHECK(pick("[::1]:3000", "http://[::1]:3000/") == NULL);
    CHECK_STR(pick("[::1]:3001", "http://[::1]:3000/"), "http://plain:3128");
}

int main(void)
{
    variables();
    no_proxy();
    proxy_env_free(&picked);
    return CHECK_DONE();
}
