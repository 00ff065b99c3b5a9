/* The relay's start-up wiring: the HTTP client, the credential store and the
 * sign-in, the transport with its fallback, stdio, timers and signals; the
 * work itself is done in the files relay_impl.h lists. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/log.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EOF_GRACE_MS 10000 /* stdin closed: time left for answers in flight */

/* http-first or sse-first: the server refused initialize over the first
 * transport; m goes again over the other one (once). */
static void on_transport_fallback(void *ud, out_msg_t *m, long status)
{
    relay_t *r = ud;
    relay_transport_returned(r, m);
    if (relay_era_reprobe(r, m)) return;
    transport_t *next = NULL;
    if (!r->fell_back) {
        r->fell_back = 1;
        int to_legacy = r->cfg->transport == TRANSPORT_HTTP_FIRST;
        log_debug("%s answered HTTP %ld to initialize over %s; trying %s", r->cfg->url, status,
                  r->transport->ops->name,
                  to_legacy ? "the HTTP+SSE transport" : "Streamable HTTP");
        if (to_legacy && status == 404) {
            char why[300];
            snprintf(why, sizeof why, "%s answered 404 Not Found to POST: check the URL's path",
                     r->cfg->url);
            free(r->fallback_why);
            r->fallback_why = strdup(why);
        }
        r->tcfg.allow_fallback = 0;
        next = to_legacy ? legacy_sse_new(&r->tcfg) : streamable_new(&r->tcfg);
    }
    if (!next) {
        char why[256];
        snprintf(why, sizeof why, "%s answered HTTP %ld to initialize", r->cfg->url, status);
        relay_fail_msg(r, m, why);
        return;
    }
    r->retired = r->transport; /* we are inside its callback: free it at the end */
    r->transport = next;
    relay_dispatch(r, m);
}

static void on_stdin_eof(void *ud)
{
    relay_t *r = ud;
    log_debug("stdin closed; finishing");
    relay_begin_shutdown(r, EOF_GRACE_MS);
}

static void on_stdout_backpressure(void *ud, int congested)
{
    relay_t *r = ud;
    log_debug("the host reads slowly: %s receiving from the server",
              congested ? "pausing" : "resuming");
    http_client_pause(r->http, congested);
}

static void on_stdout_error(void *ud, const char *why)
{
    relay_t *r = ud;
    log_error("writing to the host failed (%s); shutting down", why);
    relay_begin_shutdown(r, 0);
}

relay_t *relay_start(uv_loop_t *loop, const relay_config_t *cfg)
{
    assert(cfg->url && cfg->http);
    relay_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->loop = loop;
    r->cfg = cfg;
    pending_table_init(&r->pending);
    list_init(&r->waitq);
    list_init(&r->mrtr_waits);
    list_init(&r->up_rounds);
    r->http = http_client_new(loop, cfg->http);
    if (!r->http) {
        log_error("out of memory starting up");
        goto fail;
    }
    r->tcfg = (transport_config_t){
        .loop = loop,
        .http = r->http,
        .url = cfg->url,
        .headers = (char **)cfg->headers,
        .headers_len = cfg->headers_len,
        .max_message_size = cfg->max_message_size,
        .allow_fallback =
            cfg->transport == TRANSPORT_HTTP_FIRST || cfg->transport == TRANSPORT_SSE_FIRST,
        .ev = {relay_on_transport_message, relay_on_transport_sent, relay_on_session_lost,
               on_transport_fallback, relay_on_auth_challenge},
        .ud = r,
        .auth_headers = relay_auth_headers,
        .auth_response = relay_auth_response,
    };
    if (cfg->oauth) {
        /* No credentials given: sign in with OAuth when the server asks. */
        char note[512];
        int krc = keychain_open(cfg->token_store, NULL, &r->store, note, sizeof note);
        if (krc && cfg->token_store == KEYCHAIN_OS) {
            log_error("--token-store keychain: %s", note);
            r->exit_code = 1;
            goto fail;
        }
        if (krc) {
            log_error("cannot use the credential store (%s); tokens will be kept in memory only",
                      note[0] ? note : "no home directory");
            keychain_open(KEYCHAIN_MEMORY, NULL, &r->store, NULL, 0);
        }
        oauth_config_t oc = *cfg->oauth;
        oc.loop = loop;
        oc.http = r->http;
        oc.store = r->store;
        char err[512] = "";
        r->oauth = oauth_new(&oc, err, sizeof err);
        if (!r->oauth) {
            log_error("%s", err[0] ? err : "out of memory");
            goto fail;
        }
        r->tcfg.oauth = 1;
        relay_auth_load(r);
    }
    int legacy = cfg->transport == TRANSPORT_SSE_FIRST || cfg->transport == TRANSPORT_SSE_ONLY;
    r->transport = legacy ? legacy_sse_new(&r->tcfg) : streamable_new(&r->tcfg);
    if (!r->transport) {
        log_error("out of memory starting up");
        goto fail;
    }
    relay_era_init(r);
    relay_subs_init(r);
    relay_signin_init(r);
    relay_shutdown_init(r);
    relay_keepalive_start(r);

    stdio_callbacks_t sc = {relay_on_stdin_line, relay_on_stdin_oversize, on_stdin_eof,
                            on_stdout_error, on_stdout_backpressure};
    if (stdio_start(&r->stdio, loop, cfg->max_message_size, &sc, r) != 0) {
        log_error("cannot use stdin/stdout");
        r->exit_code = 1;
        relay_begin_shutdown(r, 0);
    }
    log_debug("relaying stdio to %s (%s)", cfg->url, transport_mode_name(cfg->transport));
    return r;
fail:
    oauth_free(r->oauth);
    keychain_close(r->store);
    if (r->http) http_client_free(r->http);
    free(r);
    return NULL;
}

int relay_exit_code(const relay_t *r)
{
    return r->exit_code;
}

void relay_free(relay_t *r)
{
    if (!r) return;
    pending_table_clear(&r->pending);
    list_node *n;
    while ((n = list_pop_front(&r->waitq)))
        relay_msg_free(LIST_ENTRY(n, out_msg_t, link));
    free(r->init_body);
    free(r->init_key);
    free(r->reinit_key);
    free(r->protocol_version);
    free(r->last_failure);
    free(r->fallback_why);
    relay_mrtr_free(r);
    relay_up_free(r);
    free(r->host_version);
    free(r->modern_version);
    json_decref(r->discover);
    free(r->probe_key);
    json_decref(r->client_caps);
    json_decref(r->client_info);
    free(r->log_level);
    free(r->meta_text);
    mcp_tool_headers_free(r->tool_headers);
    free(r->listen_key);
    json_decref(r->sub_uris);
    free(r->relist_key);
    free(r->relist_for);
    relay_signin_free(r);
    free(r);
}

const char *transport_mode_name(transport_mode_t m)
{
    switch (m) {
    case TRANSPORT_HTTP_FIRST:
        return "http-first";
    case TRANSPORT_SSE_FIRST:
        return "sse-first";
    case TRANSPORT_HTTP_ONLY:
        return "http-only";
    case TRANSPORT_SSE_ONLY:
        return "sse-only";
    }
    return "?";
}
