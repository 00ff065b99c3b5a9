/* The MCP side of `mcp-bridge doctor`: the initialize POST and the event-stream
 * GET a start sends, each waited for, and the numbered output. */
#include "bridge/cli/doctor_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/net/sse.h"
#include "oauth/fetch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (4 * 1024 * 1024)
#define SSE_PROBE_TIMEOUT_MS 15000

/* ---- output ---------------------------------------------------------------------------------- */

void doctor_say(doctor_t *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%2d. ", ++d->step);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

void doctor_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("    ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* ---- one exchange, waited for ---------------------------------------------------------------- */

void doctor_answer_free(answer_t *a)
{
    json_decref(a->msg);
    free(a->www);
    free(a->session_id);
    memset(a, 0, sizeof *a);
}

static int first_sse_data(void *ud, const sse_event_t *ev)
{
    json_t **out = ud;
    if (!*out && ev->data_len) *out = json_loadb(ev->data, ev->data_len, 0, NULL);
    return 0;
}

static void on_answer(void *ud, const oauth_fetch_result_t *res)
{
    answer_t *a = ud;
    a->done = 1;
    a->rc = res->rc;
    a->status = res->status;
    if (res->rc) {
        snprintf(a->why, sizeof a->why, "%s", res->why ? res->why : "failed");
        return;
    }
    a->www = res->www_authenticate ? strdup(res->www_authenticate) : NULL;
    a->session_id = res->session_id ? strdup(res->session_id) : NULL;
    a->has_content_type = res->content_type != NULL;
    if (res->json) {
        a->msg = json_incref(res->json);
    } else if (res->body && res->content_type && strstr(res->content_type, "text/event-stream")) {
        sse_parser_t *p = sse_parser_new(BODY_MAX, first_sse_data, &a->msg);
        if (p) {
            sse_parser_feed(p, res->body, res->body_len);
            sse_parser_free(p);
        }
    }
}

static int exchange(doctor_t *d, const char *method, const char *const *headers, const char *body,
                    answer_t *a)
{
    memset(a, 0, sizeof *a);
    int rc = oauth_fetch(d->http, method, d->o->url, headers, body, BODY_MAX, on_answer, a);
    if (rc) {
        snprintf(a->why, sizeof a->why, "out of memory");
        return rc;
    }
    while (!a->done)
        uv_run(d->loop, UV_RUN_ONCE);
    return a->rc;
}

/* The headers of an MCP request as a start sends them: the user's, our token
 * when there is one, and `extra` (NULL or one more line). */
static const char **mcp_headers(doctor_t *d, const char *accept, const char *extra)
{
    const char **h = calloc(d->o->headers.count + 5, sizeof *h);
    if (!h) return NULL;
    size_t i = 0;
    h[i++] = "Content-Type: application/json";
    h[i++] = accept;
    for (size_t k = 0; k < d->o->headers.count; k++)
        h[i++] = d->o->headers.lines[k];
    if (d->oauth && oauth_header(d->oauth)) h[i++] = oauth_header(d->oauth);
    if (extra) h[i++] = extra;
    return h;
}

static const char initialize_body[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
    "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"mcp-bridge\",\"version\":"
    "\"" MCP_BRIDGE_VERSION "\"}}}";

int doctor_probe(doctor_t *d, answer_t *a)
{
    const char **h = mcp_headers(d, "Accept: application/json, text/event-stream", NULL);
    int rc = h ? exchange(d, "POST", h, initialize_body, a) : BRIDGE_ENOMEM;
    free(h);
    return rc;
}

static void end_session(doctor_t *d, const char *session_id)
{
    if (!session_id) return;
    char line[400];
    snprintf(line, sizeof line, "Mcp-Session-Id: %.300s", session_id);
    const char **h = mcp_headers(d, "Accept: application/json, text/event-stream", line);
    answer_t a;
    if (h) exchange(d, "DELETE", h, NULL, &a);
    if (h) doctor_answer_free(&a);
    free(h);
}

/* 0 when initialize succeeded (said so), else 1. */
int doctor_report_initialize(doctor_t *d, answer_t *a)
{
    json_t *res = json_object_get(a->msg, "result");
    const char *pv = json_str(res, "protocolVersion");
    json_t *info = json_object_get(res, "serverInfo");
    if (pv)
        doctor_say(d, "initialize succeeded: %s %s, protocol version %s%s.",
                   json_str(info, "name") ? json_str(info, "name") : "the server",
                   json_str(info, "version") ? json_str(info, "version") : "", pv,
                   a->session_id ? ", with a session" : "");
    else
        doctor_say(d, "initialize answered HTTP %ld%s, but without an initialize result.",
                   a->status, a->has_content_type ? "" : " and no Content-Type");
    end_session(d, a->session_id);
    return pv ? 0 : 1;
}

/* ---- the older HTTP+SSE transport ------------------------------------------------------------ */

static int on_sse_event(void *ud, const sse_event_t *ev)
{
    sse_probe_t *p = ud;
    if (ev->type_len == 8 && !memcmp(ev->type, "endpoint", 8)) p->endpoint = 1;
    return p->endpoint;
}

static int on_sse_response(http_req_t *r, void *ud)
{
    sse_probe_t *p = ud;
    p->status = http_req_status(r);
    const char *www = http_req_header(r, "WWW-Authenticate");
    p->www = www ? strdup(www) : NULL;
    return p->status != 200; /* only a stream is read on */
}

static int on_sse_body(http_req_t *r, void *ud, const char *buf, size_t n)
{
    sse_probe_t *p = ud;
    return sse_parser_feed(p->parser, buf, n) != 0; /* stop at the endpoint event */
}

static void on_sse_done(http_req_t *r, void *ud, int rc, const char *why)
{
    sse_probe_t *p = ud;
    p->done = 1;
    p->rc = rc;
    snprintf(p->why, sizeof p->why, "%s", why ? why : "");
}

/* GET the URL as a stream, as a start does after a 4xx to POST (the fallback). */
void doctor_probe_sse(doctor_t *d, sse_probe_t *p)
{
    static const http_callbacks_t cbs = {on_sse_response, on_sse_body, on_sse_done};
    memset(p, 0, sizeof *p);
    const char **h = mcp_headers(d, "Accept: text/event-stream", NULL);
    p->parser = sse_parser_new(BODY_MAX, on_sse_event, p);
    http_req_t *r = h && p->parser ? http_req_new(d->http, "GET", d->o->url) : NULL;
    int rc = r ? 0 : BRIDGE_ENOMEM;
    for (size_t i = 1; h && h[i] && !rc; i++) /* no Content-Type on a GET */
        rc = http_req_add_header(r, h[i]);
    if (!rc) http_req_set_timeout_ms(r, SSE_PROBE_TIMEOUT_MS);
    if (!rc) rc = http_req_start(r, &cbs, p);
    if (rc) {
        http_req_cancel(r);
        p->done = 1;
        p->rc = rc;
        snprintf(p->why, sizeof p->why, "out of memory");
    }
    while (!p->done)
        uv_run(d->loop, UV_RUN_ONCE);
    free(h);
    sse_parser_free(p->parser);
    p->parser = NULL;
}
