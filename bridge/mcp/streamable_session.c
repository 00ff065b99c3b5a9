/* The session of the Streamable HTTP transport: the session id the server
 * gives at initialize, the negotiated protocol version, the header lines that
 * carry them (with the credentials and --header lines), how a server says it
 * lost the session, and the DELETE that ends it. */
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/mcp/streamable_internal.h"

#include <assert.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SESSION_ID_MAX 256
#define PROTOCOL_VERSION_MAX 64

/* A value the server chose that we send back in a header line: visible ASCII
 * only (no CR/LF that would start a header of the server's choosing), bounded. */
static int header_value_valid(const char *v, size_t max)
{
    if (!v || !*v || strlen(v) > max) return 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x21 || *p > 0x7e) return 0;
    return 1;
}

typedef int (*add_line_fn)(void *to, const char *line);

/* The lines every request carries: --header lines, session, credentials, version. */
static int common_lines(streamable_t *t, char *const *auth, int nauth, add_line_fn add, void *to)
{
    char line[512];
    int rc = 0;
    for (size_t i = 0; i < t->cfg.headers_len && !rc; i++)
        rc = add(to, t->cfg.headers[i]);
    if (!rc && t->session_id) {
        snprintf(line, sizeof line, "Mcp-Session-Id: %s", t->session_id);
        rc = add(to, line);
    }
    for (int i = 0; i < nauth && !rc; i++)
        rc = add(to, auth[i]);
    if (!rc && t->protocol_version) {
        snprintf(line, sizeof line, "MCP-Protocol-Version: %s", t->protocol_version);
        rc = add(to, line);
    }
    return rc;
}

static int add_to_req(void *r, const char *line)
{
    return http_req_add_header(r, line);
}

static int add_to_set(void *h, const char *line)
{
    return http_headers_add(h, line);
}

/* The authorization lines for a request to the server (none without a
 * callback); free them with wipe_auth_lines. */
static int auth_lines(streamable_t *t, const char *method, char *lines[TRANSPORT_AUTH_LINES])
{
    lines[0] = lines[1] = NULL;
    if (!t->cfg.auth_headers) return 0;
    int n = t->cfg.auth_headers(t->cfg.ud, method, t->cfg.url, lines);
    assert(n <= TRANSPORT_AUTH_LINES);
    return n;
}

static void wipe_auth_lines(char *lines[TRANSPORT_AUTH_LINES])
{
    for (int i = 0; i < TRANSPORT_AUTH_LINES; i++) {
        if (lines[i]) OPENSSL_cleanse(lines[i], strlen(lines[i]));
        free(lines[i]);
        lines[i] = NULL;
    }
}

