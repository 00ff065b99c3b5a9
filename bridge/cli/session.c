/* The subcommands' shared set-up and their waited-for exchanges (session.h). */
#include "bridge/cli/session.h"
#include "bridge/mcp/modern.h"
#include "bridge/base/err.h"
#include "bridge/cli/config.h"
#include "bridge/net/sse.h"
#include "oauth/fetch.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (4 * 1024 * 1024)

oauth_config_t cli_oauth_config(const cli_session_t *s)
{
    bridge_config_t cfg;
    config_from_options(s->o, &cfg);
    oauth_config_t oc = cfg.oauth;
    oc.loop = s->loop;
    oc.http = s->http;
    oc.store = s->store;
    return oc;
}

static void on_loaded(void *ud, int rc, const char *why)
{
    *(int *)ud = 1;
}

int cli_session_open(cli_session_t *s, const bridge_options_t *o, int want_oauth)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->loop = uv_default_loop();
    bridge_config_t cfg;
    config_from_options(o, &cfg);
    s->http = http_client_new(s->loop, &cfg.http);
    if (!s->http) {
        fprintf(stderr, "mcp-bridge: out of memory\n");
        return 1;
    }
    char why[512] = "";
    if (keychain_open(cfg.token_store, NULL, &s->store, why, sizeof why)) {
        fprintf(stderr, "mcp-bridge: cannot open the credential store: %s\n",
                why[0] ? why : "no home directory");
        return 1;
    }
    if (!want_oauth) return 0;
    oauth_config_t oc = cli_oauth_config(s);
    s->oauth = oauth_new(&oc, why, sizeof why);
    if (!s->oauth) {
        fprintf(stderr, "mcp-bridge: %s\n", why[0] ? why : "out of memory");
        return 1;
    }
    int loaded = 0;
    oauth_load(s->oauth, on_loaded, &loaded);
    while (!loaded)
        uv_run(s->loop, UV_RUN_ONCE);
    oauth_seed_refresh_token(s->oauth, o->refresh_token);
    return 0;
}

void cli_session_close(cli_session_t *s)
{
    if (!s->loop) return;
    oauth_free(s->oauth);
    if (s->http) http_client_free(s->http);
    keychain_close(s->store); /* after pending writes finish */
    uv_run(s->loop, UV_RUN_DEFAULT);
    uv_loop_close(s->loop);
    memset(s, 0, sizeof *s);
}

void cli_answer_free(cli_answer_t *a)
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

typedef struct exchange_ctx {
    cli_session_t *s;
    const char *url;
    cli_answer_t *a;
} exchange_ctx_t;

static void on_answer(void *ud, const oauth_fetch_result_t *res)
{
    exchange_ctx_t *x = ud;
    cli_answer_t *a = x->a;
    if (!res->rc && res->dpop_nonce && x->s->oauth)
        oauth_note_dpop_nonce(x->s->oauth, x->url, res->dpop_nonce);
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
            sse_parser_free(p); /* after the feed has returned */
        }
    }
}

int cli_exchange(cli_session_t *s, const char *method, const char *url, const char *const *headers,
                 const char *body, cli_answer_t *a)
{
    memset(a, 0, sizeof *a);
    exchange_ctx_t x = {s, url, a};
    int rc = oauth_fetch(s->http, method, url, headers, body, BODY_MAX, on_answer, &x);
    if (rc) {
        snprintf(a->why, sizeof a->why, "%s", bridge_strerror(rc));
        return rc;
    }
    while (!a->done)
        uv_run(s->loop, UV_RUN_ONCE);
    return a->rc;
}

int cli_mcp_headers(cli_session_t *s, const char *method, const char *accept,
                    const char *const *extra, cli_headers_t *out)
{
    memset(out, 0, sizeof *out);
    const char **h = calloc(s->o->headers.count + 9, sizeof *h);
    if (!h) return BRIDGE_ENOMEM;
    size_t i = 0;
    h[i++] = "Content-Type: application/json";
    h[i++] = accept;
    for (size_t k = 0; k < s->o->headers.count; k++)
        h[i++] = s->o->headers.lines[k];
    int n = s->oauth ? oauth_request_headers(s->oauth, method, s->o->url, out->auth) : 0;
    if (n < 0) {
        free(h);
        return n;
    }
    for (int k = 0; k < n; k++)
        h[i++] = out->auth[k];
    for (int k = 0; extra && extra[k] && k < 4; k++)
        h[i++] = extra[k];
    out->lines = h;
    return 0;
}

