/* The response side of an exchange: curl's header and body callbacks turned
 * into on_response and on_body, the end of each exchange (on_done with an error
 * said in our words), the idle limits (--headers-timeout, --body-timeout), and
 * what a caller may ask about the response. */
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/net/http_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tell the owner about the final response once. Returns non-zero to abort. */
static int respond(http_req_t *r)
{
    if (r->responded) return 0;
    r->responded = 1;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->c->cfg.verbose) log_debug("%s %s -> HTTP %ld", r->method, r->url, r->status);
    if (r->cbs.on_response && r->cbs.on_response(r, r->ud)) {
        if (!r->abort_rc) r->abort_rc = BRIDGE_ECLOSED;
        return 1;
    }
    return 0;
}

static size_t on_header_line(char *p, size_t size, size_t n, void *ud)
{
    http_req_t *r = ud;
    size_t len = size * n;
    if (r->cancelled) return 0;
    r->header_bytes += len;
    if (r->header_bytes > r->c->cfg.max_header_bytes) {
        snprintf(r->abort_why, sizeof r->abort_why,
                 "the response headers are larger than %zu bytes", r->c->cfg.max_header_bytes);
        r->abort_rc = BRIDGE_ETOOBIG;
        return 0;
    }
    if (len >= 5 && !memcmp(p, "HTTP/", 5)) r->header_bytes = len; /* a new header block */
    if ((len == 2 && p[0] == '\r') || (len == 1 && p[0] == '\n')) {
        /* The end of a header block: the final one unless curl follows a redirect
         * or it was an interim 1xx. */
        long code = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
        int redirect = code >= 300 && code < 400 && http_req_header(r, "Location");
        if (code >= 200 && !redirect && respond(r)) return 0;
    }
    return len;
}

static size_t on_body_chunk(char *p, size_t size, size_t n, void *ud)
{
    http_req_t *r = ud;
    size_t len = size * n;
    if (r->cancelled || respond(r)) return 0;
    r->last_activity = uv_now(r->c->loop);
    if (r->cbs.on_body && r->cbs.on_body(r, r->ud, p, len)) {
        if (!r->abort_rc) r->abort_rc = BRIDGE_ECLOSED;
        return 0;
    }
    return len;
}

void http_response_set_callbacks(CURL *e, http_req_t *r)
{
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header_line);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body_chunk);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
}

void http_req_finish(http_req_t *r, int rc, const char *why)
{
    assert(!r->added && !r->in_done);
    r->in_done = 1;
    if (!r->cancelled && r->cbs.on_done) r->cbs.on_done(r, r->ud, rc, why);
    http_req_free(r);
}

static const char *describe(CURLcode cc, http_req_t *r, int *rc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
        *rc = BRIDGE_ECONNECT;
        return "cannot resolve the host name of the proxy (--enable-proxy, HTTPS_PROXY/HTTP_PROXY)";
    case CURLE_COULDNT_RESOLVE_HOST:
        *rc = BRIDGE_ECONNECT;
        return "cannot resolve the host name";
    case CURLE_COULDNT_CONNECT:
        *rc = BRIDGE_ECONNECT;
        if (r->c->cfg.proxy && proxy_for_url(r->c->cfg.proxy, r->url))
            return "the proxy (--enable-proxy, HTTPS_PROXY/HTTP_PROXY) refused the connection or "
                   "is unreachable";
        return "connection refused or unreachable";
    case CURLE_OPERATION_TIMEDOUT:
        *rc = BRIDGE_ETIMEOUT;
        return "timed out";
    case CURLE_PEER_FAILED_VERIFICATION:
        *rc = BRIDGE_ECONNECT;
        return "its TLS certificate is not trusted; if a private CA issued it, pass --cacert FILE "
               "or set NODE_EXTRA_CA_CERTS";
    case CURLE_SSL_CERTPROBLEM:
        *rc = BRIDGE_ECONNECT;
        return "the client certificate (--cert, --key) could not be used";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        *rc = BRIDGE_ECONNECT;
        /* TLS 1.3 servers send these alerts after the handshake, so they may
         * come as a receive error too. */
        if (strstr(r->errbuf, "alert certificate required"))
            return "the server requires a client certificate; pass --cert FILE --key FILE";
        if (strstr(r->errbuf, "alert unknown ca") || strstr(r->errbuf, "alert bad certificate"))
            return "the server refused the client certificate (--cert)";
        if (cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR) break;
        return "TLS handshake failed";
    case CURLE_TOO_MANY_REDIRECTS:
        *rc = BRIDGE_EPROTO;
        return "too many redirects";
    case CURLE_UNSUPPORTED_PROTOCOL:
        *rc = BRIDGE_EPROTO;
        return "redirected to a refused URL scheme";
    case CURLE_GOT_NOTHING:
        *rc = BRIDGE_EPROTO;
        return "the server closed the connection without answering";
    case CURLE_PARTIAL_FILE: {
        /* Said in our words: libcurl's own changed between versions. */
        curl_off_t want = -1, got = 0;
        curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &want);
        curl_easy_getinfo(r->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
        *rc = BRIDGE_EPROTO;
        if (want > got)
            snprintf(r->errbuf, sizeof r->errbuf,
                     "the server closed the connection with %" CURL_FORMAT_CURL_OFF_T
                     " bytes of the response missing",
                     want - got);
        else
            snprintf(r->errbuf, sizeof r->errbuf,
                     "the server closed the connection before the end of the response");
        return r->errbuf;
    }
    default:
        break;
    }
    *rc = BRIDGE_EIO;
    return r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc);
}

