/* Public JSON Web Keys (RFC 7517/7518/8037) of the keys we sign with, and their
 * SHA-256 thumbprints (RFC 7638), used as DPoP's dpop_jkt and as key ids. Pure. */
#ifndef MCP_BRIDGE_OAUTH_JWK_H
#define MCP_BRIDGE_OAUTH_JWK_H

#include <jansson.h>
#include <openssl/types.h>

#define OAUTH_JWK_THUMBPRINT_LEN 43 /* base64url of a SHA-256 digest */
#define OAUTH_JWK_MEMBER_MAX 1024   /* longest member value a thumbprint takes */

/* The public JWK of an EC P-256 ({kty, crv, x, y}), RSA ({kty, n, e}) or
 * Ed25519 ({kty: OKP, crv, x}) key: a new object (json_decref() it), or NULL
 * for another kind of key or out of memory. Never holds private members. */
json_t *oauth_jwk_public(EVP_PKEY *key);

/* The RFC 7638 thumbprint of a public JWK of kty EC, RSA or OKP: the required
 * members in lexicographic order, without whitespace, hashed with SHA-256.
 * Member values must be strings of base64url (and crv of [A-Za-z0-9-]) of at most
 * OAUTH_JWK_MEMBER_MAX bytes, else BRIDGE_EINVAL; BRIDGE_EIO when hashing fails. */
int oauth_jwk_thumbprint(const json_t *jwk, char out[OAUTH_JWK_THUMBPRINT_LEN + 1]);

#endif
