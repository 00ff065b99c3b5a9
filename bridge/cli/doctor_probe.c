/* The MCP side of `mcp-bridge doctor`: the initialize POST and the event-stream
 * GET a start sends, each waited for, and the numbered output. */
#include "bridge/cli/doctor_int.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/mcp/modern.h"
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

int doctor_probe(doctor_t *d, cli_answer_t *a)
{
    int was = d->era;
    long older_status = 0;
    int rc = cli_probe_start(&d->s, a, &d->era, &older_status);
    if (was == 0 && older_status)
        doctor_say(d,
                   "server/discover answered HTTP %ld without a 2026-07-28 answer: the server "
                   "speaks an older revision, so a start sends initialize.",
                   older_status);
    return rc;
}

/* 0 when initialize (or server/discover) succeeded (said so), else 1. */
int doctor_report_initialize(doctor_t *d, cli_answer_t *a)
{
    if (d->era == 2) {
        json_t *res = json_object_get(a->msg, "result");
        json_t *info = json_object_get(json_object_get(res, "_meta"), MODERN_META_SERVER);
        if (!info) info = json_object_get(res, "serverInfo");
        if (!json_is_object(res)) {
            doctor_say(d, "server/discover answered HTTP %ld with a 2026-07-28 error: %s.",
                       a->status,
                       json_str(json_object_get(a->msg, "error"), "message")
                           ? json_str(json_object_get(a->msg, "error"), "message")
                           : "no message");
            return 1;
        }
        doctor_say(d,
                   "server/discover succeeded: %s %s speaks the 2026-07-28 revision (no "
                   "initialize, no session); hosts of either era are bridged to it.",
                   json_str(info, "name") ? json_str(info, "name") : "the server",
                   json_str(info, "version") ? json_str(info, "version") : "");
        return 0;
    }
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
    cli_end_session(&d->s, a->session_id);
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
    cli_headers_t h;
    int hrc = cli_mcp_headers(&d->s, "GET", "Accept: text/event-stream", NULL, &h);
    p->parser = sse_parser_new(BODY_MAX, on_sse_event, p);
    http_req_t *r = !hrc && p->parser ? http_req_new(d->s.http, "GET", d->s.o->url) : NULL;
    int rc = r ? 0 : BRIDGE_ENOMEM;
    for (size_t i = 1; !hrc && h.lines[i] && !rc; i++) /* no Content-Type on a GET */
        rc = http_req_add_header(r, h.lines[i]);
    if (!rc) http_req_set_timeout_ms(r, SSE_PROBE_TIMEOUT_MS);
    if (!rc) rc = http_req_start(r, &cbs, p);
    if (rc) {
        http_req_cancel(r);
        p->done = 1;
        p->rc = rc;
        snprintf(p->why, sizeof p->why, "out of memory");
    }
    while (!p->done)
        uv_run(d->s.loop, UV_RUN_ONCE);
    if (!hrc) cli_headers_free(&h);
    sse_parser_free(p->parser);
    p->parser = NULL;
}
