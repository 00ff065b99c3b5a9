/* What the parts of the OAuth flow share: the oauth_t state, the grants a run
 * can use, and the steps each file offers the others. Private to oauth/; the
 * relay and the command line use oauth/oauth.h. */
#ifndef MCP_BRIDGE_OAUTH_INT_H
#define MCP_BRIDGE_OAUTH_INT_H

#include "bridge/base/buf.h"
#include "bridge/base/list.h"
#include "oauth/callback.h"
#include "oauth/fetch.h"
#include "oauth/oauth.h"
#include "oauth/pkce.h"
#include "oauth/www_auth.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/types.h>
#include <time.h>

#define OAUTH_METADATA_MAX(o) ((o)->cfg.metadata_max ? (o)->cfg.metadata_max : 1024 * 1024)
#define OAUTH_TOKEN_RESPONSE_MAX (256 * 1024)
#define OAUTH_DEFAULT_AUTH_TIMEOUT_S 300

/* A way to obtain the first token (oauth/grant_*.c); flow.c picks one per run
 * from its table of grants. */
typedef struct oauth_grant {
    const char *name;
    /* The grant_types value a registration asks for (besides refresh_token). */
    const char *grant_type;
    /* 1 when these options select this grant. */
    int (*chosen)(const oauth_config_t *cfg);
    /* Needs a client (pre-registered, metadata document or registered) before start. */
    int needs_client;
    /* Needs the loopback listener for the redirect (else a fixed placeholder URI). */
    int needs_redirect;
    /* Called once discovery (and, with needs_client, the client choice) is done;
     * ends the run with oauth_finish or oauth_fail, now or later. */
    void (*start)(oauth_t *o);
} oauth_grant_t;

extern const oauth_grant_t oauth_grant_authorization_code;
extern const oauth_grant_t oauth_grant_device;
extern const oauth_grant_t oauth_grant_client_credentials;
extern const oauth_grant_t oauth_grant_enterprise;
extern const oauth_grant_t oauth_grant_workload;

typedef struct oauth_waiter {
    list_node link;
    oauth_done_cb cb;
    void *ud;
} oauth_waiter_t;

typedef enum {
    OAUTH_PLAN_LOAD,
    OAUTH_PLAN_REAUTH,
    OAUTH_PLAN_STEPUP,
    OAUTH_PLAN_REFRESH
} oauth_plan_t;

struct oauth {
    oauth_config_t cfg;
    char *server_url;
    const oauth_grant_t *grant;

    /* Tokens. */
    char *access_token, *refresh_token, *granted_scope, *id_token;
    char *device_code; /* RFC 8628, while polling */
    long device_interval;
    time_t device_deadline;
    time_t expires_at; /* 0: unknown */
    long lifetime;     /* expires_in of the last token response, 0 when unknown */
    char *header;
    unsigned generation;

    /* Discovery. */
    int discovered, legacy;
    char *prm_url;  /* the PRM document used */
    char *resource; /* RFC 8707 value to send, or NULL */
    json_t *prm_scopes;
    char *issuer;
    json_t *as_meta;
    char *authorization_endpoint, *token_endpoint, *registration_endpoint, *revocation_endpoint;
    char *idp_token_endpoint; /* the enterprise IdP's (grant_enterprise.c) */
    json_t *idp_meta;         /* the IdP's metadata, for a sign-in there (idp_signin.c) */
    char *idp_id_token, *idp_refresh_token; /* the sign-in's, while it runs */
    char idp_nonce[OAUTH_STATE_LEN + 1];
    int idp_refreshing; /* the IdP token request in flight is a refresh */
    char refused[400];  /* why oauth_endpoint_ok() refused the last endpoint */

    /* Client. */
    char *client_id, *client_secret, *auth_method, *redirect_uri;
    char *kept_redirect_uri; /* the stored client's own (an import's): used as it is */
    char *record_issuer;     /* the authorization server the stored sign-in is from */
    char *registered_scope;  /* the scope in the AS's registration answer */
    int client_static, client_cimd, registered_now;
    int registered_without_scope; /* the AS refused the scope of --static-oauth-client-metadata */
    json_t *static_metadata;
    EVP_PKEY *client_key; /* --client-private-key, for private_key_jwt */

    /* The run in progress. */
    int running;
    list_node waiters; /* oauth_waiter_t */
    list_node fetches; /* the exchanges in flight (oauth/fetch.c), cancelled by oauth_finish */
    oauth_challenge_t challenge;
    long status;
    char *requested_scope;
    char *cand[4];
    size_t ncand, icand;
    oauth_callback_t *listener;
    char verifier[OAUTH_PKCE_VERIFIER_LEN + 1];
    char state[OAUTH_STATE_LEN + 1];
    int tried_reregister, refresh_after_discovery;
    int preflight;       /* stop before the person's part of the sign-in (oauth_preflight) */
    char *preflight_url; /* the authorization URL a preflight stopped at */
    char *held_url;      /* the authorization URL held by hold_browser */

