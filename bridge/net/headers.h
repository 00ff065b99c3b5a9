/* Extra HTTP headers given on the command line (--header, --header-file). */
#ifndef MCP_BRIDGE_HEADERS_H
#define MCP_BRIDGE_HEADERS_H

#include <stddef.h>

typedef struct header_list {
    char **lines; /* "Name: value", validated, ready for curl_slist_append */
    size_t count;
} header_list_t;

/* Parse "Name: value" (whitespace around the value trimmed). The name must be an
 * RFC 9110 token; the value must not contain CR, LF or NUL. ${VAR} in the value is
 * substituted from the environment. Headers the bridge manages itself
 * (Content-Type, Accept, Content-Length, Mcp-Session-Id, MCP-Protocol-Version,
 * Last-Event-ID, Host, Transfer-Encoding) are refused. On error returns a negative
 * code and writes a one-line reason into err. */
int header_list_add(header_list_t *hl, const char *arg, char *err, size_t errlen);

/* Read a file with one header per line; blank lines and lines starting with '#'
 * are skipped. Errors name the file and line. */
int header_list_add_file(header_list_t *hl, const char *path, char *err, size_t errlen);

/* Case-insensitive lookup of a header by name; returns its value or NULL. */
const char *header_list_get(const header_list_t *hl, const char *name);

void header_list_free(header_list_t *hl);

#endif
