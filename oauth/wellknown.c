/* Well-known URL construction. URLs are taken apart by libcurl (bridge/base/url.c)
 * and rebuilt from the parts, so no output ever carries a fragment, credentials
 * or a differently-spelt origin than the one the caller meant. */
#include "oauth/wellknown.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"
#include "bridge/base/url.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define WK_PRM "/.well-known/oauth-protected-resource"
#define WK_AS "/.well-known/oauth-authorization-server"
#define WK_OIDC "/.well-known/openid-configuration"

/* libCurl's verdict on the whole string, fragment included (url_parse() refuses
 * any fragment, and oauth_canonical_resource() cuts it off before asking), and
 * refusal of IPv6 zone ids, which url_parse() silently drops ("[fe80::1%25eth0]"):
 * rebuilding without one would name another host. */
static int check_whole(const char *s)
{
    CURLU *h = curl_url();
    if (!h) return BRIDGE_ENOMEM;
    int rc = BRIDGE_EINVAL;
    if (curl_url_set(h, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
        char *z = NULL;
        if (curl_url_get(h, CURLUPART_ZONEID, &z, 0) == CURLUE_OK)
            curl_free(z);
        else
            rc = 0;
    }
    curl_url_cleanup(h);
    return rc;
}

static int parse(const char *s, url_t *u)
{
    char err[256];
    memset(u, 0, sizeof *u);
    if (!s) return BRIDGE_EINVAL;
    int rc = check_whole(s);
    if (rc) return rc;
    rc = url_parse(s, u, err, sizeof err);
    return rc == BRIDGE_ENOMEM ? rc : rc ? BRIDGE_EINVAL : 0;
}

static int is_default_port(const url_t *u)
{
    return !u->port || (strcmp(u->scheme, "https") == 0 && strcmp(u->port, "443") == 0) ||
           (strcmp(u->scheme, "http") == 0 && strcmp(u->port, "80") == 0);
}

/* scheme://host[:port] with the default port left out. */
static int append_origin(buf_t *b, const url_t *u)
{
    int rc = buf_append_str(b, u->scheme);
    if (!rc) rc = buf_append_str(b, "://");
    if (!rc) rc = buf_append_str(b, u->host);
    if (!rc && !is_default_port(u)) {
        rc = buf_append_byte(b, ':');
        if (!rc) rc = buf_append_str(b, u->port);
    }
    return rc;
}

/* Length of the path without its terminating "/"s; 0 for "/" alone. */
static size_t trimmed_path_len(const char *path)
{
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    return n;
}

static int has_query(const url_t *u)
{
    return u->query && *u->query;
}

/* <origin><before><path[0..path_len)><after>[?query] into a fresh string. */
static int build(const url_t *u, const char *before, size_t path_len, const char *after,
                 int with_query, char **out)
{
    buf_t b;
    buf_init(&b, 0);
    int rc = append_origin(&b, u);
    if (!rc) rc = buf_append_str(&b, before);
    if (!rc) rc = buf_append(&b, u->path, path_len);
    if (!rc) rc = buf_append_str(&b, after);
    if (!rc && with_query && has_query(u)) {
        rc = buf_append_byte(&b, '?');
        if (!rc) rc = buf_append_str(&b, u->query);
    }
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = buf_steal(&b);
    return *out ? 0 : BRIDGE_ENOMEM;
}

static void free_list(char **out, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free(out[i]);
        out[i] = NULL;
    }
    *n = 0;
}

int oauth_prm_urls(const char *mcp_url, char *out[OAUTH_PRM_URLS_MAX], size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < OAUTH_PRM_URLS_MAX; i++)
        out[i] = NULL;
    url_t u;
    int rc = parse(mcp_url, &u);
    if (rc) return rc;

    size_t plen = trimmed_path_len(u.path);
    if (plen > 0 || has_query(&u)) {
        rc = build(&u, WK_PRM, plen, "", 1, &out[*n]);
        if (!rc) (*n)++;
    }
    if (!rc) rc = build(&u, WK_PRM, 0, "", 0, &out[*n]);
    if (!rc) (*n)++;
    if (rc) free_list(out, n);
    url_free(&u);
    return rc;
}