void cli_headers_free(cli_headers_t *h)
{
    for (int k = 0; k < 2; k++) {
        if (h->auth[k]) OPENSSL_cleanse(h->auth[k], strlen(h->auth[k]));
        free(h->auth[k]);
    }
    free(h->lines);
    memset(h, 0, sizeof *h);
}

static const char initialize_body[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
    "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"mcp-bridge\",\"version\":"
    "\"" MCP_BRIDGE_VERSION "\"}}}";

#define ACCEPT_MCP "Accept: application/json, text/event-stream"

/* One MCP exchange with the server URL; a 401 asking for a DPoP nonce is sent
 * again once with it, as a start does. */
static int mcp_exchange(cli_session_t *s, const char *method, const char *const *extra,
                        const char *body, cli_answer_t *a)
{
    for (int attempt = 0;; attempt++) {
        cli_headers_t h;
        int rc = cli_mcp_headers(s, method, ACCEPT_MCP, extra, &h);
        if (rc) {
            memset(a, 0, sizeof *a);
            snprintf(a->why, sizeof a->why, "%s", bridge_strerror(rc));
            return rc;
        }
        rc = cli_exchange(s, method, s->o->url, h.lines, body, a);
        cli_headers_free(&h);
        if (rc || attempt > 0 || !s->oauth ||
            !oauth_dpop_nonce_challenge(s->oauth, a->status, a->www))
            return rc;
        cli_answer_free(a);
    }
}

int cli_probe_initialize(cli_session_t *s, cli_answer_t *a)
{
    static const char *const extra[] = {"Mcp-Method: initialize", NULL};
    return mcp_exchange(s, "POST", extra, initialize_body, a);
}

static const char discover_body[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{\"_meta\":{"
    "\"" MODERN_META_VERSION "\":\"" MODERN_VERSION "\",\"" MODERN_META_CAPS "\":{},"
    "\"" MODERN_META_CLIENT "\":{\"name\":\"mcp-bridge\",\"version\":\"" MCP_BRIDGE_VERSION "\"}}}}";

int cli_probe_discover(cli_session_t *s, cli_answer_t *a)
{
    const bridge_options_t *o = s->o;
    if (o->protocol_legacy || o->transport == TRANSPORT_SSE_FIRST ||
        o->transport == TRANSPORT_SSE_ONLY)
        return 1;
    static const char *const extra[] = {"MCP-Protocol-Version: " MODERN_VERSION,
                                        "Mcp-Method: server/discover", NULL};
    return mcp_exchange(s, "POST", extra, discover_body, a);
}

int cli_probe_start(cli_session_t *s, cli_answer_t *a, int *era, long *older_status)
{
    *older_status = 0;
    if (*era != 1) {
        int rc = cli_probe_discover(s, a);
        if (rc <= 0) {
            if (rc < 0 || a->status == 401 || a->status == 403) return rc;
            const char *version = NULL;
            if (modern_classify_probe(a->msg, MODERN_VERSION, &version) != MODERN_PROBE_LEGACY) {
                *era = 2;
                return 0;
            }
            *older_status = a->status;
            cli_answer_free(a);
        }
        *era = 1;
    }
    return cli_probe_initialize(s, a);
}

void cli_end_session(cli_session_t *s, const char *session_id)
{
    if (!session_id) return;
    char line[400];
    snprintf(line, sizeof line, "Mcp-Session-Id: %.300s", session_id);
    const char *extra[] = {line, NULL};
    cli_answer_t a;
    mcp_exchange(s, "DELETE", extra, NULL, &a);
    cli_answer_free(&a);
}

void cli_oauth_done(void *ud, int rc, const char *why)
{
    cli_wait_t *w = ud;
    w->done = 1;
    w->rc = rc;
    snprintf(w->why, sizeof w->why, "%s", why ? why : "");
}

int cli_oauth_wait(cli_session_t *s, cli_wait_t *w)
{
    while (!w->done)
        uv_run(s->loop, UV_RUN_ONCE);
    return w->rc;
}

void cli_record_name(const bridge_options_t *o, char *out, size_t n)
{
    bridge_config_t cfg;
    config_from_options(o, &cfg);
    oauth_record_name(&cfg.oauth, out, n);
}

json_t *cli_load_record(keychain_t *k, const char *name)
{
    char *text = NULL;
    if (keychain_get(k, name, &text) != 0) return NULL;
    json_t *doc = json_loads(text, 0, NULL);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}
