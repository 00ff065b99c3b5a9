/* Discovery URL construction for MCP authorization: protected resource metadata
 * (RFC 9728), authorization server metadata (RFC 8414, OIDC Discovery), the
 * 2025-03-26 fallbacks, and the RFC 8707 resource identifier. Pure, no I/O. */
#ifndef MCP_BRIDGE_OAUTH_WELLKNOWN_H
#define MCP_BRIDGE_OAUTH_WELLKNOWN_H

#include <stddef.h>

#define OAUTH_PRM_URLS_MAX 2
#define OAUTH_AS_METADATA_URLS_MAX 3

/* All functions take absolute http(s) URLs. A URL with credentials, an IPv6
 * zone id, or (unless said otherwise) a fragment is refused with BRIDGE_EINVAL.
 * Output strings are malloc'd and owned by the caller; on error nothing is left
 * allocated and the outputs are NULL / *n is 0. In every output the scheme and
 * host are lowercase and a default port (80 for http, 443 for https) is dropped. */

/* Protected resource metadata locations for an MCP server URL, to be tried in
 * order (2025-11-25 "PRM discovery"): <origin>/.well-known/oauth-protected-resource
 * <path><?query> when the URL has a path other than "/" or a query (a terminating
 * "/" of the path removed, RFC 9728 §3.1), then <origin>/.well-known/
 * oauth-protected-resource. Fills out[0..*n-1], *n being 1 or 2. */
int oauth_prm_urls(const char *mcp_url, char *out[OAUTH_PRM_URLS_MAX], size_t *n);

/* Authorization server metadata locations for an issuer, to be tried in order.
 * Issuer with a path (terminating "/" removed): <origin>/.well-known/
 * oauth-authorization-server<path>, <origin>/.well-known/openid-configuration<path>,
 * <origin><path>/.well-known/openid-configuration. Issuer without a path:
 * <origin>/.well-known/oauth-authorization-server, then <origin>/.well-known/
 * openid-configuration. An issuer with a query is refused (RFC 8414 §2). */
int oauth_as_metadata_urls(const char *issuer, char *out[OAUTH_AS_METADATA_URLS_MAX], size_t *n);

/* 2025-03-26 authorization base URL: the MCP server URL's origin, no path. */
int oauth_legacy_base(const char *mcp_url, char **out);

/* 2025-03-26 default endpoint when the base has no metadata: <origin>/<which>,
 * `which` being "authorize", "token" or "register" (anything else: EINVAL). */
int oauth_legacy_default_endpoint(const char *base, const char *which, char **out);

/* The RFC 8707 `resource` value for an MCP server URL: scheme and host
 * lowercased, default port dropped, fragment removed (accepted here), path and
 * query kept as given; "https://h" stays without a "/" and "https://h/" keeps it. */
int oauth_canonical_resource(const char *mcp_url, char **out);

/* 1 when a PRM document's `resource` may stand for the MCP server URL: same
 * scheme, host and effective port, and the resource path (a terminating "/"
 * ignored) is the MCP path or a prefix of it ending at a "/" boundary; a query
 * on the resource must equal the MCP URL's. 0 otherwise, also for bad URLs. */
int oauth_prm_resource_matches(const char *prm_resource, const char *mcp_url);

#endif
