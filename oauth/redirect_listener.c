/* Where the sign-in redirect comes back: the loopback listener (oauth/callback.c)
 * on a port stable per server, or on the fixed redirect URI a stored or
 * mcp-remote client is registered for. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "bridge/base/url.h"
#include "oauth/mcp_remote.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mcp-remote's callback port for this server (see oauth/mcp_remote.h). */
static int mcp_remote_callback_port(const oauth_config_t *c)
{
    mcp_remote_key_t k = {.server_url = c->server_url,
                          .resource = c->disable_resource ? NULL : c->resource,
                          .authorize_params = c->authorize_params,
                          .authorize_params_len = c->authorize_params_len,
                          .headers = c->headers,
                          .headers_len = c->headers_len,
                          .client_metadata_url = c->client_metadata_url,
                          .token_endpoint = c->token_endpoint};
    char hash[MCP_REMOTE_HASH_LEN + 1];
    return mcp_remote_hash(&k, hash) == 0 ? mcp_remote_port(hash) : 0;
}

/* Listen where a fixed redirect URI points: a client registered for it
 * (mcp-remote's, or one kept by an import) works with no other. `localhost`
 * is also bound on [::1]: a browser may try that address first. */
static int listen_at_fixed_uri(oauth_t *o, const char *uri, char *why, size_t n)
{
    url_t u;
    char err[256];
    if (url_parse(uri, &u, err, sizeof err) != 0) {
        snprintf(why, n, "the redirect URI \"%s\" is not a URL (%s)", uri, err);
        return BRIDGE_EINVAL;
    }
    int rc = 0;
    long port = u.port ? strtol(u.port, NULL, 10) : 0;
    int v4only = !strcmp(u.host, "127.0.0.1");
    if (strcmp(u.scheme, "http") != 0 || port <= 0 || port > 65535 ||
        !(v4only || !strcmp(u.host, "localhost") || !strcmp(u.host, "[::1]"))) {
        snprintf(why, n,
                 "cannot receive the sign-in redirect at %s: only http:// to localhost, "
                 "127.0.0.1 or [::1] with a port can be listened on",
                 uri);
        rc = BRIDGE_EINVAL;
    } else if (oauth_callback_listen(o->cfg.loop, (int)port, !v4only, u.path, &o->listener) != 0) {
        snprintf(why, n,
                 "port %ld is taken, and the sign-in redirect must arrive there (the client is "
                 "registered for %s): close what uses it (another mcp-remote or mcp-bridge?) "
                 "and try again",
                 port, uri);
        rc = BRIDGE_EIO;
    }
    url_free(&u);
    if (!rc) oauth_set_str(&o->redirect_uri, uri);
    return rc;
}

int oauth_start_listener(oauth_t *o, char *why, size_t n)
{
    if (o->listener) return 0;
    const char *path = o->cfg.callback_path ? o->cfg.callback_path : OAUTH_CALLBACK_PATH;
    if (o->kept_redirect_uri) return listen_at_fixed_uri(o, o->kept_redirect_uri, why, n);
    if (o->cfg.mcp_remote_callback) {
        const char *host = o->cfg.callback_host ? o->cfg.callback_host : mcp_remote_default_host();
        int port = o->cfg.callback_port ? o->cfg.callback_port : mcp_remote_callback_port(&o->cfg);
        char uri[300];
        int v6 = strchr(host, ':') != NULL && host[0] != '[';
        snprintf(uri, sizeof uri, "http://%s%s%s:%d%s", v6 ? "[" : "", host, v6 ? "]" : "", port,
                 path);
        return port ? listen_at_fixed_uri(o, uri, why, n) : BRIDGE_ENOMEM;
    }
    int port = o->cfg.callback_port;
    if (!port) {
        /* Stable per server, so the registered redirect URI stays valid. */
        unsigned h = 2166136261u;
        for (const char *p = o->server_url; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        port = 20000 + (int)(h % 30000);
    }
    const char *host = o->cfg.callback_host ? o->cfg.callback_host : "127.0.0.1";
    int also6 = strcmp(host, "127.0.0.1") != 0;
    if (oauth_callback_listen(o->cfg.loop, port, also6, path, &o->listener) != 0) {
        log_info("port %d is taken; using another one for the sign-in redirect", port);
        if (oauth_callback_listen(o->cfg.loop, 0, also6, path, &o->listener) != 0) {
            snprintf(why, n, "cannot listen on 127.0.0.1 for the sign-in redirect");
            return BRIDGE_EIO;
        }
    }
    char uri[300];
    int v6 = strchr(host, ':') != NULL;
    snprintf(uri, sizeof uri, "http://%s%s%s:%d%s", v6 ? "[" : "", host, v6 ? "]" : "",
             oauth_callback_port(o->listener), path);
    oauth_set_str(&o->redirect_uri, uri);
    return 0;
}
