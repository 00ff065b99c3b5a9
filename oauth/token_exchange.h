/* The two token requests of enterprise-managed authorization (SEP-990) and
 * workload identity: an RFC 8693 token exchange of an ID token for an ID-JAG at
 * the enterprise IdP, and the RFC 7523 §2.1 jwt-bearer grant that trades an
 * assertion for an access token at the MCP server's AS. Pure: forms and the
 * validation of the exchange's answer. Client authentication is added apart
 * (oauth_token_client_auth, oauth_client_assertion_form). */
#ifndef MCP_BRIDGE_OAUTH_TOKEN_EXCHANGE_H
#define MCP_BRIDGE_OAUTH_TOKEN_EXCHANGE_H

#include "bridge/base/buf.h"

#include <jansson.h>
#include <stddef.h>

#define OAUTH_GRANT_TOKEN_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define OAUTH_GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define OAUTH_TOKEN_TYPE_ID_TOKEN "urn:ietf:params:oauth:token-type:id_token"
#define OAUTH_TOKEN_TYPE_ID_JAG "urn:ietf:params:oauth:token-type:id-jag"

/* Appends the token-exchange parameters: grant_type, subject_token (the ID
 * token), subject_token_type id_token, requested_token_type id-jag, audience
 * (the issuer of the MCP server's AS), resource (the MCP server's resource) and
 * scope when not NULL or empty. BRIDGE_EINVAL when a required value is missing. */
int oauth_token_exchange_form(buf_t *form, const char *id_token, const char *audience,
                              const char *resource, const char *scope);

/* What the IdP issued. The strings are malloc'd; free with
 * oauth_token_exchange_free(), which wipes the ID-JAG. */
typedef struct oauth_id_jag {
    char *assertion; /* the ID-JAG (the answer's access_token) */
    char *scope;     /* NULL when the answer has none */
    long expires_in; /* seconds, 0 when not given */
} oauth_id_jag_t;

/* Validates a successful token-exchange answer: access_token a printable string
 * of at most OAUTH_TOKEN_MAX bytes, issued_token_type exactly the id-jag type,
 * token_type N_A (RFC 8693 §2.2.1) or Bearer, case-insensitive, or absent;
 * expires_in a positive number when present. On error writes a reason (never the
 * token) and returns BRIDGE_EPROTO; BRIDGE_ENOMEM. */
int oauth_token_exchange_parse(const json_t *resp, oauth_id_jag_t *out, char *why, size_t whylen);
void oauth_token_exchange_free(oauth_id_jag_t *jag);

/* Appends the jwt-bearer grant: grant_type, assertion, and scope and resource
 * when not NULL or empty. BRIDGE_EINVAL without an assertion. */
int oauth_jwt_bearer_form(buf_t *form, const char *assertion, const char *scope,
                          const char *resource);

#endif
