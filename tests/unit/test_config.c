/* Options into configuration (bridge/cli/config.c): every part gets what the
 * command line asked for, and the relay signs in only without an Authorization
 * header. */
#include "bridge/base/log.h"
#include "bridge/cli/config.h"
#include "check.h"

#include <string.h>

#define ARGV(...) ((char *[]){"mcp-bridge", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"mcp-bridge", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...) options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof err)

static void relay_with_sign_in(void)
{
    bridge_options_t o;
    char err[512] = "";
    int rc = PARSE(&o, err, "https://example.com/mcp", "--transport", "sse-first", "--ignore-tool",
                   "delete_*", "--max-pending", "7", "--max-message-size", "1M",
                   "--max-queued-bytes", "2M", "--ping-interval", "15", "--scope", "read write",
                   "--resource", "https://example.com/", "--callback-port", "4711", "--token-store",
                   "file", "--connect-timeout", "3", "--disable-cookies", "--max-metadata-size",
                   "64k", "--header", "X-Trace: 1");
    CHECK(rc == OPTIONS_RUN);
    bridge_config_t c;
    config_from_options(&o, &c);

    /* The relay. */
    CHECK_STR(c.relay.url, "https://example.com/mcp");
    CHECK(c.relay.transport == TRANSPORT_SSE_FIRST);
    CHECK(c.relay.ignore_tools_len == 1 && !strcmp(c.relay.ignore_tools[0], "delete_*"));
    CHECK(c.relay.max_pending == 7);
    CHECK(c.relay.max_message_size == 1024 * 1024);
    CHECK(c.relay.max_queued_bytes == 2 * 1024 * 1024);
    CHECK(c.relay.ping_interval_s == 15);
    CHECK(c.relay.headers_len == 1 && !strcmp(c.relay.headers[0], "X-Trace: 1"));
    CHECK(c.relay.http == &c.http);
    CHECK(c.relay.oauth == &c.oauth); /* no Authorization header: sign in when asked */
    CHECK(c.relay.token_store == KEYCHAIN_FILE && c.token_store == KEYCHAIN_FILE);
    CHECK(c.relay.refresh_token == NULL);

    /* The HTTP client. */
    CHECK(c.http.connect_timeout_s == 3);
    CHECK(c.http.no_cookies == 1);
    CHECK(c.http.tls == &o.tls);
    CHECK(c.http.proxy == NULL); /* without --enable-proxy */
    CHECK(c.http.allow_http_redirects == 0);

    /* The sign-in: loop, http and store are for whoever opens them. */
    CHECK(c.oauth.loop == NULL && c.oauth.http == NULL && c.oauth.store == NULL);
    CHECK_STR(c.oauth.server_url, "https://example.com/mcp");
    CHECK_STR(c.oauth.scope, "read write");
    CHECK_STR(c.oauth.resource, "https://example.com/");
    CHECK(c.oauth.callback_port == 4711);
    CHECK(c.oauth.metadata_max == 64 * 1024);
    CHECK(c.oauth.headers_len == 1);
    options_free(&o);
}

static void relay_with_credentials(void)
{
    bridge_options_t o;
    char err[512] = "";
    int rc = PARSE(&o, err, "http://127.0.0.1:9/mcp", "--header", "Authorization: Bearer x",
                   "--enable-proxy", "--allow-http");
    CHECK(rc == OPTIONS_RUN);
    bridge_config_t c;
    config_from_options(&o, &c);
    CHECK(c.relay.oauth == NULL); /* the server gets the header; no sign-in */
    CHECK(c.relay.transport == TRANSPORT_HTTP_FIRST);
    CHECK(c.http.proxy == &o.proxy);
    CHECK(c.http.allow_http_redirects == 1 && c.oauth.allow_http == 1);
    options_free(&o);
}

int main(void)
{
    log_init(LOG_LEVEL_SILENT, NULL);
    relay_with_sign_in();
    relay_with_credentials();
    return CHECK_DONE();
}
