/* URL handling on top of libcurl's URL API: parsing the server URL, resolving
 * relative references (legacy SSE endpoint, metadata hints), origin checks. */
#ifndef MCP_BRIDGE_URL_H
#define MCP_BRIDGE_URL_H

#include <stddef.h>

typedef struct url {
    char *href;   /* normalised absolute URL */
    char *scheme; /* lowercase "http" or "https" */
    char *host;   /* lowercase; IPv6 literals with brackets */
    char *port;   /* explicit port or NULL */
    char *path;   /* at least "/" */
    char *query;  /* without '?', or NULL */
} url_t;

/* Parse an absolute http(s) URL. A fragment is refused (MCP URLs and OAuth
 * resources have none). On error writes a reason into err. */
int url_parse(const char *s, url_t *out, char *err, size_t errlen);
void url_free(url_t *u);

/* Resolve `ref` (absolute or relative) against `base`; *out is malloc'd. */
int url_resolve(const char *base, const char *ref, char **out);

/* 1 when both URLs have the same scheme, host and effective port. */
int url_same_origin(const char *a, const char *b);

/* 1 for localhost, 127.0.0.0/8 and [::1]. */
int url_host_is_loopback(const char *host);

/* scheme://host[:port] of a parsed URL, malloc'd. */
char *url_origin(const url_t *u);

#endif
