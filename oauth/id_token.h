/* Checks an OpenID Connect ID token (Core §3.1.3.7) a sign-in at the enterprise
 * IdP returned: its JWS signature against the IdP's JWK Set, iss, aud (and azp),
 * exp and the nonce the request carried. Pure: no I/O. */
#ifndef MCP_BRIDGE_OAUTH_ID_TOKEN_H
#define MCP_BRIDGE_OAUTH_ID_TOKEN_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define OAUTH_JWKS_MAX (256 * 1024) /* longest JWK Set document read */

typedef struct oauth_id_token_expect {
    const char *issuer;    /* the IdP's issuer identifier: iss must equal it */
    const char *client_id; /* aud must be it or hold it */
    const char *nonce;     /* the request's nonce, or NULL (a refreshed token carries none) */
    const json_t *jwks;    /* the IdP's {"keys": [...]}, or NULL when it publishes none */
    time_t now;
} oauth_id_token_expect_t;

/* 0 when id_token passes every check (its exp in *exp when exp is not NULL);
 * else a sentence in why (never the token) and BRIDGE_EPROTO (BRIDGE_ENOMEM,
 * BRIDGE_EIO when OpenSSL fails). The algorithms: ES256, RS256 (keys of 2048
 * bits or more), EdDSA/Ed25519; "none" and everything else are refused. */
int oauth_id_token_check(const char *id_token, const oauth_id_token_expect_t *want, time_t *exp,
                         char *why, size_t whylen);

#endif
