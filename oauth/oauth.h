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
    const char *auth_success_url;   /* where the browser goes after the redirect */
    int use_id_token;               /* present the ID token instead of the access token */
    int client_credentials;         /* the client credentials grant: no person involved */
    const char *token_endpoint;     /* with client_credentials: skip discovery */
    size_t metadata_max;            /* largest document accepted; 0: 1 MiB */
    int device_code;                /* RFC 8628: sign in on another device */
    int mcp_remote_callback;        /* the redirect URI mcp-remote uses for this server */
    const char *client_private_key; /* PEM file, or "keychain:NAME": private_key_jwt */
    const char *client_key_id;      /* kid of that key at the AS, or NULL */
    /* Enterprise-managed authorization (SEP-990): the enterprise IdP (issuer
     * or token endpoint), the client there, and where the ID token is. */
    const char *idp_issuer, *idp_token_endpoint, *idp_client_id, *idp_client_secret;
    const char *id_token_file;    /* re-read on every use */
    const char *id_token_env;     /* the name of an environment variable */
    const char *id_token_command; /* a command line that prints it, run on every use */
    /* Workload identity (SEP-1933): the platform's token for the jwt-bearer grant. */
    const char *workload_token_file; /* re-read on every use */
    const char *workload_token_env;
    char *const *headers; /* "Name: value": part of mcp-remote's naming */
    size_t headers_len;
    /* A person is asked to sign in: url is the authorization URL just shown
     * (no secret in it: state and the PKCE challenge are public), or with the
     * device grant the verification URL and user_code the code to enter there
     * (else NULL); url NULL when another process for this server holds the
     * sign-in and this one waits.
     * Runs from inside the run, synchronously; it must not call oauth_free or
     * start or cancel a run. The end of the sign-in is the run's done callback. */
    void (*on_signin)(void *ud, const char *url, const char *user_code);
    /* Asked (with on_signin_ud) just before a browser would open for the
     * person: 1 holds the sign-in there, the URL made but no browser opened
     * and no time counted, until oauth_release_browser. NULL: never held. */
    int (*hold_browser)(void *ud);
    void *on_signin_ud;
} oauth_config_t;

/* A client key kept in the credential store: --client-private-key
 * keychain:NAME names the PEM text stored under "key-NAME" (`mcp-bridge key
 * store`). NAME is [A-Za-z0-9._-], 1 to OAUTH_CLIENT_KEY_NAME_MAX bytes. */
#define OAUTH_CLIENT_KEY_KEYCHAIN "keychain:"
#define OAUTH_CLIENT_KEY_NAME_MAX 124
#define OAUTH_CLIENT_KEY_STORE_PREFIX "key-"
/* The store name of the key NAME in out (at least 129 bytes); BRIDGE_EINVAL
 * for a NAME outside the rule above (out is then empty). */
int oauth_client_key_store_name(const char *name, char *out, size_t n);
/* Stores PEM text as the key NAME once it parses as a key private_key_jwt can
 * sign with (EC P-256, RSA of 2048 bits or more, Ed25519; not encrypted).
 * Blocking. BRIDGE_EINVAL with a sentence in why (never key material) for a
 * bad NAME or key; else as keychain_put. */
int oauth_client_key_store(keychain_t *store, const char *name, const char *pem, char *why,
                           size_t whylen);
/* A secret of at most 64 KiB without surrounding white space, read from path
 * (a regular file only its owner can access; the sentence in why says which
 * chmod to run) or, with path NULL, from standard input. *out is malloc'd;
 * the caller wipes and frees it. BRIDGE_EIO, BRIDGE_EINVAL, BRIDGE_ENOMEM. */
int oauth_read_secret_input(const char *path, const char *what, char **out, char *why, size_t n);

/* Set oauth_config_t.on_signin after oauth_new. */
void oauth_set_signin_hook(oauth_t *o, void (*cb)(void *ud, const char *url, const char *user_code),
                           void *ud);
/* Set oauth_config_t.hold_browser after oauth_new (with on_signin's ud). */
void oauth_set_hold_hook(oauth_t *o, int (*hold)(void *ud));
/* A sign-in held by hold_browser goes on: the browser opens now (on_signin
 * runs from within this call). Nothing when none is held. */
void oauth_release_browser(oauth_t *o);

/* Returns NULL on allocation failure or an invalid --static-oauth-client-*
 * document (err says which). Reads nothing yet: see oauth_load. */
