/* PKCE (RFC 7636) and OAuth `state` values from OpenSSL's CSPRNG, plus a
 * constant-time comparison for checking the state the redirect brings back. */
#ifndef MCP_BRIDGE_OAUTH_PKCE_H
#define MCP_BRIDGE_OAUTH_PKCE_H

#include <stddef.h>

#define OAUTH_PKCE_VERIFIER_LEN 64  /* RFC 7636 §4.1 allows 43..128 */
#define OAUTH_PKCE_CHALLENGE_LEN 43 /* BASE64URL of 32 bytes, no padding */
#define OAUTH_STATE_LEN 43          /* 256 random bits, base64url */

/* A fresh code_verifier: 64 characters of [A-Za-z0-9-_] (384 random bits).
 * Returns 0 or BRIDGE_EIO when the random generator fails. */
int oauth_pkce_verifier(char out[OAUTH_PKCE_VERIFIER_LEN + 1]);

/* code_challenge for method S256: BASE64URL(SHA-256(verifier)) without padding.
 * The verifier must be 43..128 characters of [A-Za-z0-9-._~] (else
 * BRIDGE_EINVAL); BRIDGE_EIO if hashing fails. */
int oauth_pkce_challenge_s256(const char *verifier, char out[OAUTH_PKCE_CHALLENGE_LEN + 1]);

/* A fresh `state` value. Returns 0 or BRIDGE_EIO. */
int oauth_random_state(char out[OAUTH_STATE_LEN + 1]);

/* 1 when a and b are equal strings, in time that depends only on their lengths;
 * 0 when they differ or either is NULL. */
int oauth_consttime_equal(const char *a, const char *b);

#endif
