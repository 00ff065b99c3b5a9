/* Which proxy a request goes through under --enable-proxy, read from the
 * environment the way mcp-remote (Node's undici EnvHttpProxyAgent) reads it,
 * so a configuration written for mcp-remote routes the same requests. */
#ifndef MCP_BRIDGE_PROXY_H
#define MCP_BRIDGE_PROXY_H

typedef struct proxy_env {
    char *http;     /* for http:// URLs: $http_proxy, else $HTTP_PROXY */
    char *https;    /* for https:// URLs: $https_proxy, else $HTTPS_PROXY, else http */
    char *no_proxy; /* $no_proxy, else $NO_PROXY */
} proxy_env_t;

/* Read the variables now (a lower-case one wins even when set empty, as in
 * undici). Returns 0 or BRIDGE_ENOMEM. */
int proxy_env_load(proxy_env_t *p);
void proxy_env_free(proxy_env_t *p);

/* The proxy URL for a request to `url`, or NULL to connect directly: no proxy
 * for its scheme, or its host matches $NO_PROXY ("*"; "host" or ".host" or
 * "*.host" matching the host and its subdomains; "host:port" only that port;
 * entries separated by commas or white space). */
const char *proxy_for_url(const proxy_env_t *p, const char *url);

#endif