    /* What each step did, for `doctor` (oauth_set_trace). */
    oauth_trace_cb trace_cb;
    void *trace_ud;

    /* Single flight across processes, and the store's asynchronous calls. */
    oauth_plan_t plan;
    char *token_at_start; /* the access token when the run began */
    int lock_fd;
    uv_timer_t lock_timer; /* also paces the device grant's polling */
    uint64_t lock_wait_started;
    int lock_waiting_said;
    int store_ops;     /* asynchronous store calls in flight */
    int saves_pending; /* token writes not yet landed: the lock waits for them */
    int dead;          /* oauth_free was called; freed when the last of them returns */
    int timer_closed;

    /* DPoP (oauth/dpop_client.c). */
    EVP_PKEY *dpop_key;    /* the credential's key pair, or NULL: no DPoP */
    int dpop_required;     /* the PRM says dpop_bound_access_tokens_required */
    int dpop_resource;     /* the PRM lists ES256 in dpop_signing_alg_values_supported */
    int dpop_token;        /* the access token is DPoP-bound (token_type DPoP) */
    list_node dpop_nonces; /* the servers' latest nonces, per origin */
    char *token_form;      /* the token request in flight, kept for one nonce retry */
    oauth_fetch_cb token_cb;
    int token_nonce_retried;
};

