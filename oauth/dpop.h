/* DPoP (RFC 9449) keys and proofs: an ES256 key pair per credential, kept as a
 * private JWK string beside it, and the proof JWT sent in the DPoP header of
 * token requests and of requests that carry a DPoP-bound access token. Pure. */
#ifndef MCP_BRIDGE_OAUTH_DPOP_H
#define MCP_BRIDGE_OAUTH_DPOP_H

#include "oauth/jwk.h"

#include <openssl/types.h>
#include <stddef.h>
#include <time.h>

#define OAUTH_DPOP_JWK_MAX 1024 /* longest private JWK text imported */

/* A new EC P-256 key pair from OpenSSL's generator into *out (EVP_PKEY_free()
 * it). BRIDGE_EIO when key generation fails. */
int oauth_dpop_key_generate(EVP_PKEY **out);

/* The private JWK {"kty":"EC","crv":"P-256","x","y","d"} of key as a new string
 * in *jwk_json. It is a secret: OPENSSL_cleanse() it before free(). Only P-256
 * keys (BRIDGE_EINVAL for others); BRIDGE_EIO, BRIDGE_ENOMEM. */
int oauth_dpop_key_export(EVP_PKEY *key, char **jwk_json);

/* Reads a private JWK of at most OAUTH_DPOP_JWK_MAX bytes (as exported above;
 * other members are ignored): kty EC, crv P-256, x, y and d base64url of exactly
 * 32 bytes each, a point on the curve that matches d. *out is a new key. Returns
 * 0, BRIDGE_ETOOBIG, BRIDGE_EINVAL or BRIDGE_ENOMEM. Decoded private bytes are
 * wiped. */
int oauth_dpop_key_import(const char *json, size_t len, EVP_PKEY **out);

/* The RFC 7638 thumbprint of key's public JWK: the dpop_jkt authorization
 * request parameter. BRIDGE_EINVAL for a key without a public JWK. */
int oauth_dpop_jkt(EVP_PKEY *key, char out[OAUTH_JWK_THUMBPRINT_LEN + 1]);

/* A DPoP proof for one request: header {typ "dpop+jwt", alg ES256, jwk the
 * public key}; claims jti (256 random bits), htm (the method), htu (url without
 * its query and fragment, RFC 9449 §4.2), iat = now, ath = base64url(SHA-256(
 * access_token)) when a token is sent (else NULL), nonce when one is held (else
 * NULL). *out is malloc'd. BRIDGE_EINVAL for an empty method or URL, or a key
 * that is not P-256; BRIDGE_EIO, BRIDGE_ENOMEM. */
int oauth_dpop_proof(EVP_PKEY *key, const char *htm, const char *url, const char *access_token,
                     const char *nonce, time_t now, char **out);

#endif
