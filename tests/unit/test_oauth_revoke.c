/* oauth_revoke_record against a local server: the form it posts (token, hint,
 * client authentication), what each answer becomes, and the cases where it
 * sends nothing (no endpoint, token or client; an endpoint refused by policy). */
#include "bridge/base/err.h"
#include "bridge/net/http.h"
#include "check.h"
#include "oauth/oauth.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* A server that answers every request with `status` and keeps the last one. */
static uv_loop_t *loop;
static uv_tcp_t listener;
static char last_request[8192];
static size_t last_len;
static int status_to_send = 200;

typedef struct conn {
    uv_tcp_t tcp;
    uv_write_t w;
    char resp[128];
} conn_t;

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *b)
{
    (void)h;
    (void)size;
    *b = uv_buf_init(last_request + last_len, (unsigned)(sizeof last_request - 1 - last_len));
}

static void on_closed(uv_handle_t *h)
{
    free(h);
}

static void on_written(uv_write_t *w, int status)
{
    (void)status;
    uv_close((uv_handle_t *)w->handle, on_closed);
}

/* Whole when the headers have ended and Content-Length bytes followed. */
static int request_complete(void)
{
    last_request[last_len] = 0;
    const char *end = strstr(last_request, "\r\n\r\n");
    const char *cl = strstr(last_request, "Content-Length: ");
    if (!end) return 0;
    size_t want = cl ? strtoul(cl + 16, NULL, 10) : 0;
    return last_len - (size_t)(end + 4 - last_request) >= want;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn_t *c = (conn_t *)s;
    (void)b;
    if (n < 0) {
        uv_close((uv_handle_t *)s, on_closed);
        return;
    }
    last_len += (size_t)n;
    if (!request_complete()) return;
    uv_read_stop(s);
    snprintf(c->resp, sizeof c->resp,
             "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status_to_send);
    uv_buf_t out = uv_buf_init(c->resp, (unsigned)strlen(c->resp));
    uv_write(&c->w, s, &out, 1, on_written);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) return;
    conn_t *c = calloc(1, sizeof *c);
    uv_tcp_init(loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) == 0)
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
    else
        uv_close((uv_handle_t *)&c->tcp, on_closed);
}

typedef struct result {
    int calls, rc;
} result_t;

static void on_revoked(void *ud, int rc, const char *why)
{
    result_t *r = ud;
    (void)why;
    r->calls++;
    r->rc = rc;
}

static result_t revoke(http_client_t *http, json_t *rec, const char *token, const char *hint)
{
    result_t r = {0};
    last_len = 0;
    int rc = oauth_revoke_record(http, rec, token, hint, 0, on_revoked, &r);
    CHECK(rc == 0);
    CHECK(r.calls == 0); /* later, never from within the call */
    while (rc == 0 && r.calls == 0)
        uv_run(loop, UV_RUN_ONCE);
    return r;
}

int main(void)
{
    loop = uv_default_loop();
    uv_tcp_init(loop, &listener);
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    CHECK(uv_tcp_bind(&listener, (const struct sockaddr *)&addr, 0) == 0);
    CHECK(uv_listen((uv_stream_t *)&listener, 8, on_connection) == 0);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_tcp_getsockname(&listener, (struct sockaddr *)&ss, &len);
    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/revoke",
             ntohs(((struct sockaddr_in *)&ss)->sin_port));
    http_client_config_t hc = {.connect_timeout_s = 5};
    http_client_t *http = http_client_new(loop, &hc);

    /* A public client: client_id in the form. */
    json_t *rec = json_pack("{s:s, s:s}", "revocation_endpoint", endpoint, "client_id", "cid");
    result_t r = revoke(http, rec, "rt-123", "refresh_token");
    CHECK(r.calls == 1 && r.rc == 0);
    CHECK(strstr(last_request, "POST /revoke ") == last_request);
    CHECK(strstr(last_request, "token=rt-123&token_type_hint=refresh_token&client_id=cid") != NULL);

    /* A confidential client with client_secret_basic: a Basic header, no secret in the form. */
    json_object_set_new(rec, "client_secret", json_string("s3cret"));
    json_object_set_new(rec, "token_endpoint_auth_method", json_string("client_secret_basic"));
    r = revoke(http, rec, "at-456", "access_token");
    CHECK(r.calls == 1 && r.rc == 0);
    CHECK(strstr(last_request, "Authorization: Basic Y2lkOnMzY3JldA==") != NULL);
    CHECK(strstr(last_request, "s3cret") == NULL);

    /* The server refuses. */
    status_to_send = 400;
    r = revoke(http, rec, "at-456", "access_token");
    CHECK(r.calls == 1 && r.rc == BRIDGE_EHTTP);
    status_to_send = 200;

    /* Nothing sent: no token, no endpoint, no client; an endpoint off policy. */
    result_t none = {0};
    CHECK(oauth_revoke_record(http, rec, NULL, "access_token", 0, on_revoked, &none) ==
          BRIDGE_EINVAL);
    json_t *no_client = json_pack("{s:s}", "revocation_endpoint", endpoint);
    CHECK(oauth_revoke_record(http, no_client, "t", "access_token", 0, on_revoked, &none) ==
          BRIDGE_EINVAL);
    json_t *no_endpoint = json_pack("{s:s}", "client_id", "cid");
    CHECK(oauth_revoke_record(http, no_endpoint, "t", "access_token", 0, on_revoked, &none) ==
          BRIDGE_EINVAL);
    json_t *plain = json_pack("{s:s, s:s}", "revocation_endpoint", "http://example.com/revoke",
                              "client_id", "cid");
    CHECK(oauth_revoke_record(http, plain, "t", "access_token", 0, on_revoked, &none) ==
          BRIDGE_EPROTO);
    uv_run(loop, UV_RUN_NOWAIT);
    CHECK(none.calls == 0);

    json_decref(rec);
    json_decref(no_client);
    json_decref(no_endpoint);
    json_decref(plain);
    http_client_free(http);
    uv_close((uv_handle_t *)&listener, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(loop) == 0);
    return CHECK_DONE();
}