oauth_t *oauth_new(const oauth_config_t *cfg, char *err, size_t errlen);
/* Ends the run in progress as oauth_cancel does (its done callbacks run now,
 * from within this call, with BRIDGE_ECLOSED), and cancels what it had in
 * flight: HTTP exchanges, the loopback listener, the device grant's polling.
 * No callback of o runs after oauth_free returns. Memory still referred to by
 * the store's asynchronous calls is released when they return. Calling it from
 * a done callback is allowed (once; later calls do nothing). */
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
 * oauth_record_name), redirect_uri (the client's, kept by an import), and for
 * a DPoP-bound token token_type "DPoP" and dpop_key (the private JWK of the
 * key it is bound to, a secret like the tokens). A
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

/* "Authorization: Bearer <token>" (or "DPoP <token>") to send, or NULL when
 * there is no token. A DPoP-bound token also needs its proof: the relay uses
 * oauth_request_headers. */
const char *oauth_header(const oauth_t *o);
/* The authorization lines for one request to the MCP server (method, URL):
 * "Authorization: Bearer <token>", or with a DPoP-bound token "Authorization:
 * DPoP <token>" and a fresh "DPoP: <proof>" for this method and URL. Each line
 * is a new string in lines[] and a secret (wipe, then free). Returns how many
 * (0 when there is no token), or BRIDGE_ENOMEM / BRIDGE_EIO with none. */
int oauth_request_headers(oauth_t *o, const char *method, const char *url, char *lines[2]);
/* A response from url carried this DPoP-Nonce header value: the next proof to
 * its origin uses it (RFC 9449 §8, §9). Ignored without DPoP. */
void oauth_note_dpop_nonce(oauth_t *o, const char *url, const char *value);
/* 1 when this 401 asks for a DPoP nonce (error="use_dpop_nonce" in a DPoP
 * challenge) while a DPoP-bound token is used: resend the request once, with
 * the nonce noted from its answer, before treating it as a challenge. */
int oauth_dpop_nonce_challenge(const oauth_t *o, long status, const char *www_authenticate);
/* Changes whenever the token does: a 401 to a request sent with an older token
 * only needs a resend. */
unsigned oauth_generation(const oauth_t *o);
/* 1 when the token expires within a minute and can be refreshed. */
int oauth_should_refresh(const oauth_t *o);

/* The end of a run: rc 0, or a negative BRIDGE_E* code with `why` a sentence
 * (never a secret; valid during the call). Runs once per registration, later:
 * never from within the call that registered it, except with BRIDGE_ENOMEM
 * when the registration itself could not be kept. It may call any oauth_*
 * function, start the next run, or oauth_free(o). */
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

/* Stop whatever runs: what it had in flight is cancelled, and the callbacks
 * of its waiters run now, from within this call, with BRIDGE_ECLOSED. */
void oauth_cancel(oauth_t *o);

/* ---- tracing and preflight (for `mcp-bridge doctor`) ---- */

/* The steps a run reports to a trace callback, as they happen. */
typedef enum oauth_trace_step {
    OAUTH_TRACE_PRM_HINT, /* url: the challenge's resource_metadata, resolved; detail: as given */
    OAUTH_TRACE_PRM,      /* url tried; status (0: no answer); ok: usable; detail: why not */
    OAUTH_TRACE_RESOURCE, /* detail: the PRM's resource (NULL: none); ok: it names this server */
    OAUTH_TRACE_ISSUER,   /* detail: the authorization server the PRM names */
    OAUTH_TRACE_NO_PRM,   /* url: the origin taken as authorization server (2025-03-26) */
    OAUTH_TRACE_AS_METADATA,     /* url tried; status; ok: found; detail: why not */
    OAUTH_TRACE_ISSUER_MISMATCH, /* url; detail: the issuer the metadata names instead */
    OAUTH_TRACE_AS_DEFAULTS,     /* url: the base of the default /authorize, /token, /register */
    OAUTH_TRACE_PKCE,            /* ok: S256 advertised */
    OAUTH_TRACE_CLIENT,          /* detail: "static", "metadata-document", "kept", "stored",
                                    "register" (url: the registration endpoint), "registered" */
    OAUTH_TRACE_REGISTERED,  /* url: registration endpoint; status; ok; detail: client_id or why */
    OAUTH_TRACE_AUTH_METHOD, /* url: token endpoint; detail: how the client authenticates */
    OAUTH_TRACE_REFRESH,     /* url: token endpoint; status; ok */
    OAUTH_TRACE_TOKEN,       /* client credentials: url: token endpoint; status; ok */
    OAUTH_TRACE_AUTHORIZE,   /* preflight stop: url: the authorization URL to open (or the
                                device authorization endpoint, detail "device") */
} oauth_trace_step_t;

typedef struct oauth_trace_event {
    oauth_trace_step_t step;
    const char *url;    /* may be NULL */
    long status;        /* an HTTP status, or 0 */
    int ok;             /* the step succeeded */
    const char *detail; /* may be NULL; never a secret */
} oauth_trace_event_t;

/* Runs synchronously, from inside the step it reports; ev is valid during the
 * call. It must not call oauth_free or start or cancel a run. */
typedef void (*oauth_trace_cb)(void *ud, const oauth_trace_event_t *ev);
void oauth_set_trace(oauth_t *o, oauth_trace_cb cb, void *ud);

/* What oauth_handle_challenge does for this 401/403, stopping before the
 * person's part: discovery and the client choice exactly as a start does them
 * (a dynamic registration is made and stored, for the next start to reuse), a
 * refresh with a stored refresh token, a client credentials grant; but no
 * browser is opened and no listener waits. cb as for oauth_handle_challenge:
 * rc 0 when a start would get this far; then oauth_preflight_url says whether
 * the person would be asked to sign in (else a token was obtained). */
void oauth_preflight(oauth_t *o, long status, const char *www_authenticate, oauth_done_cb cb,
                     void *ud);
/* The authorization URL (or device authorization endpoint) the last preflight
 * stopped at, or NULL when it ended with a token. */
const char *oauth_preflight_url(const oauth_t *o);

/* ---- revocation (RFC 7009) ---- */

/* rc 0: revoked; else a negative BRIDGE_E* code (BRIDGE_EHTTP: the server
 * refused) and why. Runs once, later, never from within oauth_revoke_record. */
typedef void (*oauth_revoke_cb)(void *ud, int rc, const char *why);
/* Revoke `token` (token_type_hint `hint`) at the revocation_endpoint of a
 * stored server record, authenticating as the client the record names. The
 * endpoint is checked against this run's policy (allow_http) like any endpoint
 * that gets a secret. Returns 0 when the request is under way (cb runs later);
 * BRIDGE_EINVAL when there is nothing to revoke (no endpoint, token or
 * client_id in the record); BRIDGE_EPROTO when the endpoint is refused (not
 * https); BRIDGE_ENOMEM. cb does not run when the return is not 0. */
int oauth_revoke_record(http_client_t *http, const struct json_t *record, const char *token,
                        const char *hint, int allow_http, oauth_revoke_cb cb, void *ud);

#endif
