/* Proxy selection from the environment for --enable-proxy. libcurl's own
 * reading differs from Node's (it ignores $HTTP_PROXY, does not fall back to
 * the http proxy for https and reads $ALL_PROXY), so the bridge decides itself
 * and hands libcurl an explicit proxy, or none, for each request. */
#include "bridge/net/proxy.h"
#include "bridge/base/err.h"
#include "bridge/base/url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* `lower` when set at all (even empty), else `upper`; NULL when empty. */
static int env_pair(const char *lower, const char *upper, char **out)
{
    const char *v = getenv(lower);
    if (!v) v = getenv(upper);
    *out = NULL;
    if (!v || !*v) return 0;
    return (*out = strdup(v)) ? 0 : BRIDGE_ENOMEM;
}

int proxy_env_load(proxy_env_t *p)
{
    memset(p, 0, sizeof *p);
    int rc = env_pair("http_proxy", "HTTP_PROXY", &p->http);
    if (!rc) rc = env_pair("https_proxy", "HTTPS_PROXY", &p->https);
    if (!rc && !p->https && p->http && !(p->https = strdup(p->http))) rc = BRIDGE_ENOMEM;
    if (!rc) rc = env_pair("no_proxy", "NO_PROXY", &p->no_proxy);
    if (rc) proxy_env_free(p);
    return rc;
}

void proxy_env_free(proxy_env_t *p)
{
    free(p->http);
    free(p->https);
    free(p->no_proxy);
    memset(p, 0, sizeof *p);
}

/* Does one NO_PROXY entry (len bytes, not NUL-terminated) cover host:port? */
static int entry_matches(const char *e, size_t len, const char *host, long port)
{
    /* "name:port" when it ends in digits after a colon (so "[::1]" has none). */
    size_t colon = len;
    while (colon > 0 && e[colon - 1] >= '0' && e[colon - 1] <= '9')
        colon--;
    if (colon > 1 && colon < len && e[colon - 1] == ':') {
        if (strtol(e + colon, NULL, 10) != port) return 0;
        len = colon - 1;
    }
    if (len && e[0] == '*' && len > 1 && e[1] == '.')
        e += 2, len -= 2;
    else if (len && e[0] == '.')
        e++, len--;
    size_t hlen = strlen(host);
    if (!len || len > hlen) return 0;
    if (hlen == len) return strncasecmp(host, e, len) == 0;
    return host[hlen - len - 1] == '.' && strncasecmp(host + hlen - len, e, len) == 0;
}

static int host_excluded(const char *no_proxy, const char *host, long port)
{
    if (!no_proxy) return 0;
    if (!strcmp(no_proxy, "*")) return 1;
    const char *sep = ", \t\r\n\f\v";
    for (const char *p = no_proxy; *p;) {
        size_t n = strcspn(p, sep);
        if (n && entry_matches(p, n, host, port)) return 1;
        p += n;
        p += strspn(p, sep);
    }
    return 0;
}

const char *proxy_for_url(const proxy_env_t *p, const char *url)
{
    url_t u;
    char err[8];
    if (url_parse(url, &u, err, sizeof err) != 0) return NULL;
    int https = !strcmp(u.scheme, "https");
    long port = u.port ? strtol(u.port, NULL, 10) : https ? 443 : 80;
    const char *proxy = https ? p->https : p->http;
    if (proxy && host_excluded(p->no_proxy, u.host, port)) proxy = NULL;
    url_free(&u);
    return proxy;
}
