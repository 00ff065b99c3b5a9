/* How the client authenticates its POSTs to the token endpoint (and to the
 * device authorization and revocation endpoints): none, client_secret_post or
 * client_secret_basic (RFC 6749 §2.3.1). private_key_jwt, which needs the key
 * and the AS issuer, is oauth/client_auth_jwt.c. Pure: no I/O. */
#ifndef MCP_BRIDGE_OAUTH_CLIENT_AUTH_H
#define MCP_BRIDGE_OAUTH_CLIENT_AUTH_H

#include "bridge/base/buf.h"

#include <jansson.h>

/* Client authentication for a token request: "none" adds client_id to the form;
 * "client_secret_post" adds client_id and client_secret; "client_secret_basic"
 * sets *basic_header to "Authorization: Basic ..." (id and secret form-encoded
 * first, RFC 6749 §2.3.1). A NULL method means basic with a secret, none without. */
int oauth_token_client_auth(buf_t *form, const char *client_id, const char *client_secret,
                            const char *method, char **basic_header);

/* The method for a client we hold (with a secret or not) at an authorization
 * server whose metadata (may be NULL) lists token_endpoint_auth_methods_supported. */
const char *oauth_client_auth_choose(const json_t *as_meta, int have_secret);

/* The method to ask for when registering: "none" (a public native client, RFC
 * 8252) unless the authorization server takes only secrets. */
const char *oauth_client_auth_for_registration(const json_t *as_meta);

#endif
