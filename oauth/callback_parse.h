/* Parsing the one HTTP request the loopback redirect listener accepts:
 * "GET /callback?code=...&state=... HTTP/1.1". Pure and bounded, for fuzzing. */
#ifndef MCP_BRIDGE_OAUTH_CALLBACK_PARSE_H
#define MCP_BRIDGE_OAUTH_CALLBACK_PARSE_H

#include <stddef.h>

#define OAUTH_CALLBACK_MAX_REQUEST 8192
#define OAUTH_CALLBACK_MAX_VALUE 2048

typedef struct oauth_callback_params {
    int path_ok; /* the request is a GET of the expected path */
    char *code, *state, *error, *error_description, *iss; /* decoded, malloc'd, or NULL */
} oauth_callback_params_t;

enum {
    OAUTH_CALLBACK_NEED_MORE = 1, /* the header block is not complete yet */
};

/* Parse the request in buf[0..len). Returns OAUTH_CALLBACK_NEED_MORE until the
 * blank line that ends the headers is there, BRIDGE_ETOOBIG past
 * OAUTH_CALLBACK_MAX_REQUEST, BRIDGE_EINVAL for a malformed request line, else
 * 0 with *out filled (free with oauth_callback_params_free). */
int oauth_callback_parse(const char *buf, size_t len, const char *path,
                         oauth_callback_params_t *out);
void oauth_callback_params_free(oauth_callback_params_t *p);

/* Percent-decode (and '+' as space) src[0..n) into a fresh string; NULL when it is
 * malformed, contains NUL, or is longer than OAUTH_CALLBACK_MAX_VALUE. */
char *oauth_form_decode(const char *src, size_t n);

#endif
