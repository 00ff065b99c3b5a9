/* Server-provided DPoP nonces (RFC 9449 §8, §9): reading a DPoP-Nonce header
 * value and recognising the use_dpop_nonce error, from a token endpoint's JSON
 * answer or from a resource server's WWW-Authenticate DPoP challenge. Pure,
 * bounded, no I/O. */
#ifndef MCP_BRIDGE_OAUTH_DPOP_NONCE_H
#define MCP_BRIDGE_OAUTH_DPOP_NONCE_H

#include <jansson.h>
#include <stddef.h>

#define OAUTH_DPOP_NONCE_MAX 1024            /* longest nonce kept */
#define OAUTH_DPOP_CHALLENGE_MAX (16 * 1024) /* longest WWW-Authenticate value read */

/* The nonce in a DPoP-Nonce header value of len bytes: surrounding spaces and
 * tabs are dropped, the rest must be 1 to OAUTH_DPOP_NONCE_MAX NQCHARs (%x21,
 * %x23-5B, %x5D-7E). *out is a new string. Returns 0, BRIDGE_EINVAL (empty or
 * another character), BRIDGE_ETOOBIG or BRIDGE_ENOMEM. */
int oauth_dpop_nonce_parse(const char *value, size_t len, char **out);

/* 1 when a token endpoint's error answer (a JSON object) has error
 * "use_dpop_nonce", else 0. */
int oauth_dpop_error_wants_nonce(const json_t *resp);

/* 1 when a WWW-Authenticate value of len bytes holds a DPoP challenge whose
 * error parameter is use_dpop_nonce (quoted-string or bare value, RFC 9110 §11.2),
 * else 0, also for a malformed value or one over OAUTH_DPOP_CHALLENGE_MAX.
 * Call it once per header line. */
int oauth_dpop_challenge_wants_nonce(const char *value, size_t len);

#endif
