/* The subcommands' shared set-up and their waited-for exchanges (session.h). */
#include "bridge/cli/session.h"
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

static void on_answer(void *ud, const oauth_fetch_result_t *res)
{
    cli_answer_t *a = ud;
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
    int rc = oauth_fetch(s->http, method, url, headers, body, BODY_MAX, on_answer, a);
    if (rc) {
        snprintf(a->why, sizeof a->why, "%s", bridge_strerror(rc));
        return rc;
    }
    while (!a->done)
        uv_run(s->loop, UV_RUN_ONCE);
    return a->rc;
}

const char **cli_mcp_headers(cli_session_t *s, const char *accept, const char *extra)
{
    const char **h = calloc(s->o->headers.count + 5, sizeof *h);
    if (!h) return NULL;
    size_t i = 0;
    h[i++] = "Content-Type: application/json";
    h[i++] = accept;
    for (size_t k = 0; k < s->o->headers.count; k++)
        h[i++] = s->o->headers.lines[k];
    if (s->oauth && oauth_header(s->oauth)) h[i++] = oauth_header(s->oauth);
    if (extra) h[i++] = extra;
    return h;
}

static const char initialize_body[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
    "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"mcp-bridge\",\"version\":"
    "\"" MCP_BRIDGE_VERSION "\"}}}";

#define ACCEPT_MCP "Accept: application/json, text/event-stream"

int cli_probe_initialize(cli_session_t *s, cli_answer_t *a)
{
    const char **h = cli_mcp_headers(s, ACCEPT_MCP, NULL);
    if (!h) {
        memset(a, 0, sizeof *a);
        snprintf(a->why, sizeof a->why, "out of memory");
        return BRIDGE_ENOMEM;
    }
    int rc = cli_exchange(s, "POST", s->o->url, h, initialize_body, a);
    free(h);
    return rc;
}

void cli_end_session(cli_session_t *s, const char *session_id)
{
    if (!session_id) return;
    char line[400];
    snprintf(line, sizeof line, "Mcp-Session-Id: %.300s", session_id);
    const char **h = cli_mcp_headers(s, ACCEPT_MCP, line);
    if (!h) return;
    cli_answer_t a;
    cli_exchange(s, "DELETE", s->o->url, h, NULL, &a);
    cli_answer_free(&a);
    free(h);
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
