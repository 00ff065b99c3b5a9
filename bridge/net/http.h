/* HTTP exchanges on libcurl's multi-socket API, driven by the libuv loop: one
 * uv_poll_t per socket, one uv_timer_t for curl's timeouts. Requests stream
 * their response body to callbacks; nothing here knows about MCP. */
#ifndef MCP_BRIDGE_HTTP_H
#define MCP_BRIDGE_HTTP_H

#include "bridge/net/proxy.h"
#include "bridge/net/tls.h"

#include <stddef.h>
#include <uv.h>

typedef struct http_client http_client_t;
typedef struct http_req http_req_t;

typedef struct http_client_config {
    long connect_timeout_s;
    int allow_http_redirects; /* follow redirects to http:// (else only https://) */
    size_t max_header_bytes;  /* total response header bytes before the exchange is aborted */
    int verbose;              /* log each exchange at debug level */
    const proxy_env_t *proxy; /* --enable-proxy: the proxies to use; NULL: never a proxy */
    const tls_config_t *tls;  /* trusted CAs and client certificate; NULL: libcurl defaults */
    int ipv4_only;            /* --ipv4 */
    int no_cookies;           /* --disable-cookies: neither keep nor send the cookies servers set */
    long headers_timeout_s;   /* waiting for the response headers; 0: no limit */
    long body_timeout_s;      /* the longest gap between body chunks; 0: no limit */
} http_client_config_t;

/* The callbacks of a request. None runs from inside the call that starts the
 * work (http_req_start, http_req_cancel, http_client_pause): they run later,
 * from the loop. Inside any of them the caller may:
 *   - cancel any request, this one included (http_req_cancel): no callback of
 *     the cancelled request runs afterwards; this one's memory stays valid
 *     until the callback returns;
 *   - start new requests (they enter curl once the callback returns);
 *   - free the whole client (http_client_free): no callback of any request
 *     runs afterwards, and the client is freed once the callback returns.
 * What ud points to is the caller's: it must stay valid until on_done or
 * cancel. */
typedef struct http_callbacks {
    /* The final response's status and headers are known (called once, before the
     * first body byte, or just before on_done for a response without body). Return
     * non-zero to abort the exchange. May be NULL. Runs inside libcurl. */
    int (*on_response)(http_req_t *r, void *ud);
    /* A chunk of the body. Return non-zero to abort the exchange. May be NULL.
     * Runs inside libcurl. */
    int (*on_body)(http_req_t *r, void *ud, const char *p, size_t n);
    /* The exchange ended: rc is 0 when a whole response arrived (whatever its
     * status), else a negative BRIDGE_E* code with `why` a sentence naming the
     * cause. The request is freed when this returns (cancelling it here does
     * nothing). Not called after cancel, nor after http_client_free. */
    void (*on_done)(http_req_t *r, void *ud, int rc, const char *why);
} http_callbacks_t;

http_client_t *http_client_new(uv_loop_t *loop, const http_client_config_t *cfg);
/* Cancels every request still running (without callbacks) and starts closing the
 * handles; the loop must run once more for them to finish closing. Allowed
 * inside a request's callback: the client is then freed when the callback
 * returns. No request may be made or started after it. */
void http_client_free(http_client_t *c);

/* A request to build: add headers and a body, then start it. The body is
 * borrowed: it must stay valid until on_done or cancel. */
http_req_t *http_req_new(http_client_t *c, const char *method, const char *url);
int http_req_add_header(http_req_t *r, const char *line);

/* Header lines many requests share, built once (e.g. what every POST of a
 * session carries). Reference counted; the lines are wiped when the last
 * reference goes, as they may carry credentials. */
typedef struct http_headers http_headers_t;
http_headers_t *http_headers_new(void);
int http_headers_add(http_headers_t *h, const char *line);
void http_headers_unref(http_headers_t *h);
/* Send h (a reference is taken) rather than lines added with http_req_add_header:
 * a request uses one or the other. */
void http_req_use_headers(http_req_t *r, http_headers_t *h);
void http_req_set_body(http_req_t *r, const char *body, size_t len);
void http_req_set_timeout_ms(http_req_t *r, long ms);
/* Follow redirects (the default) or not. */
void http_req_set_follow(http_req_t *r, int follow);
int http_req_start(http_req_t *r, const http_callbacks_t *cbs, void *ud);
/* Stop and free a request, started or not; no callback runs afterwards. Inside
 * a callback of this client, the request is freed when the callback returns. */
void http_req_cancel(http_req_t *r);
/* From inside on_response or on_body, before it returns non-zero: the reason
 * on_done gets (rc, a negative BRIDGE_E* code, and `why`, a sentence) in place
 * of a bare "aborted". */
void http_req_set_error(http_req_t *r, int rc, const char *why);

/* About the final response, valid from on_response until on_done returns. */
long http_req_status(const http_req_t *r);
/* The value of a response header (case-insensitive name), or NULL. */
const char *http_req_header(http_req_t *r, const char *name);
/* All values of a header joined with ", " (malloc'd), or NULL. */
char *http_req_header_all(http_req_t *r, const char *name);
const char *http_req_method(const http_req_t *r);
const char *http_req_url(const http_req_t *r);
/* The URL after redirects. */
const char *http_req_effective_url(http_req_t *r);

/* Pause or resume receiving on every request, present and future (backpressure
 * from a slow reader of what the responses carry). */
void http_client_pause(http_client_t *c, int paused);

#endif
