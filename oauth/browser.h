/* Opening the authorization URL in the person's browser: $BROWSER, else
 * xdg-open (open on macOS), started without a shell, with only the URL as
 * argument, its output kept off our stdout. */
#ifndef MCP_BRIDGE_OAUTH_BROWSER_H
#define MCP_BRIDGE_OAUTH_BROWSER_H

#include <uv.h>

/* 1 when url is absolute http(s) (http only to a loopback host unless
 * allow_http), with no control characters: what may be handed to a browser. */
int oauth_browser_url_ok(const char *url, int allow_http);

/* Start the browser; returns 0 when a program was started, else BRIDGE_E* (the
 * caller then prints the URL for the person to open). */
int oauth_browser_open(uv_loop_t *loop, const char *url);

#endif
