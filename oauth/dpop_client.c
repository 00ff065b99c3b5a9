/* DPoP in the flow (RFC 9449): when the authorization server offers ES256 or
 * the resource requires it, a key pair per credential, a proof on each token
 * request and on each request that carries a DPoP-bound token, and the
 * servers' nonces remembered per origin. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/log.h"
#include "bridge/base/url.h"
#include "oauth/dpop.h"
#include "oauth/dpop_nonce.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DPOP_ORIGINS_MAX 16 /* origins whose nonce is remembered: the AS and the server */

typedef struct dpop_origin_nonce {
    list_node link;
    char *url; /* a URL of the origin (compared by origin) */
    char *nonce;
} dpop_origin_nonce_t;

/* A DPoP-bound token is only of use at a resource server that takes them:
 * many authorization servers offer DPoP to every client, while MCP servers
 * behind them may know only Bearer. So the resource must say so too: its PRM
 * (dpop_bound_access_tokens_required, or ES256 among its
 * dpop_signing_alg_values_supported) or a DPoP challenge in its 401. */
int oauth_dpop_wanted(const oauth_t *o)
{
    const json_t *algs = json_object_get(o->as_meta, "dpop_signing_alg_values_supported");
    return o->dpop_required ||
           (json_array_has_str(algs, "ES256") && (o->dpop_resource || o->challenge.dpop));
}

int oauth_dpop_new_credential(oauth_t *o)
{
    /* Tokens still held (a step-up) stay bound to their key, which the new
     * ones share; oauth_drop_tokens lets the key go with the tokens. */
    if (o->dpop_key || !oauth_dpop_wanted(o)) return 0;
    int rc = oauth_dpop_key_generate(&o->dpop_key);
    if (!rc) log_debug("a new DPoP key for the sign-in to %s", o->server_url);
    return rc;
}

static dpop_origin_nonce_t *find_origin(oauth_t *o, const char *url)
{
    LIST_FOR_EACH (n, &o->dpop_nonces) {
        dpop_origin_nonce_t *e = LIST_ENTRY(n, dpop_origin_nonce_t, link);
        if (url_same_origin(e->url, url)) return e;
    }
    return NULL;
}

void oauth_dpop_note_nonce(oauth_t *o, const char *url, const char *value)
{
    char *nonce = NULL;
    if (!url || !value || oauth_dpop_nonce_parse(value, strlen(value), &nonce) != 0) return;
    dpop_origin_nonce_t *e = find_origin(o, url);
    if (!e) {
        size_t count = 0;
        LIST_FOR_EACH (n, &o->dpop_nonces)
            count++;
        if (count >= DPOP_ORIGINS_MAX) { /* the oldest goes */
            e = LIST_ENTRY(list_pop_front(&o->dpop_nonces), dpop_origin_nonce_t, link);
            free(e->url);
            free(e->nonce);
            free(e);
        }
        e = calloc(1, sizeof *e);
        if (!e || !(e->url = strdup(url))) {
            free(e);
            free(nonce);
            return;
        }
        list_node_init(&e->link);
        list_push_back(&o->dpop_nonces, &e->link);
    }
    free(e->nonce);
    e->nonce = nonce;
}

void oauth_dpop_forget_key(oauth_t *o)
{
    EVP_PKEY_free(o->dpop_key);
    o->dpop_key = NULL;
}

void oauth_dpop_forget(oauth_t *o)
{
    while (!list_empty(&o->dpop_nonces)) {
        dpop_origin_nonce_t *e =
            LIST_ENTRY(list_pop_front(&o->dpop_nonces), dpop_origin_nonce_t, link);
        free(e->url);
        free(e->nonce);
        free(e);
    }
    EVP_PKEY_free(o->dpop_key);
    o->dpop_key = NULL;
}

int oauth_dpop_proof_line(oauth_t *o, const char *method, const char *url, const char *access_token,
                          char **line)
{
    assert(o->dpop_key && method && url && line);
    *line = NULL;
    const dpop_origin_nonce_t *e = find_origin(o, url);
    char *proof = NULL;
    int rc = oauth_dpop_proof(o->dpop_key, method, url, access_token, e ? e->nonce : NULL,
                              time(NULL), &proof);
    if (rc) return rc;
    size_t n = strlen(proof) + sizeof "DPoP: ";
    *line = malloc(n);
    if (*line) snprintf(*line, n, "DPoP: %s", proof);
    free(proof);
    return *line ? 0 : BRIDGE_ENOMEM;
}

int oauth_dpop_key_to_record(const oauth_t *o, json_t *doc)
{
    if (!o->dpop_key) return 0;
    char *jwk = NULL;
    int rc = oauth_dpop_key_export(o->dpop_key, &jwk);
    if (rc) return rc;
    rc = json_object_set_new(doc, "dpop_key", json_string(jwk)) ? BRIDGE_ENOMEM : 0;
    OPENSSL_cleanse(jwk, strlen(jwk));
    free(jwk);
    return rc;
}

void oauth_dpop_key_from_record(oauth_t *o, const json_t *doc)
{
    EVP_PKEY_free(o->dpop_key);
    o->dpop_key = NULL;
    const json_t *jwk = json_object_get(doc, "dpop_key");
    if (!json_is_string(jwk)) return;
    if (oauth_dpop_key_import(json_string_value(jwk), json_string_length(jwk), &o->dpop_key))
        log_error("the stored DPoP key for %s is not usable; a new sign-in will make another",
                  o->server_url);
}

/* ---- public: what the relay asks ----------------------------------------------------- */

int oauth_request_headers(oauth_t *o, const char *method, const char *url, char *lines[2])
{
    lines[0] = lines[1] = NULL;
    assert(!o->dpop_token || o->dpop_key);
    if (!o->header) return 0;
    lines[0] = strdup(o->header);
    if (!lines[0]) return BRIDGE_ENOMEM;
    if (!o->dpop_token) return 1;
    const char *cred = o->cfg.use_id_token && o->id_token ? o->id_token : o->access_token;
    int rc = oauth_dpop_proof_line(o, method, url, cred, &lines[1]);
    if (rc) {
        OPENSSL_cleanse(lines[0], strlen(lines[0]));
        free(lines[0]);
        lines[0] = NULL;
        return rc;
    }
    return 2;
}

void oauth_note_dpop_nonce(oauth_t *o, const char *url, const char *value)
{
    if (o->dpop_key) oauth_dpop_note_nonce(o, url, value);
}

int oauth_dpop_nonce_challenge(const oauth_t *o, long status, const char *www_authenticate)
{
    return o->dpop_token && status == 401 && www_authenticate &&
           oauth_dpop_challenge_wants_nonce(www_authenticate, strlen(www_authenticate));
}