int streamable_add_common_headers(streamable_t *t, http_req_t *r)
{
    char *auth[TRANSPORT_AUTH_LINES];
    int n = auth_lines(t, http_req_method(r), auth);
    int rc = n < 0 ? n : common_lines(t, auth, n, add_to_req, r);
    wipe_auth_lines(auth);
    return rc;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

void streamable_drop_post_headers(streamable_t *t)
{
    http_headers_unref(t->post_hdrs);
    t->post_hdrs = NULL;
    free(t->post_hdrs_version);
    t->post_hdrs_version = NULL;
    if (t->post_hdrs_auth) OPENSSL_cleanse(t->post_hdrs_auth, strlen(t->post_hdrs_auth));
    free(t->post_hdrs_auth);
    t->post_hdrs_auth = NULL;
}

static int post_lines(streamable_t *t, char *const *auth, int nauth, add_line_fn add, void *to)
{
    int rc = common_lines(t, auth, nauth, add, to);
    if (!rc) rc = add(to, "Content-Type: application/json");
    if (!rc) rc = add(to, "Accept: application/json, text/event-stream");
    return rc;
}

/* The header set for a POST: the one built for the previous POST while nothing
 * in it changed. NULL when out of memory. */
static http_headers_t *post_header_set(streamable_t *t, const char *auth)
{
    if (t->post_hdrs && t->post_hdrs_gen == t->session_gen &&
        same_str(t->post_hdrs_version, t->protocol_version) && same_str(t->post_hdrs_auth, auth))
        return t->post_hdrs;
    streamable_drop_post_headers(t);
    http_headers_t *h = http_headers_new();
    int rc = h ? post_lines(t, auth ? (char *const *)&auth : NULL, auth ? 1 : 0, add_to_set, h)
               : BRIDGE_ENOMEM;
    char *version = t->protocol_version ? strdup(t->protocol_version) : NULL;
    char *auth_copy = auth ? strdup(auth) : NULL;
    if (rc || (t->protocol_version && !version) || (auth && !auth_copy)) {
        http_headers_unref(h);
        free(version);
        if (auth_copy) OPENSSL_cleanse(auth_copy, strlen(auth_copy));
        free(auth_copy);
        return NULL;
    }
    t->post_hdrs = h;
    t->post_hdrs_gen = t->session_gen;
    t->post_hdrs_version = version;
    t->post_hdrs_auth = auth_copy;
    return h;
}

/* A line of the message's own. libcurl leaves out "Name:" with an empty value
 * unless it is written "Name;". */
static int add_msg_line(http_req_t *r, const char *line)
{
    const char *colon = strchr(line, ':');
    if (!colon || colon[1 + strspn(colon + 1, " ")] != 0) return http_req_add_header(r, line);
    char empty[160];
    int n = snprintf(empty, sizeof empty, "%.*s;", (int)(colon - line), line);
    if (n < 0 || (size_t)n >= sizeof empty) return BRIDGE_EINVAL;
    return http_req_add_header(r, empty);
}

int streamable_add_post_headers(streamable_t *t, http_req_t *r, const out_msg_t *m)
{
    char *auth[TRANSPORT_AUTH_LINES];
    int n = auth_lines(t, "POST", auth);
    int rc = n < 0 ? n : 0;
    if (n > 1 || (n >= 0 && m->nhdrs)) {
        /* A proof made for this request (DPoP), or lines of this message's
         * own: nothing to share with the next. */
        rc = post_lines(t, auth, n, add_to_req, r);
        for (size_t i = 0; i < m->nhdrs && !rc; i++)
            rc = add_msg_line(r, m->hdrs[i]);
    } else if (n >= 0) {
        http_headers_t *h = post_header_set(t, auth[0]);
        if (h)
            http_req_use_headers(r, h);
        else
            rc = BRIDGE_ENOMEM;
    }
    wipe_auth_lines(auth);
    return rc;
}

void streamable_take_session_id(streamable_t *t, http_req_t *r)
{
    const char *sid = http_req_header(r, "Mcp-Session-Id");
    if (sid && header_value_valid(sid, SESSION_ID_MAX)) {
        free(t->session_id);
        t->session_id = strdup(sid);
        t->session_gen++;
        log_debug("session id received from %s", t->cfg.url);
    } else if (sid) {
        log_error("%s sent a session id with characters outside visible ASCII; ignored",
                  t->cfg.url);
    }
}

/* Whether `text` (n bytes) mentions a session, in any case. */
static int mentions_session(const char *text, size_t n)
{
    static const char word[] = "session";
    for (size_t i = 0; i + sizeof word - 1 <= n; i++)
        if (!strncasecmp(text + i, word, sizeof word - 1)) return 1;
    return 0;
}

/* How servers say they no longer know the session we sent: 404 (the spec), or
 * 400 with an error about the session, as the TypeScript SDK's example servers
 * (server-everything among them) do: "Bad Request: No valid session ID
 * provided". Any other 400, a JSON-RPC error for the request among them, is
 * the request's answer. */
int streamable_session_gone(const stream_t *s, long status)
{
    if (status == 404) return 1;
    if (status != 400 || !s->body.len) return 0;
    json_t *root = json_loadb(s->body.data, s->body.len, 0, NULL);
    if (!root) return mentions_session(s->body.data, s->body.len);
    json_t *e = json_object_get(root, "error");
    json_t *msg = json_is_string(e) ? e : json_object_get(e, "message");
    if (!json_is_string(msg)) msg = json_object_get(root, "error_description");
    int gone =
        json_is_string(msg) && mentions_session(json_string_value(msg), json_string_length(msg));
    json_decref(root);
    return gone;
}

int streamable_set_protocol_version(transport_t *base, const char *version)
{
    streamable_t *t = (streamable_t *)base;
    free(t->protocol_version);
    t->protocol_version = NULL;
    if (version && !header_value_valid(version, PROTOCOL_VERSION_MAX)) return BRIDGE_EPROTO;
    t->protocol_version = version ? strdup(version) : NULL;
    return 0;
}

void streamable_check_shutdown_done(streamable_t *t)
{
    if (!t->shutting_down || !t->shutdown_done) return;
    LIST_FOR_EACH (n, &t->streams)
        if (LIST_ENTRY(n, stream_t, link)->kind == STREAM_DELETE) return;
    void (*done)(void *) = t->shutdown_done;
    t->shutdown_done = NULL;
    done(t->shutdown_ud);
}

static void on_delete_done(http_req_t *r, void *ud, int rc, const char *why)
{
    stream_t *s = ud;
    streamable_t *t = s->t;
    streamable_stream_callbacks.on_done(r, ud, rc, why);
    streamable_check_shutdown_done(t);
}

static const http_callbacks_t delete_callbacks = {NULL, NULL, on_delete_done};

int streamable_delete_session(streamable_t *t)
{
    stream_t *s = stream_new(t, STREAM_DELETE, NULL);
    if (!s) return BRIDGE_ENOMEM;
    http_req_t *r = http_req_new(t->cfg.http, "DELETE", t->cfg.url);
    int rc = r ? streamable_add_common_headers(t, r) : BRIDGE_ENOMEM;
    if (!rc) {
        http_req_set_timeout_ms(r, DELETE_TIMEOUT_MS);
        rc = http_req_start(r, &delete_callbacks, s);
    }
    if (rc) {
        http_req_cancel(r);
        stream_free(s);
        return rc;
    }
    s->req = r;
    log_debug("ending the session at %s (DELETE)", t->cfg.url);
    return 0;
}
