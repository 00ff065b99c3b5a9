/* OAuth scope strings (RFC 6749 §3.3): choosing the scope to request (MCP
 * 2025-11-25 "Scope Selection Strategy"), step-up unions and offline_access.
 * Pure; a NULL result means "omit the scope parameter". */
#ifndef MCP_BRIDGE_OAUTH_SCOPE_H
#define MCP_BRIDGE_OAUTH_SCOPE_H

#include <jansson.h>

#define OAUTH_SCOPE_MAX 4096 /* bytes, for every input and output scope string */

/* Results are malloc'd space-separated lists, each token once, in first-seen
 * order, or NULL for an empty set. Tokens are split on spaces and tabs and must
 * be scope-tokens (visible ASCII but '"' and '\'); BRIDGE_EINVAL otherwise.
 * Returns 0, BRIDGE_EINVAL, BRIDGE_ETOOBIG (over OAUTH_SCOPE_MAX) or BRIDGE_ENOMEM. */

/* The scope to request: `user_override` when not NULL (even if empty, which
 * then omits the scope), else `challenge_scope` from WWW-Authenticate when it
 * names at least one scope, else all of the PRM's `scopes_supported` (a JSON
 * array of strings, or NULL), else NULL. */
int oauth_select_scope(const char *challenge_scope, const json_t *prm_scopes_supported,
                       const char *user_override, char **out);

/* a ∪ b for step-up: a's scopes, then those of b not already there. Either
 * may be NULL. */
int oauth_scope_union(const char *a, const char *b, char **out);

/* `scope` plus "offline_access" when the AS's `scopes_supported` (JSON array
 * or NULL) lists it and the scope lacks it. A NULL scope stays NULL: asking
 * for offline_access alone would replace the server's default scopes. */
int oauth_scope_add_offline_access(const char *scope, const json_t *as_scopes_supported,
                                   char **out);

/* Without protected resource metadata (the 2025-03-26 path) and without a
 * scope from the challenge: the client metadata's scope (--static-oauth-client-
 * metadata), else the scope the AS registered for the client, else all of the
 * AS metadata's `scopes_supported`, else NULL. An AS that refuses an empty
 * scope then still gets one it announced. */
int oauth_scope_fallback(const char *client_scope, const char *registered_scope,
                         const json_t *as_scopes_supported, char **out);

/* 1 when the space-separated `scope` (may be NULL) holds `token`. */
int oauth_scope_has(const char *scope, const char *token);

/* 1 when the authorization request should carry prompt=consent: it asks for
 * offline_access at an AS that announces it (an OpenID provider), which honours
 * offline_access only with prompt=consent (OpenID Connect Core 1.0 §11). */
int oauth_scope_wants_consent(const char *scope, const json_t *as_scopes_supported);

#endif