/* ---- flow.c: the run ---- */
void oauth_full_flow(oauth_t *o);
/* The run a 401 or 403 starts (status, WWW-Authenticate value or NULL). */
void oauth_start_challenge(oauth_t *o, long status, const char *www_authenticate);
void oauth_run_plan(oauth_t *o);
/* End the run: every waiter's callback runs, now. */
void oauth_finish(oauth_t *o, int rc, const char *why);
void oauth_fail(oauth_t *o, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void oauth_set_tokens_header(oauth_t *o);
/* After oauth_free: frees o once nothing asynchronous refers to it any more. */
void oauth_free_if_idle(oauth_t *o);
/* Report a step to the trace callback, when one is set. */
void oauth_trace(oauth_t *o, oauth_trace_step_t step, const char *url, long status, int ok,
                 const char *detail);
/* An exchange of the run: cancelled, without callback, when the run ends. */
int oauth_run_fetch(oauth_t *o, const char *method, const char *url, const char *const *headers,
                    const char *body, size_t max_bytes, oauth_fetch_cb cb);
void oauth_set_str(char **slot, const char *v);
void oauth_wipe_str(char **slot);
/* https, or http to loopback (or with --allow-http); else o->refused says why. */
int oauth_endpoint_ok(oauth_t *o, const char *url, const char *what);

/* ---- single_flight.c ---- */
void oauth_begin_run(oauth_t *o);
void oauth_release_lock(oauth_t *o);

/* ---- record.c: the stored records ---- */
int oauth_store_get(oauth_t *o, const char *name, keychain_cb cb);
void oauth_save_tokens(oauth_t *o);
/* Take what a stored record says. Returns 1 when it held tokens. */
int oauth_apply_record(oauth_t *o, const char *text);
void oauth_drop_tokens(oauth_t *o);
void oauth_save_registration(oauth_t *o);
void oauth_drop_registration(oauth_t *o);

/* ---- discovery.c ---- */
void oauth_discover(oauth_t *o);
void oauth_clear_candidates(oauth_t *o);

/* ---- client.c: which client signs in ---- */
void oauth_choose_client(oauth_t *o);

/* ---- redirect_listener.c ---- */
int oauth_start_listener(oauth_t *o, char *why, size_t n);

/* ---- authorize.c ---- */
/* The scope to ask for, remembered for step-up; NULL to send none. */
char *oauth_choose_scope(oauth_t *o);

/* ---- token_request.c: a POST to the token endpoint ---- */
int oauth_token_request(oauth_t *o, buf_t *form, oauth_fetch_cb cb);
const char *oauth_token_request_failure(const oauth_t *o, int rc);
int oauth_token_answer(oauth_t *o, const oauth_fetch_result_t *res, const char *doing,
                       const char *done, int strict, char *why, size_t n);

/* ---- client_auth_jwt.c: private_key_jwt ---- */
/* Reads --client-private-key, when given, into o->client_key. */
int oauth_client_key_load(oauth_t *o, char *err, size_t errlen);
void oauth_client_key_free(oauth_t *o);
/* How the client authenticates at this AS: private_key_jwt when it holds a key
 * the AS accepts, else as oauth_client_auth_choose. */
const char *oauth_client_auth_method(const oauth_t *o);
/* The token_endpoint_auth_method to register with: private_key_jwt when a
 * key was given and the AS lists that method (RFC 7591 §2), else as
 * oauth_client_auth_for_registration. */
const char *oauth_client_registration_method(const oauth_t *o);
/* {"keys": [the public JWK of the client key, use "sig", kid of
 * --client-key-id when given]} for the registration's jwks; NULL when out of
 * memory. Needs o->client_key. */
json_t *oauth_client_key_jwks(const oauth_t *o);
/* Adds a fresh client assertion to a token request's form. BRIDGE_EPROTO with
 * o->refused saying why when there is no usable key. */
int oauth_client_auth_private_key_jwt(oauth_t *o, buf_t *form);

/* ---- secret_file.c ---- */
#define OAUTH_SECRET_FILE_MAX (64 * 1024)
/* Reads a token from a regular file that neither group nor others can access
 * (`what` names it in the sentence written to why, with the chmod to run):
 * its content without surrounding white space, in *out (malloc'd; the caller
 * wipes it). BRIDGE_EIO, BRIDGE_EINVAL (too open, too long, empty), ENOMEM. */
int oauth_read_secret_file(const char *path, const char *what, char **out, char *why, size_t n);
/* The same token from a file (when file is set) or else from the environment
 * variable env, for the grants that take one from either. */
int oauth_read_credential(const char *file, const char *env, const char *what, char **out,
                          char *why, size_t n);

/* ---- token_request.c: the answer to a jwt-bearer grant (RFC 7523 §2.1) ---- */
/* Takes a token answer into the flow (done: what to log), or fails the run
 * with the AS's refusal of `assertion` (a phrase) and `hint` (NULL, or a
 * sentence of advice appended). */
void oauth_jwt_bearer_answer(oauth_t *o, const oauth_fetch_result_t *res, const char *assertion,
                             const char *done, const char *hint);

/* ---- grant_enterprise.c, idp_signin.c: the enterprise IdP ---- */
/* Exchanges the ID token at the IdP for an ID-JAG, then the jwt-bearer grant. */
void oauth_enterprise_exchange(oauth_t *o, const char *id_token);
/* Obtains the person's ID token from the IdP (needs o->idp_meta and
 * o->idp_token_endpoint): the stored one while valid, else a refresh, else a
 * sign-in in the browser; then oauth_enterprise_exchange, or oauth_fail. */
void oauth_idp_sign_in(oauth_t *o);

/* ---- record.c: the IdP sign-in's record ---- */
void oauth_idp_record_name(const char *issuer, const char *client_id, char *out, size_t n);
void oauth_save_idp_tokens(oauth_t *o, const char *id_token, const char *refresh_token);

/* ---- grant_code.c, grant_refresh.c ---- */
void oauth_exchange_code(oauth_t *o, const char *code);
void oauth_start_refresh(oauth_t *o);
long oauth_refresh_margin(const oauth_t *o);

/* ---- dpop_client.c ---- */
/* 1 when the resource requires DPoP, or takes it and the authorization server
 * offers ES256 proofs. */
int oauth_dpop_wanted(const oauth_t *o);
/* The key pair for the credential a grant is about to obtain: the one held
 * (a step-up), else a new one when DPoP is wanted. 0 or BRIDGE_EIO. */
int oauth_dpop_new_credential(oauth_t *o);
/* "DPoP: <proof>" for method and url (access_token for ath, or NULL), with the
 * nonce held for url's origin; *line is a new string. Needs o->dpop_key. */
int oauth_dpop_proof_line(oauth_t *o, const char *method, const char *url, const char *access_token,
                          char **line);
/* Remember the DPoP-Nonce header value a response from url carried. */
void oauth_dpop_note_nonce(oauth_t *o, const char *url, const char *value);
/* The key into (a stored record's "dpop_key", a secret) and back. */
int oauth_dpop_key_to_record(const oauth_t *o, json_t *doc);
void oauth_dpop_key_from_record(oauth_t *o, const json_t *doc);
/* Drops the key (with the tokens bound to it); oauth_dpop_forget also the nonces (oauth_free). */
void oauth_dpop_forget_key(oauth_t *o);
void oauth_dpop_forget(oauth_t *o);

/* Append name=value to h's query, URL-encoded, for each pair whose value is
 * not NULL (authorize.c). 0, BRIDGE_ENOMEM or BRIDGE_EINVAL. */
int oauth_url_add_query(CURLU *h, const char *const kv[][2], size_t n);

#endif