void http_check_done(http_client_t *c)
{
    assert(c->depth == 0 && c->dispatching > 0);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        http_req_t *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode cc = m->data.result;
        http_admit_retire(r);
        int rc = 0;
        char why[512] = "";
        if (r->abort_rc) {
            rc = r->abort_rc;
            snprintf(why, sizeof why, "%s", r->abort_why[0] ? r->abort_why : "aborted");
        } else if (cc != CURLE_OK) {
            const char *d = describe(cc, r, &rc);
            if (r->errbuf[0] && strcmp(d, r->errbuf) != 0)
                snprintf(why, sizeof why, "%s (%s)", d, r->errbuf);
            else
                snprintf(why, sizeof why, "%s", d);
        } else if (respond(r)) {
            rc = r->abort_rc;
            snprintf(why, sizeof why, "aborted");
        }
        if (rc && c->cfg.verbose) log_debug("%s %s failed: %s", r->method, r->url, why);
        http_req_finish(r, rc, why);
    }
}

/* --headers-timeout and --body-timeout: one timer for every request. */
static void on_sweep(uv_timer_t *t)
{
    http_client_t *c = t->data;
    uint64_t now = uv_now(c->loop);
    http_client_enter(c);
    int again = 1;
    while (again && !c->closing) {
        again = 0;
        LIST_FOR_EACH(n, &c->reqs)
        {
            http_req_t *r = LIST_ENTRY(n, http_req_t, link);
            if (!r->added || r->cancelled || r->paused || r->timeout_ms) continue;
            long limit_s = r->responded ? c->cfg.body_timeout_s : c->cfg.headers_timeout_s;
            if (limit_s <= 0 || now - r->last_activity < (uint64_t)limit_s * 1000) continue;
            snprintf(r->abort_why, sizeof r->abort_why,
                     r->responded ? "no data for %ld s (--body-timeout)"
                                  : "no response headers within %ld s (--headers-timeout)",
                     limit_s);
            if (c->cfg.verbose) log_debug("%s %s: %s", r->method, r->url, r->abort_why);
            http_admit_retire(r);
            http_req_finish(r, BRIDGE_ETIMEOUT, r->abort_why);
            again = 1; /* on_done may have cancelled others: start over */
            break;
        }
    }
    if (http_client_leave(c)) return;
    http_admit_waiting(c);
}

void http_sweep_start(http_client_t *c)
{
    if (c->sweeping || (c->cfg.headers_timeout_s <= 0 && c->cfg.body_timeout_s <= 0)) return;
    c->sweeping = 1;
    uv_timer_start(&c->sweep, on_sweep, 1000, 1000);
}

long http_req_status(const http_req_t *r)
{
    return r->status;
}

const char *http_req_header(http_req_t *r, const char *name)
{
    struct curl_header *h;
    if (curl_easy_header(r->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK) return NULL;
    return h->value;
}

char *http_req_header_all(http_req_t *r, const char *name)
{
    struct curl_header *h;
    size_t amount = 0;
    if (curl_easy_header(r->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK) return NULL;
    amount = h->amount;
    size_t total = 0;
    for (size_t i = 0; i < amount; i++)
        if (curl_easy_header(r->easy, name, i, CURLH_HEADER, -1, &h) == CURLHE_OK)
            total += strlen(h->value) + 2;
    char *out = malloc(total + 1), *p = out;
    if (!out) return NULL;
    *p = 0;
    for (size_t i = 0; i < amount; i++) {
        if (curl_easy_header(r->easy, name, i, CURLH_HEADER, -1, &h) != CURLHE_OK) continue;
        p += sprintf(p, "%s%s", p == out ? "" : ", ", h->value);
    }
    return out;
}

const char *http_req_method(const http_req_t *r)
{
    return r->method;
}

const char *http_req_url(const http_req_t *r)
{
    return r->url;
}

const char *http_req_effective_url(http_req_t *r)
{
    char *u = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &u);
    return u ? u : r->url;
}
