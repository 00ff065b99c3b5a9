/* private_key_jwt client authentication (RFC 7523 §2.2, §3): a short-lived JWT
 * signed with the client's key, sent as client_assertion in a token request. */
#ifndef MCP_BRIDGE_OAUTH_CLIENT_ASSERTION_H
#define MCP_BRIDGE_OAUTH_CLIENT_ASSERTION_H

#include "bridge/base/buf.h"
#include "oauth/jwt.h"

#include <time.h>

#define OAUTH_CLIENT_ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define OAUTH_CLIENT_ASSERTION_LIFETIME 60 /* seconds from iat to exp */

/* A client assertion: iss = sub = client_id; aud = the authorization server's
 * issuer identifier (RFC 8414), as the MCP authorization profile and RFC 7523bis
 * ask; jti of 256 random bits; iat = now; exp = now + 60 s. kid goes into the
 * header when not NULL (the id under which the AS knows the key). *out is
 * malloc'd. BRIDGE_EINVAL for an empty client_id or issuer; else as
 * oauth_jwt_sign(). */
int oauth_client_assertion(EVP_PKEY *key, oauth_jwt_alg_t alg, const char *client_id,
                           const char *issuer, const char *kid, time_t now, char **out);

/* Appends client_assertion_type and client_assertion (a fresh assertion as above)
 * to a form body. The assertion is wiped from memory once appended. */
int oauth_client_assertion_form(buf_t *form, EVP_PKEY *key, oauth_jwt_alg_t alg,
                                const char *client_id, const char *issuer, const char *kid,
                                time_t now);

#endif