int oauth_as_metadata_urls(const char *issuer, char *out[OAUTH_AS_METADATA_URLS_MAX], size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < OAUTH_AS_METADATA_URLS_MAX; i++)
        out[i] = NULL;
    url_t u;
    int rc = parse(issuer, &u);
    if (rc) return rc;
    if (u.query) {
        url_free(&u);
        return BRIDGE_EINVAL;
    }

    size_t plen = trimmed_path_len(u.path);
    if (plen > 0) {
        /* RFC 8414 §3.1 and OIDC path insertion, then OIDC Discovery §4 appending. */
        rc = build(&u, WK_AS, plen, "", 0, &out[0]);
        if (!rc) rc = build(&u, WK_OIDC, plen, "", 0, &out[1]);
        if (!rc) rc = build(&u, "", plen, WK_OIDC, 0, &out[2]);
        *n = 3;
    } else {
        rc = build(&u, WK_AS, 0, "", 0, &out[0]);
        if (!rc) rc = build(&u, WK_OIDC, 0, "", 0, &out[1]);
        *n = 2;
    }
    if (rc) free_list(out, n);
    url_free(&u);
    return rc;
}

int oauth_legacy_base(const char *mcp_url, char **out)
{
    *out = NULL;
    url_t u;
    int rc = parse(mcp_url, &u);
    if (rc) return rc;
    rc = build(&u, "", 0, "", 0, out);
    url_free(&u);
    return rc;
}

int oauth_legacy_default_endpoint(const char *base, const char *which, char **out)
{
    *out = NULL;
    if (!which || (strcmp(which, "authorize") != 0 && strcmp(which, "token") != 0 &&
                   strcmp(which, "register") != 0))
        return BRIDGE_EINVAL;
    url_t u;
    int rc = parse(base, &u);
    if (rc) return rc;
    buf_t b;
    buf_init(&b, 0);
    rc = append_origin(&b, &u);
    if (!rc) rc = buf_append_byte(&b, '/');
    if (!rc) rc = buf_append_str(&b, which);
    url_free(&u);
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = buf_steal(&b);
    return *out ? 0 : BRIDGE_ENOMEM;
}

int oauth_canonical_resource(const char *mcp_url, char **out)
{
    *out = NULL;
    if (!mcp_url) return BRIDGE_EINVAL;
    int rc = check_whole(mcp_url);
    if (rc) return rc;
    size_t len = strcspn(mcp_url, "#"); /* RFC 8707 §2: no fragment */
    char *s = strndup(mcp_url, len);
    if (!s) return BRIDGE_ENOMEM;
    url_t u;
    rc = parse(s, &u);
    if (rc) {
        free(s);
        return rc;
    }
    /* curl reports "/" for both "https://h" and "https://h/"; keep what was written. */
    size_t plen = strlen(u.path);
    if (strcmp(u.path, "/") == 0) {
        size_t pre = strcspn(s, "?");
        plen = pre > 0 && s[pre - 1] == '/' ? 1 : 0;
    }
    rc = build(&u, "", plen, "", 1, out);
    url_free(&u);
    free(s);
    return rc;
}

static int effective_port(const url_t *u)
{
    if (u->port) return atoi(u->port); /* curl has checked it is 0..65535 */
    return strcmp(u->scheme, "https") == 0 ? 443 : 80;
}

int oauth_prm_resource_matches(const char *prm_resource, const char *mcp_url)
{
    url_t r, m;
    if (parse(prm_resource, &r) != 0) return 0;
    if (parse(mcp_url, &m) != 0) {
        url_free(&r);
        return 0;
    }
    int ok = strcmp(r.scheme, m.scheme) == 0 && strcmp(r.host, m.host) == 0 &&
             effective_port(&r) == effective_port(&m);
    if (ok) {
        size_t rl = trimmed_path_len(r.path);
        ok = strncmp(r.path, m.path, rl) == 0 && (m.path[rl] == '\0' || m.path[rl] == '/');
    }
    if (ok && has_query(&r)) ok = has_query(&m) && strcmp(r.query, m.query) == 0;
    url_free(&r);
    url_free(&m);
    return ok;
}
