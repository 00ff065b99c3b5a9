/* Token endpoint requests and responses (RFC 6749 §4.1.3, §5.1, §6). Pure:
 * building forms and validating answers. */
#ifndef MCP_BRIDGE_OAUTH_TOKEN_H
#define MCP_BRIDGE_OAUTH_TOKEN_H

#include "bridge/base/buf.h"
#include "oauth/client_auth.h" /* how these requests are authenticated */

#include <jansson.h>

#define OAUTH_TOKEN_MAX 16384 /* longest access or refresh token accepted */

typedef struct oauth_token {
    char *access_token;  /* malloc'd */
    char *refresh_token; /* malloc'd or NULL */
    char *scope;         /* malloc'd or NULL */
    char *id_token;      /* malloc'd or NULL (OpenID Connect) */
    long expires_in;     /* seconds, or 0 when the server did not say */
    int dpop;            /* token_type DPoP: the token is bound to the proof's key */
} oauth_token_t;

/* Append "key=value" (form-urlencoded, '&' between pairs). */
int oauth_form_add(buf_t *form, const char *key, const char *value);

/* Validate a successful token response: access_token present, printable ASCII,
 * at most OAUTH_TOKEN_MAX; token_type Bearer (case-insensitive) or absent;
 * expires_in a positive number when present (0 or negative is refused). On
 * error writes a reason (never the token) and returns BRIDGE_EPROTO. */
int oauth_token_parse(const json_t *resp, oauth_token_t *out, char *why, size_t whylen);
/* The same for a request that carried a DPoP proof when dpop_proof_sent is 1:
 * token_type DPoP is then accepted too (RFC 9449 §5) and out->dpop says so. */
int oauth_token_parse_after_proof(const json_t *resp, int dpop_proof_sent, oauth_token_t *out,
                                  char *why, size_t whylen);
void oauth_token_free(oauth_token_t *t);

/* 1 when s is a token we would accept from a token endpoint: 1 to
 * OAUTH_TOKEN_MAX bytes of printable ASCII (no space, CR or LF). For what is
 * read back from the store, which is checked like input from the network. */
int oauth_token_printable(const char *s);

#endif
