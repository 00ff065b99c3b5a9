/* What the parts of the HTTP client share (http.c, http_loop.c, http_admit.c,
 * http_pool.c, http_req.c, http_response.c). Internal to bridge/net: users
 * include http.h. */
#ifndef MCP_BRIDGE_HTTP_INTERNAL_H
#define MCP_BRIDGE_HTTP_INTERNAL_H

#include "bridge/base/list.h"
#include "bridge/net/http.h"

#include <curl/curl.h>
#include <stdint.h>

/* Requests in curl, and requests waiting to enter it, for one scheme://host:port.
 * Kept until the client is freed: a bridge talks to a handful of origins. */
typedef struct origin {
    list_node link; /* in http_client.origins */
    char *key;
    long active;
    list_node waiting; /* started, not yet handed to curl, oldest first */
} origin_t;

struct http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    http_client_config_t cfg;
    int depth;          /* > 0 while inside curl_multi_socket_action */
    int dispatching;    /* > 0 while a caller's callback may be running (see http.h) */
    int free_requested; /* http_client_free was called while dispatching */
    list_node reqs;     /* every live request */
    list_node socks;    /* every polled socket */
    int paused;         /* receiving is paused (backpressure) */
    uv_timer_t sweep;   /* once a second: requests that went quiet for too long */
    int sweeping;
    int open_timers; /* while closing */
    CURLSH *share;   /* cookies (load-balancer stickiness), DNS cache, TLS sessions */
    list_node idle;  /* finished requests kept with their curl handle for reuse */
    int idle_len;
    int closing;
    /* Admission: at most max_active requests in curl at once, max_per_origin to
     * one scheme://host:port, so another host (the authorization server) is
     * still reached when the server's share is taken. */
    long max_active, max_per_origin;
    long active;
    list_node origins;
    uint64_t next_seq; /* start order of requests, across origins */
};

/* A set of request header lines many requests share (reference counted). */
struct http_headers {
    struct curl_slist *list;
    int refs;
};

struct http_req {
    http_client_t *c;
    list_node link; /* in c->reqs while live, in c->idle while kept for reuse */
    CURL *easy;
    struct curl_slist *headers; /* lines added to this request alone */
    http_headers_t *shared;     /* or a shared set */
    char *method, *url;
    http_callbacks_t cbs;
    void *ud;
    size_t header_bytes;
    long status;
    int started, added, cancelled, responded, paused, in_done;
    list_node wait_link;    /* in origin->waiting while started and not yet in curl */
    uint64_t seq;           /* start order, for admission oldest first */
    origin_t *origin;       /* of the URL the request starts with */
    uint64_t last_activity; /* loop time of the start or the last bytes received */
    long timeout_ms;        /* an explicit whole-exchange limit, which replaces the idle ones */
    char errbuf[CURL_ERROR_SIZE];
    char abort_why[256];
    int abort_rc;
};

/* http_loop.c: libcurl's multi-socket API on libuv. */
void http_loop_init(http_client_t *c);
void http_loop_set_easy_sockets(http_client_t *c, CURL *e);
void http_loop_close_sockets(http_client_t *c);

/* http.c: a caller's callback may run between enter and leave. leave returns
 * non-zero when it freed the client (http_client_free was called meanwhile):
 * the caller must then not touch c. */
void http_client_enter(http_client_t *c);
int http_client_leave(http_client_t *c);

/* http_admit.c: the connection budget and the wait queue. */
long http_connection_budget(void);
origin_t *http_origin_of(http_client_t *c, const char *url);
void http_admit_enqueue(http_req_t *r);
void http_admit_unqueue(http_req_t *r);
void http_admit_retire(http_req_t *r);
void http_admit_waiting(http_client_t *c);
void http_origins_free(http_client_t *c);

/* http_pool.c: curl easy handles kept for reuse. */
http_req_t *http_pool_take(http_client_t *c);
/* Keeps r's handle for a next request when it can, else frees both. */
void http_pool_put(http_req_t *r);
void http_pool_free(http_client_t *c);

/* http_req.c */
void http_req_free(http_req_t *r);

/* http_response.c: curl's header and body callbacks, and the end of exchanges. */
void http_response_set_callbacks(CURL *e, http_req_t *r);
void http_check_done(http_client_t *c);
/* Tell on_done (when not cancelled) and free r. */
void http_req_finish(http_req_t *r, int rc, const char *why);
/* Start the once-a-second check of the idle limits, if any is set. */
void http_sweep_start(http_client_t *c);

#endif
