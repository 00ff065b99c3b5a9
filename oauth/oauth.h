/* OAuth 2.1 for the HTTP leg (MCP authorization 2025-03-26 .. 2025-11-25): the
 * relay asks for the Authorization header to send and hands over a 401 or 403
 * challenge; everything else (discovery, registration, PKCE with a loopback
 * redirect, token exchange, refresh, storage) happens in here. */
#ifndef MCP_BRIDGE_OAUTH_H
#define MCP_BRIDGE_OAUTH_H

#include "bridge/net/http.h"
#include "keychain/keychain.h"

#include <uv.h>

typedef struct oauth oauth_t;

typedef struct oauth_config {
    uv_loop_t *loop;
    http_client_t *http;
    keychain_t *store;
    const char *server_url;
    const char *static_client_info;     /* JSON: client_id, client_secret? */
    const char *static_client_metadata; /* JSON merged into dynamic registration */
    const char *client_metadata_url;    /* CIMD client_id */
    const char *scope;                  /* overrides the scope selection */
    const char *resource;               /* overrides the RFC 8707 resource */
    int disable_resource;               /* never send resource */
    int callback_port;                  /* 0: derived from the server URL */
    const char *callback_host;          /* redirect host, default 127.0.0.1 */
    long auth_timeout_s;
    int no_browser;
    int allow_http;                /* plain http to non-loopback OAuth endpoints */
    const char *callback_path;     /* default /oauth/callback */
    char *const *authorize_params; /* "key=value" added to the authorization URL */
    size_t authorize_params_len;
    const char *auth_success_url; /* where the browser goes after the redirect */
    int use_id_token;             /* present the ID token instead of the access token */
    int client_credentials;       /* the client credentials grant: no person involved */
    const char *token_endpoint;   /* with client_credentials: skip discovery */
    size_t metadata_max;          /* largest document accepted; 0: 1 MiB */
    int device_code;              /* RFC 8628: sign in on another device */
    int mcp_remote_callback;      /* the redirect URI mcp-remote uses for this server */
    char *const *headers;         /* "Name: value": part of mcp-remote's naming */
    size_t headers_len;
} oauth_config_t;

/* Returns NULL on allocation failure or an invalid --static-oauth-client-*
 * document (err says which). Reads nothing yet: see oauth_load. */
oauth_t *oauth_new(const oauth_config_t *cfg, char *err, size_t errlen);
void oauth_free(oauth_t *o);

/* The access token itself (for `mcp-bridge token`), or NULL. */
const char *oauth_access_token(const oauth_t *o);
/* 1 when a refresh token is held (stored, imported or seeded). */
int oauth_has_refresh_token(const oauth_t *o);
/* Use this refresh token when nothing stored has one (--refresh-token-file,
 * MCP_BRIDGE_REFRESH_TOKEN). Call after oauth_load has finished. */
void oauth_seed_refresh_token(oauth_t *o, const char *refresh_token);

/* Store names. A server record is a JSON object with version, server, issuer,
 * resource, token_endpoint, revocation_endpoint, client_id, client_secret,
 * token_endpoint_auth_method, access_token, refresh_token, scope, expires_at
 * (Unix time), and when given: "for" (the options it was obtained with, see
 * oauth_record_name) and redirect_uri (the client's, kept by an import). A
 * client record ("client-<hash of issuer>") has issuer, client_id,
 * client_secret, token_endpoint_auth_method, redirect_uri. */
void oauth_client_record_name(const char *issuer, char *out, size_t n);
/* The server record a run with this configuration uses: keyed by what changes
 * what a token is for: the server URL, and --resource (or its absence through
 * --disable-resource-parameter), --scope, --token-endpoint (an authorization
 * server named in advance) and --authorize-param values other than those that
 * only shape the sign-in page (prompt, login_hint, ...). Without any of them it
 * is "server-<hash of URL>", the name records have always had. */
void oauth_record_name(const oauth_config_t *cfg, char *out, size_t n);
/* What oauth_record_name keys on besides the URL, as a JSON object (NULL when
 * nothing): stored in the record as "for" so `status` can say it. */
struct json_t;
struct json_t *oauth_record_purpose(const oauth_config_t *cfg);
/* The same name from a record's "server" and "for" (purpose may be NULL). */
void oauth_record_name_for(const char *server_url, const struct json_t *purpose, char *out,
                           size_t n);

/* "Authorization: Bearer <token>" to send, or NULL when there is no token. */
const char *oauth_header(const oauth_t *o);
/* Changes whenever the token does: a 401 to a request sent with an older token
 * only needs a resend. */
unsigned oauth_generation(const oauth_t *o);
/* 1 when the token expires within a minute and can be refreshed. */
int oauth_should_refresh(const oauth_t *o);

typedef void (*oauth_done_cb)(void *ud, int rc, const char *why);

/* The server answered 401 or 403 with this WWW-Authenticate value (may be NULL).
 * Refreshes, re-authorizes (with a browser sign-in when needed) or fails;
 * cb runs exactly once, later. Calls made while a run is in progress join it. */
void oauth_handle_challenge(oauth_t *o, long status, const char *www_authenticate, oauth_done_cb cb,
                            void *ud);
/* Read the stored tokens (the store may block: this runs on the thread pool);
 * call before the first request. cb runs exactly once, later. */
void oauth_load(oauth_t *o, oauth_done_cb cb, void *ud);
/* Refresh ahead of expiry; cb runs exactly once, later. */
void oauth_refresh(oauth_t *o, oauth_done_cb cb, void *ud);

/* Stop whatever runs (callbacks of waiters run with BRIDGE_ECLOSED). */
void oauth_cancel(oauth_t *o);

#endif
