/* `mcp-bridge doctor URL`: the initialize a start sends, then on 401/403 the
 * real sign-in code (oauth_preflight) up to the person's part, printed step by
 * step from its trace. It exits 0 only when a start would connect. */
#include "bridge/cli/doctor.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/url.h"
#include "bridge/net/http.h"
#include "bridge/net/sse.h"
#include "keychain/keychain.h"
#include "oauth/fetch.h"
#include "oauth/oauth.h"
#include "oauth/www_auth.h"

#include <assert.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (4 * 1024 * 1024)
#define SSE_PROBE_TIMEOUT_MS 15000

typedef struct doctor {
    const bridge_options_t *o;
    uv_loop_t *loop;
    http_client_t *http;
    keychain_t *store;
    oauth_t *oauth; /* NULL when the user passed an Authorization header, as in a start */
    int step;
    int said_prm, said_as; /* the heading of a group of tries is printed once */
} doctor_t;

/* ---- output ---------------------------------------------------------------------------------- */

static void say(doctor_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(doctor_t *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%2d. ", ++d->step);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("    ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* ---- one exchange, waited for ---------------------------------------------------------------- */

typedef struct answer {
    int done, rc;
    long status;
    json_t *msg; /* the first JSON-RPC message, whether sent as JSON or as an event stream */
    char *www, *session_id;
    int has_content_type;
    char why[512];
} answer_t;

static void answer_free(answer_t *a)
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

static int probe(doctor_t *d, answer_t *a)
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
    if (h) answer_free(&a);
    free(h);
}

/* 0 when initialize succeeded (said so), else 1. */
static int report_initialize(doctor_t *d, answer_t *a)
{
    json_t *res = json_object_get(a->msg, "result");
    const char *pv = json_str(res, "protocolVersion");
    json_t *info = json_object_get(res, "serverInfo");
    if (pv)
        say(d, "initialize succeeded: %s %s, protocol version %s%s.",
            json_str(info, "name") ? json_str(info, "name") : "the server",
            json_str(info, "version") ? json_str(info, "version") : "", pv,
            a->session_id ? ", with a session" : "");
    else
        say(d, "initialize answered HTTP %ld%s, but without an initialize result.", a->status,
            a->has_content_type ? "" : " and no Content-Type");
    end_session(d, a->session_id);
    return pv ? 0 : 1;
}

/* ---- the older HTTP+SSE transport ------------------------------------------------------------ */

typedef struct sse_probe {
    int done, rc, endpoint;
    long status;
    char *www;
    sse_parser_t *parser;
    char why[512];
} sse_probe_t;

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
static void probe_sse(doctor_t *d, sse_probe_t *p)
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

/* ---- the sign-in, traced --------------------------------------------------------------------- */

static void tried(const oauth_trace_event_t *ev)
{
    if (!ev->status)
        note("tried: %s: %s", ev->url, ev->detail ? ev->detail : "no answer");
    else if (ev->status == 200 && !ev->ok && ev->detail)
        note("tried: %s -> HTTP 200, but %s", ev->url, ev->detail);
    else
        note("tried: %s -> HTTP %ld%s", ev->url, ev->status, ev->ok ? " (found)" : "");
}

static void on_trace(void *ud, const oauth_trace_event_t *ev)
{
    doctor_t *d = ud;
    switch (ev->step) {
    case OAUTH_TRACE_PRM_HINT:
        if (ev->detail && strcmp(ev->detail, ev->url) != 0)
            note("The hint is relative; resolved against the server URL: %s", ev->url);
        break;
    case OAUTH_TRACE_PRM:
        if (!d->said_prm++) say(d, "Protected resource metadata (RFC 9728):");
        tried(ev);
        break;
    case OAUTH_TRACE_RESOURCE:
        if (!ev->ok) {
            say(d,
                "The metadata is for the resource \"%s\", which is not %s: mcp-bridge refuses "
                "to sign in (a server could use this to obtain your token for another service). "
                "The server's metadata is misconfigured.",
                ev->detail, d->o->url);
            break;
        }
        note("resource: %s%s", ev->detail ? ev->detail : "(not given; the URL is used)",
             !ev->detail ? ""
             : ev->ok    ? " (matches)"
                         : " (does not match the server URL)");
        break;
    case OAUTH_TRACE_ISSUER:
        note("authorization server: %s", ev->detail);
        break;
    case OAUTH_TRACE_NO_PRM:
        say(d,
            "No protected resource metadata: the 2025-03-26 rules apply, and the server's own "
            "origin %s is the authorization server.",
            ev->url);
        break;
    case OAUTH_TRACE_AS_METADATA:
        if (!d->said_as++) say(d, "Authorization server metadata:");
        tried(ev);
        break;
    case OAUTH_TRACE_ISSUER_MISMATCH:
        note("but its issuer is \"%s\": RFC 8414 forbids using it", ev->detail);
        break;
    case OAUTH_TRACE_AS_DEFAULTS:
        note("None: mcp-bridge falls back to %s/authorize, /token and /register.", ev->url);
        break;
    case OAUTH_TRACE_PKCE:
        say(d, "PKCE: %s",
            ev->ok ? "S256 is supported."
                   : "the server does not advertise S256 in code_challenge_methods_supported; "
                     "MCP requires it, and mcp-bridge refuses to sign in there.");
        break;
    case OAUTH_TRACE_CLIENT:
        if (!strcmp(ev->detail, "static"))
            say(d, "Client: the pre-registered client given with --static-oauth-client-info.");
        else if (!strcmp(ev->detail, "metadata-document"))
            say(d, "Client: your client ID metadata document %s is the client_id.",
                d->o->client_metadata_url);
        else if (!strcmp(ev->detail, "kept"))
            say(d, "Client: the one stored with the sign-in, with its own redirect URI.");
        else if (!strcmp(ev->detail, "stored"))
            say(d, "Client: the registration stored from an earlier start is reused.");
        else if (!strcmp(ev->detail, "register"))
            say(d, "Client: mcp-bridge registers itself at %s (dynamic registration, RFC 7591).",
                ev->url);
        break;
    case OAUTH_TRACE_REGISTERED:
        if (ev->ok)
            note("registered as client %s (stored: the next start uses it)", ev->detail);
        else if (ev->status)
            note("the registration was refused: HTTP %ld", ev->status);
        else
            note("the registration failed: %s", ev->detail ? ev->detail : "no answer");
        break;
    case OAUTH_TRACE_AUTH_METHOD:
        note("token endpoint %s; the client authenticates with %s", ev->url ? ev->url : "(unknown)",
             ev->detail);
        break;
    case OAUTH_TRACE_REFRESH:
        say(d, "Refreshing the stored sign-in at %s: %s", ev->url,
            ev->ok       ? "done."
            : ev->status ? "refused."
                         : "no answer.");
        break;
    case OAUTH_TRACE_TOKEN:
        say(d, "Client credentials grant at %s: %s", ev->url,
            ev->ok ? "a token was issued." : "refused.");
        break;
    case OAUTH_TRACE_AUTHORIZE:
        if (ev->detail && !strcmp(ev->detail, "device"))
            say(d, "The device sign-in would start at %s.", ev->url);
        else
            say(d, "The sign-in page a start would open: %s", ev->url);
        break;
    }
}

typedef struct preflight_wait {
    int done, rc;
    char why[1024];
} preflight_wait_t;

static void on_preflight_done(void *ud, int rc, const char *why)
{
    preflight_wait_t *w = ud;
    w->done = 1;
    w->rc = rc;
    snprintf(w->why, sizeof w->why, "%s", why ? why : "");
}

/* A 401 or 403: the sign-in a start would do. 0 when a start would then connect. */
static int diagnose_authorization(doctor_t *d, long status, const char *www)
{
    oauth_challenge_t ch;
    oauth_challenge_init(&ch);
    if (www) oauth_www_auth_parse(&ch, www, strlen(www));
    say(d, "HTTP %ld: the server wants authorization. WWW-Authenticate: %s", status,
        www ? www : "(none)");
    if (ch.error)
        note("error: %s%s%s", ch.error, ch.error_description ? " - " : "",
             ch.error_description ? ch.error_description : "");
    if (ch.scope) note("scope asked for: %s", ch.scope);
    if (!ch.resource_metadata)
        note("No resource_metadata hint (servers of the 2025-03-26 revision, or ones that do not "
             "follow RFC 9728 fully): the well-known locations are tried.");
    oauth_challenge_free(&ch);
    if (!d->oauth) {
        say(d, "The server rejected the Authorization header you passed with --header; a start "
               "sends it as it is and does not sign in. Check the credential, or drop the header "
               "to sign in with OAuth.");
        return 1;
    }
    preflight_wait_t w = {0};
    oauth_set_trace(d->oauth, on_trace, d);
    oauth_preflight(d->oauth, status, www, on_preflight_done, &w);
    while (!w.done)
        uv_run(d->loop, UV_RUN_ONCE);
    oauth_set_trace(d->oauth, NULL, NULL);
    if (w.rc) {
        say(d, "A start would fail here: %s", w.why);
        return 1;
    }
    if (oauth_preflight_url(d->oauth)) {
        say(d,
            "A sign-in would be possible: discovery and the client are ready, and only your "
            "sign-in in the browser remains. Start the bridge, or run mcp-bridge login %s.",
            d->o->url);
        return 0;
    }
    /* A token came without the person (refresh, client credentials): try it. */
    answer_t a;
    if (probe(d, &a) != 0) {
        say(d, "POST initialize with the new token failed: %s.", a.why);
        answer_free(&a);
        return 1;
    }
    int verdict = 1;
    if (a.status >= 200 && a.status < 300)
        verdict = report_initialize(d, &a);
    else
        say(d, "initialize with the new token answered HTTP %ld; a start would fail.", a.status);
    answer_free(&a);
    return verdict;
}

/* The OAuth configuration of these options, as commands.c and the relay make it. */
static oauth_config_t config_of(const doctor_t *c, const bridge_options_t *o)
{
    oauth_config_t oc = {
        .loop = c ? c->loop : NULL,
        .http = c ? c->http : NULL,
        .store = c ? c->store : NULL,
        .server_url = o->url,
        .static_client_info = o->static_client_info,
        .static_client_metadata = o->static_client_metadata,
        .client_metadata_url = o->client_metadata_url,
        .scope = o->scope,
        .resource = o->resource,
        .disable_resource = o->disable_resource,
        .callback_port = o->callback_port,
        .callback_host = o->callback_host,
        .auth_timeout_s = o->auth_timeout_s,
        .no_browser = o->no_browser,
        .allow_http = o->allow_http,
        .callback_path = o->callback_path,
        .authorize_params = o->authorize_params,
        .authorize_params_len = o->authorize_params_len,
        .auth_success_url = o->auth_success_url,
        .use_id_token = o->use_id_token,
        .client_credentials = o->client_credentials,
        .token_endpoint = o->token_endpoint,
        .metadata_max = o->max_metadata_size,
        .device_code = o->device_code,
        .mcp_remote_callback = o->mcp_remote_callback,
        .headers = o->headers.lines,
        .headers_len = o->headers.count,
    };
    return oc;
}

/* ---- the command ----------------------------------------------------------------------------- */

static void on_loaded(void *ud, int rc, const char *why)
{
    *(int *)ud = 1;
}

static int setup(doctor_t *d, const bridge_options_t *o)
{
    memset(d, 0, sizeof *d);
    d->o = o;
    d->loop = uv_default_loop();
    http_client_config_t hc = options_http_config(o);
    d->http = http_client_new(d->loop, &hc);
    char why[512] = "";
    if (keychain_open((keychain_backend_t)o->token_store, NULL, &d->store, why, sizeof why)) {
        fprintf(stderr, "mcp-bridge: cannot open the credential store: %s\n",
                why[0] ? why : "no home directory");
        return 1;
    }
    if (header_list_get(&o->headers, "Authorization")) return 0; /* as a start: no OAuth */
    oauth_config_t oc = config_of(d, o);
    d->oauth = oauth_new(&oc, why, sizeof why);
    if (!d->oauth) {
        fprintf(stderr, "mcp-bridge: %s\n", why[0] ? why : "out of memory");
        return 1;
    }
    int loaded = 0;
    oauth_load(d->oauth, on_loaded, &loaded);
    while (!loaded)
        uv_run(d->loop, UV_RUN_ONCE);
    oauth_seed_refresh_token(d->oauth, o->refresh_token);
    return 0;
}

static void teardown(doctor_t *d)
{
    oauth_free(d->oauth);
    if (d->http) http_client_free(d->http);
    keychain_close(d->store); /* after pending writes finish */
    uv_run(d->loop, UV_RUN_DEFAULT);
    uv_loop_close(d->loop);
}

static int diagnose(doctor_t *d)
{
    const bridge_options_t *o = d->o;
    url_t u;
    char err[256], trust[1024];
    if (url_parse(o->url, &u, err, sizeof err) != 0) {
        say(d, "Server URL %s is not a URL: %s.", o->url, err);
        return 1;
    }
    int https = !strcmp(u.scheme, "https");
    say(d, "Server URL %s (%s%s%s).", o->url, u.scheme,
        https ? ": TLS is verified against " : ", plain HTTP",
        https ? tls_config_describe(&o->tls, trust, sizeof trust) : "");
    url_free(&u);
    if (d->oauth && oauth_header(d->oauth))
        say(d, "A stored access token is sent with the first request.");

    int fallback = o->transport == TRANSPORT_HTTP_FIRST || o->transport == TRANSPORT_SSE_FIRST ||
                   o->transport == TRANSPORT_SSE_ONLY;
    answer_t a;
    if (o->transport != TRANSPORT_SSE_ONLY) {
        if (probe(d, &a) != 0) {
            say(d,
                "POST initialize failed: %s. Check the URL, the network, a proxy, or the "
                "server's certificate.",
                a.why);
            answer_free(&a);
            return 1;
        }
        long status = a.status;
        if (status >= 200 && status < 300) {
            int verdict = report_initialize(d, &a);
            answer_free(&a);
            if (!verdict) say(d, "A connection would succeed.");
            return verdict;
        }
        if (status == 401 || status == 403) {
            int verdict = diagnose_authorization(d, status, a.www);
            answer_free(&a);
            return verdict;
        }
        answer_free(&a);
        if (!(status == 400 || status == 404 || status == 405) || !fallback) {
            say(d, "initialize answered HTTP %ld; the server is failing or refuses the request%s.",
                status, fallback ? "" : " (and --transport http-only rules out the older one)");
            return 1;
        }
        say(d,
            "initialize answered HTTP %ld: not a Streamable HTTP endpoint; a start then tries the "
            "older HTTP+SSE transport (GET with Accept: text/event-stream).",
            status);
    }
    sse_probe_t p;
    probe_sse(d, &p);
    int verdict = 1;
    if (p.status == 401 || p.status == 403) {
        verdict = diagnose_authorization(d, p.status, p.www);
    } else if (p.endpoint) {
        say(d, "The HTTP+SSE transport answers with its message endpoint: a connection would "
               "succeed.");
        verdict = 0;
    } else if (p.status) {
        say(d,
            "GET with Accept: text/event-stream answered HTTP %ld without an endpoint event: "
            "neither transport answers. Check that the URL is the server's MCP endpoint (often "
            "ending in /mcp or /sse).",
            p.status);
    } else {
        say(d, "GET with Accept: text/event-stream failed: %s.", p.why);
    }
    free(p.www);
    return verdict;
}

int doctor_run(const bridge_options_t *o)
{
    assert(o->url);
    doctor_t d;
    int verdict = setup(&d, o) ? 1 : diagnose(&d);
    teardown(&d);
    return verdict;
}
