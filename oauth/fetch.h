/* One HTTP exchange of the OAuth flow (metadata, registration, token): the body
 * is read whole up to a bound and decoded as JSON when it is JSON. */
#ifndef MCP_BRIDGE_OAUTH_FETCH_H
#define MCP_BRIDGE_OAUTH_FETCH_H

#include "bridge/base/list.h"
#include "bridge/net/http.h"

#include <jansson.h>

typedef struct oauth_fetch_result {
    int rc;          /* 0 when a response arrived (any status), else BRIDGE_E* */
    const char *why; /* rc != 0: the transport error */
    long status;
    json_t *json; /* the body decoded, if it was a JSON object; borrowed */
    const char *www_authenticate;
    const char *dpop_nonce; /* the DPoP-Nonce header (RFC 9449 §8) */
    const char *content_type;
    const char *session_id; /* Mcp-Session-Id, for diagnostics */
    const char *body;       /* the raw body (NUL-terminated), bounded */
    size_t body_len;
    const char *url;
} oauth_fetch_result_t;

/* Runs once, later (never from within oauth_fetch), unless the exchange is
 * cancelled first. It may start other exchanges and may cancel the others of
 * its list (this one is off the list by then); res is valid during the call. */
typedef void (*oauth_fetch_cb)(void *ud, const oauth_fetch_result_t *res);

/* Start an exchange. body may be NULL (GET); it is copied. headers are extra
 * "Name: value" lines (NULL-terminated array, may be NULL). The body of the
 * response is bounded by max_bytes. Returns 0 or BRIDGE_ENOMEM (no callback). */
int oauth_fetch(http_client_t *http, const char *method, const char *url,
                const char *const *headers, const char *body, size_t max_bytes, oauth_fetch_cb cb,
                void *ud);

/* The same, with the exchange kept on `pending` (a list head) while it runs, so
 * that oauth_fetch_cancel_all can stop it. */
int oauth_fetch_on(list_node *pending, http_client_t *http, const char *method, const char *url,
                   const char *const *headers, const char *body, size_t max_bytes,
                   oauth_fetch_cb cb, void *ud);
/* Stop every exchange on `pending`: none of their callbacks runs afterwards. */
void oauth_fetch_cancel_all(list_node *pending);

#endif
