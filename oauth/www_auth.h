/* Parser for WWW-Authenticate header values (RFC 9110 §11.6.1, RFC 6750 §3):
 * finds the first Bearer challenge (or, when there is none, the first DPoP
 * challenge) among possibly several challenges and header lines and keeps the
 * parameters an MCP client acts on. Pure, bounded, no I/O. */
#ifndef MCP_BRIDGE_OAUTH_WWW_AUTH_H
#define MCP_BRIDGE_OAUTH_WWW_AUTH_H

#include <stddef.h>

#define OAUTH_WWW_AUTH_MAX_BYTES (16 * 1024) /* all values fed into one challenge */
#define OAUTH_WWW_AUTH_MAX_PARAMS 64         /* auth-params and token68s, all challenges */

/* What the first Bearer challenge said. Every string is malloc'd, NUL-terminated
 * and owned by the struct (NULL when the parameter was absent); quoted-string
 * escapes are already undone. Free with oauth_challenge_free(). */
typedef struct oauth_challenge {
    int bearer; /* 1 once a Bearer challenge was seen */
    int dpop;   /* 1 when the values are a DPoP challenge's: no Bearer one (yet) */
    char *resource_metadata;
    char *scope;
    char *error;
    char *error_description;
    char *realm;
    /* Running totals that make the limits hold across repeated calls. */
    size_t bytes_seen;
    size_t params_seen;
} oauth_challenge_t;

void oauth_challenge_init(oauth_challenge_t *c);
void oauth_challenge_free(oauth_challenge_t *c); /* frees the strings, re-inits */

/* Parse one header value of `len` bytes (NUL bytes in it are malformed). Call it
 * once per WWW-Authenticate header line; a later Bearer challenge never replaces
 * the first one, but replaces a DPoP challenge's values. A value that fails to parse leaves `c` as
 * it was. Returns 0, BRIDGE_EINVAL (malformed, or a Bearer parameter given twice), BRIDGE_ETOOBIG
 * (over the limits above, counted over all calls) or BRIDGE_ENOMEM. */
int oauth_www_auth_parse(oauth_challenge_t *c, const char *value, size_t len);

/* The same for `n` NUL-terminated header values in order. Every value is tried;
 * the good ones count even if another fails. Returns 0 or the first error. */
int oauth_www_auth_parse_all(oauth_challenge_t *c, const char *const *values, size_t n);

#endif
