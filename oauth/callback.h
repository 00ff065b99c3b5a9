/* The loopback listener that receives the authorization redirect (RFC 8252
 * §7.3): started before the browser opens, serves exactly one good request,
 * then closes. */
#ifndef MCP_BRIDGE_OAUTH_CALLBACK_H
#define MCP_BRIDGE_OAUTH_CALLBACK_H

#include <uv.h>

#define OAUTH_CALLBACK_PATH "/oauth/callback" /* the default path */

typedef struct oauth_callback oauth_callback_t;

/* rc 0: `code` is the authorization code (only valid during the call). Else
 * `why` says what went wrong (timeout, error=... from the server). */
typedef void (*oauth_callback_cb)(void *ud, int rc, const char *code, const char *iss,
                                  const char *why);

/* Listen on 127.0.0.1 (and [::1] when also_ipv6) at `port`; port 0 picks a free
 * one. Returns BRIDGE_EIO when the port cannot be bound. */
int oauth_callback_listen(uv_loop_t *loop, int port, int also_ipv6, const char *path,
                          oauth_callback_t **out);
int oauth_callback_port(const oauth_callback_t *c);
/* Wait for the redirect carrying `state` (compared in constant time). cb runs
 * once; the listener is closed before it runs. success_url (may be NULL): where
 * the browser is sent once the redirect arrived, instead of our own page. */
void oauth_callback_wait(oauth_callback_t *c, const char *state, long timeout_ms,
                         const char *success_url, oauth_callback_cb cb, void *ud);
/* Close without calling back (the flow was abandoned). */
void oauth_callback_close(oauth_callback_t *c);

#endif
