/* Discovery URL construction: the worked examples of spec-checklist §4 (Case A,
 * Case B, trailing-slash issuer, query), IPv6 hosts, explicit ports, refusals. */
#include "oauth/wellknown.h"
#include "bridge/base/err.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static void free_n(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

#define CHECK_PRM(url, count, u0, u1)                                                              \
    do {                                                                                           \
        char *o_[OAUTH_PRM_URLS_MAX];                                                              \
        size_t n_ = 99;                                                                            \
        CHECK(oauth_prm_urls(url, o_, &n_) == 0);                                                  \
        CHECK(n_ == (count));                                                                      \
        if (n_ == (count)) {                                                                       \
            CHECK_STR(o_[0], u0);                                                                  \
            if ((count) > 1) CHECK_STR(o_[1], u1);                                                 \
            free_n(o_, n_);                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_AS(url, count, u0, u1, u2)                                                           \
    do {                                                                                           \
        char *o_[OAUTH_AS_METADATA_URLS_MAX];                                                      \
        size_t n_ = 99;                                                                            \
        CHECK(oauth_as_metadata_urls(url, o_, &n_) == 0);                                          \
        CHECK(n_ == (count));                                                                      \
        if (n_ == (count)) {                                                                       \
            CHECK_STR(o_[0], u0);                                                                  \
            CHECK_STR(o_[1], u1);                                                                  \
            if ((count) > 2) CHECK_STR(o_[2], u2);                                                 \
            free_n(o_, n_);                                                                        \
        }                                                                                          \
    } while (0)

static void check_str1(int (*fn)(const char *, char **), const char *in, const char *want, int line)
{
    char *out = (char *)"untouched";
    int rc = fn(in, &out);
    if (rc != 0 || !out || strcmp(out, want) != 0)
        fprintf(stderr, "line %d: %s -> rc %d, \"%s\", expected \"%s\"\n", line, in, rc,
                rc ? "" : out, want);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_STR(out, want);
        free(out);
    }
}
#define CHECK_RESOURCE(in, want) check_str1(oauth_canonical_resource, in, want, __LINE__)
#define CHECK_BASE(in, want) check_str1(oauth_legacy_base, in, want, __LINE__)

static void case_a(void)
{
    /* 2b, 2c */
    CHECK_PRM("https://example.com/mcp", 2,
              "https://example.com/.well-known/oauth-protected-resource/mcp",
              "https://example.com/.well-known/oauth-protected-resource");
    /* 4a-4c */
    CHECK_AS("https://auth.example.com/tenant1", 3,
             "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
             "https://auth.example.com/.well-known/openid-configuration/tenant1",
             "https://auth.example.com/tenant1/.well-known/openid-configuration");
    /* 3: resource check and 6/7: the resource parameter */
    CHECK(oauth_prm_resource_matches("https://example.com/mcp", "https://example.com/mcp"));
    CHECK_RESOURCE("https://example.com/mcp", "https://example.com/mcp");
    /* [03-26] base and defaults */
    CHECK_BASE("https://example.com/mcp", "https://example.com");
    char *e = NULL;
    CHECK(oauth_legacy_default_endpoint("https://example.com", "authorize", &e) == 0);
    CHECK_STR(e, "https://example.com/authorize");
    free(e);
    CHECK(oauth_legacy_default_endpoint("https://example.com", "token", &e) == 0);
    CHECK_STR(e, "https://example.com/token");
    free(e);
    CHECK(oauth_legacy_default_endpoint("https://example.com", "register", &e) == 0);
    CHECK_STR(e, "https://example.com/register");
    free(e);
    /* [03-26] metadata for the base has no path: RFC 8414 root first. */
    char *o[OAUTH_AS_METADATA_URLS_MAX];
    size_t n;
    CHECK(oauth_as_metadata_urls("https://example.com", o, &n) == 0);
    CHECK(n == 2);
    CHECK_STR(o[0], "https://example.com/.well-known/oauth-authorization-server");
    free_n(o, n);
}

static void case_b(void)
{
    CHECK_PRM("https://example.com", 1, "https://example.com/.well-known/oauth-protected-resource",
              NULL);
    CHECK_PRM("https://example.com/", 1, "https://example.com/.well-known/oauth-protected-resource",
              NULL);
    CHECK_AS("https://auth.example.com", 2,
             "https://auth.example.com/.well-known/oauth-authorization-server",
             "https://auth.example.com/.well-known/openid-configuration", NULL);
    CHECK_AS("https://auth.example.com/", 2,
             "https://auth.example.com/.well-known/oauth-authorization-server",
             "https://auth.example.com/.well-known/openid-configuration", NULL);
    CHECK_RESOURCE("https://example.com", "https://example.com");
    CHECK_BASE("https://example.com", "https://example.com");
    char *e = NULL;
    CHECK(oauth_legacy_default_endpoint("https://example.com", "register", &e) == 0);
    CHECK_STR(e, "https://example.com/register");
    free(e);
    CHECK(oauth_prm_resource_matches("https://example.com", "https://example.com"));
    CHECK(oauth_prm_resource_matches("https://example.com/", "https://example.com"));
}

static void edges(void)
{
    /* Trailing-slash issuer: same URLs as Case A. */
    CHECK_AS("https://auth.example.com/tenant1/", 3,
             "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
             "https://auth.example.com/.well-known/openid-configuration/tenant1",
             "https://auth.example.com/tenant1/.well-known/openid-configuration");
    /* Query kept on the path-inserted PRM URL (RFC 9728 §3.1). */
    CHECK_PRM("https://example.com/mcp?x=1", 2,
              "https://example.com/.well-known/oauth-protected-resource/mcp?x=1",
              "https://example.com/.well-known/oauth-protected-resource");
    CHECK_PRM("https://example.com/?x=1", 2,
              "https://example.com/.well-known/oauth-protected-resource?x=1",
              "https://example.com/.well-known/oauth-protected-resource");
    CHECK_PRM("https://example.com/mcp?", 2,
              "https://example.com/.well-known/oauth-protected-resource/mcp",
              "https://example.com/.well-known/oauth-protected-resource");
    /* Terminating "/" of a path is dropped, deeper paths kept. */
    CHECK_PRM("https://example.com/mcp/", 2,
              "https://example.com/.well-known/oauth-protected-resource/mcp",
              "https://example.com/.well-known/oauth-protected-resource");
    CHECK_PRM("https://example.com/a/b/mcp", 2,
              "https://example.com/.well-known/oauth-protected-resource/a/b/mcp",
              "https://example.com/.well-known/oauth-protected-resource");
    /* Case of scheme and host is normalised, of the path kept. */
    CHECK_PRM("HTTPS://Example.COM/MCP", 2,
              "https://example.com/.well-known/oauth-protected-resource/MCP",
              "https://example.com/.well-known/oauth-protected-resource");
    CHECK_AS("https://auth.example.com/a/b", 3,
             "https://auth.example.com/.well-known/oauth-authorization-server/a/b",
             "https://auth.example.com/.well-known/openid-configuration/a/b",
             "https://auth.example.com/a/b/.well-known/openid-configuration");
}

static void ports_and_ipv6(void)
{
    CHECK_PRM("http://127.0.0.1:3000/mcp", 2,
              "http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp",
              "http://127.0.0.1:3000/.well-known/oauth-protected-resource");
    CHECK_PRM("https://example.com:443/mcp", 2,
              "https://example.com/.well-known/oauth-protected-resource/mcp",
              "https://example.com/.well-known/oauth-protected-resource");
    CHECK_PRM("http://example.com:443/mcp", 2,
              "http://example.com:443/.well-known/oauth-protected-resource/mcp",
              "http://example.com:443/.well-known/oauth-protected-resource");
    CHECK_PRM("http://[::1]:8080/mcp", 2,
              "http://[::1]:8080/.well-known/oauth-protected-resource/mcp",
              "http://[::1]:8080/.well-known/oauth-protected-resource");
    CHECK_PRM("https://[2001:DB8::1]/mcp", 2,
              "https://[2001:db8::1]/.well-known/oauth-protected-resource/mcp",
              "https://[2001:db8::1]/.well-known/oauth-protected-resource");
    CHECK_AS("https://[2001:db8::2]:9443/t", 3,
             "https://[2001:db8::2]:9443/.well-known/oauth-authorization-server/t",
             "https://[2001:db8::2]:9443/.well-known/openid-configuration/t",
             "https://[2001:db8::2]:9443/t/.well-known/openid-configuration");
    CHECK_BASE("http://[::1]:8080/mcp?x=1", "http://[::1]:8080");
    CHECK_BASE("https://Example.com:443/mcp", "https://example.com");
    CHECK_BASE("https://example.com:8443/mcp", "https://example.com:8443");
    char *e = NULL;
    CHECK(oauth_legacy_default_endpoint("http://[::1]:8080", "token", &e) == 0);
    CHECK_STR(e, "http://[::1]:8080/token");
    free(e);
    CHECK(oauth_legacy_default_endpoint("http://localhost:80/", "authorize", &e) == 0);
    CHECK_STR(e, "http://localhost/authorize");
    free(e);
}

static void canonical_resource(void)
{
    CHECK_RESOURCE("HTTPS://MCP.Example.COM/Server/MCP", "https://mcp.example.com/Server/MCP");
    CHECK_RESOURCE("https://example.com/", "https://example.com/");
    CHECK_RESOURCE("https://example.com/mcp/", "https://example.com/mcp/");
    CHECK_RESOURCE("https://example.com:443/mcp", "https://example.com/mcp");
    CHECK_RESOURCE("http://example.com:80", "http://example.com");
    CHECK_RESOURCE("https://example.com:8443/mcp", "https://example.com:8443/mcp");
    CHECK_RESOURCE("https://example.com/mcp#frag", "https://example.com/mcp");
    CHECK_RESOURCE("https://example.com#frag", "https://example.com");
    CHECK_RESOURCE("https://example.com/mcp?x=1", "https://example.com/mcp?x=1");
    CHECK_RESOURCE("https://example.com?x=1", "https://example.com?x=1");
    CHECK_RESOURCE("https://example.com/mcp?", "https://example.com/mcp");
    CHECK_RESOURCE("http://[::1]:3000/mcp", "http://[::1]:3000/mcp");
    CHECK_RESOURCE("http://[::1]", "http://[::1]");
    CHECK_RESOURCE("https://[2001:DB8::A]:443/", "https://[2001:db8::a]/");
}

static void resource_matching(void)
{
    const char *mcp = "https://h/mcp";
    CHECK(oauth_prm_resource_matches("https://h/mcp", mcp));
    CHECK(oauth_prm_resource_matches("https://h/", mcp));
    CHECK(oauth_prm_resource_matches("https://h", mcp));
    CHECK(oauth_prm_resource_matches("https://H:443/mcp", mcp));
    CHECK(oauth_prm_resource_matches("https://h/mcp/", mcp));
    CHECK(oauth_prm_resource_matches("https://h/mcp", "https://h/mcp/sub"));
    CHECK(oauth_prm_resource_matches("https://h/mcp", "https://h/mcp?x=1"));
    CHECK(oauth_prm_resource_matches("https://h/mcp?x=1", "https://h/mcp?x=1"));
    CHECK(!oauth_prm_resource_matches("https://h/mcp?x=1", "https://h/mcp?x=2"));
    CHECK(!oauth_prm_resource_matches("https://h/mcp?x=1", "https://h/mcp"));
    CHECK(!oauth_prm_resource_matches("https://h/mc", mcp));
    CHECK(!oauth_prm_resource_matches("https://h/mcpx", mcp));
    CHECK(!oauth_prm_resource_matches("https://h/mcp/sub", mcp));
    CHECK(!oauth_prm_resource_matches("https://h/MCP", mcp));
    CHECK(!oauth_prm_resource_matches("http://h/mcp", mcp));
    CHECK(!oauth_prm_resource_matches("https://h:8443/mcp", mcp));
    CHECK(!oauth_prm_resource_matches("https://other/mcp", mcp));
    CHECK(!oauth_prm_resource_matches("https://h.evil/mcp", mcp));
    CHECK(!oauth_prm_resource_matches("https://evil/h/mcp", mcp));
    CHECK(!oauth_prm_resource_matches("https://h/mcp#x", mcp));
    CHECK(!oauth_prm_resource_matches("garbage", mcp));
    CHECK(!oauth_prm_resource_matches(NULL, mcp));
    CHECK(!oauth_prm_resource_matches("https://h/mcp", NULL));
    CHECK(!oauth_prm_resource_matches("", ""));
    CHECK(oauth_prm_resource_matches("http://[::1]:3000/", "http://[::1]:3000/mcp"));
    CHECK(!oauth_prm_resource_matches("http://[::1]:3000/", "http://[::1]:3001/mcp"));
    CHECK(!oauth_prm_resource_matches("http://[::2]:3000/", "http://[::1]:3000/mcp"));
}

static void refused(void)
{
    const char *bad[] = {
        "",
        "example.com/mcp",
        "/mcp",
        "ftp://example.com/mcp",
        "javascript:alert(1)",
        "https://user:pw@example.com/mcp",
        "https://example.com/mcp#frag",
        "http://[fe80::1%25eth0]/mcp",
        "https://example.com:99999/",
        "https://exa mple.com/",
        "https://",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *o[OAUTH_AS_METADATA_URLS_MAX] = {(char *)"x", (char *)"x", (char *)"x"};
        size_t n = 99;
        char *s = (char *)"x";
        int rc = oauth_prm_urls(bad[i], o, &n);
        if (rc != BRIDGE_EINVAL) fprintf(stderr, "prm accepted: %s\n", bad[i]);
        CHECK(rc == BRIDGE_EINVAL && n == 0 && o[0] == NULL && o[1] == NULL);
        CHECK(oauth_as_metadata_urls(bad[i], o, &n) == BRIDGE_EINVAL && n == 0 && !o[2]);
        CHECK(oauth_legacy_base(bad[i], &s) == BRIDGE_EINVAL && s == NULL);
        CHECK(oauth_legacy_default_endpoint(bad[i], "token", &s) == BRIDGE_EINVAL && !s);
        if (i != 6) CHECK(oauth_canonical_resource(bad[i], &s) == BRIDGE_EINVAL && !s);
    }
    char *o[OAUTH_AS_METADATA_URLS_MAX];
    size_t n;
    char *s;
    CHECK(oauth_prm_urls(NULL, o, &n) == BRIDGE_EINVAL);
    CHECK(oauth_canonical_resource(NULL, &s) == BRIDGE_EINVAL);
    /* Fuzz finding: a fragment curl refuses made the whole URL bad, yet cutting
     * the fragment off first made it look fine. */
    CHECK(oauth_canonical_resource("https://h/mcp#a\x01", &s) == BRIDGE_EINVAL && !s);
    CHECK(
        oauth_canonical_resource("https://em\xd1\x92\x9c\x8f\xc0\x87x#pe.aclom\xd1\x92\x9c\xff\x01",
                                 &s) == BRIDGE_EINVAL);
    /* RFC 8414 §2: an issuer has no query. */
    CHECK(oauth_as_metadata_urls("https://auth.example.com/t?x=1", o, &n) == BRIDGE_EINVAL);
    CHECK(oauth_as_metadata_urls("https://auth.example.com/?", o, &n) == BRIDGE_EINVAL);
    CHECK(oauth_legacy_default_endpoint("https://example.com", "../token", &s) == BRIDGE_EINVAL);
    CHECK(oauth_legacy_default_endpoint("https://example.com", NULL, &s) == BRIDGE_EINVAL);
    CHECK(oauth_legacy_default_endpoint("https://example.com", "Token", &s) == BRIDGE_EINVAL);
}

int main(void)
{
    case_a();
    case_b();
    edges();
    ports_and_ipv6();
    canonical_resource();
    resource_matching();
    refused();
    return CHECK_DONE();
}
