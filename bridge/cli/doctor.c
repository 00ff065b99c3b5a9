/* `mcp-bridge doctor URL`: the initialize a start sends, then on 401/403 the
 * real sign-in code (oauth_preflight) up to the person's part, printed step by
 * step from its trace. It exits 0 only when a start would connect. */
#include "bridge/cli/doctor.h"
#include "bridge/cli/doctor_int.h"
#include "bridge/base/err.h"
#include "bridge/base/url.h"
#include "bridge/net/http.h"
#include "keychain/keychain.h"
#include "oauth/oauth.h"
#include "oauth/www_auth.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the sign-in ----------------------------------------------------------------------------- */

/* A 401 or 403: the sign-in a start would do. 0 when a start would then connect. */
static int diagnose_authorization(doctor_t *d, long status, const char *www)
{
    oauth_challenge_t ch;
    oauth_challenge_init(&ch);
    if (www) oauth_www_auth_parse(&ch, www, strlen(www));
    doctor_say(d, "HTTP %ld: the server wants authorization. WWW-Authenticate: %s", status,
               www ? www : "(none)");
    if (ch.error)
        doctor_note("error: %s%s%s", ch.error, ch.error_description ? " - " : "",
                    ch.error_description ? ch.error_description : "");
    if (ch.scope) doctor_note("scope asked for: %s", ch.scope);
    if (!ch.resource_metadata)
        doctor_note(
            "No resource_metadata hint (servers of the 2025-03-26 revision, or ones that do not "
            "follow RFC 9728 fully): the well-known locations are tried.");
    oauth_challenge_free(&ch);
    if (!d->s.oauth) {
        doctor_say(
            d, "The server rejected the Authorization header you passed with --header; a start "
               "sends it as it is and does not sign in. Check the credential, or drop the header "
               "to sign in with OAuth.");
        return 1;
    }
    cli_wait_t w = {0};
    oauth_set_trace(d->s.oauth, doctor_on_trace, d);
    oauth_preflight(d->s.oauth, status, www, cli_oauth_done, &w);
    cli_oauth_wait(&d->s, &w);
    oauth_set_trace(d->s.oauth, NULL, NULL);
    if (w.rc) {
        doctor_say(d, "A start would fail here: %s", w.why);
        return 1;
    }
    if (oauth_preflight_url(d->s.oauth)) {
        doctor_say(d,
                   "A sign-in would be possible: discovery and the client are ready, and only your "
                   "sign-in %s remains. Start the bridge, or run mcp-bridge login %s.",
                   d->s.o->device_code ? "with the device code" : "in the browser", d->s.o->url);
        return 0;
    }
    /* A token came without the person (refresh, client credentials): try it. */
    cli_answer_t a;
    if (doctor_probe(d, &a) != 0) {
        doctor_say(d, "POST initialize with the new token failed: %s.", a.why);
        cli_answer_free(&a);
        return 1;
    }
    int verdict = 1;
    if (a.status >= 200 && a.status < 300)
        verdict = doctor_report_initialize(d, &a);
    else
        doctor_say(d, "initialize with the new token answered HTTP %ld; a start would fail.",
                   a.status);
    cli_answer_free(&a);
    return verdict;
}

/* ---- the command ----------------------------------------------------------------------------- */

static int diagnose(doctor_t *d)
{
    const bridge_options_t *o = d->s.o;
    url_t u;
    char err[256], trust[1024];
    if (url_parse(o->url, &u, err, sizeof err) != 0) {
        doctor_say(d, "Server URL %s is not a URL: %s.", o->url, err);
        return 1;
    }
    int https = !strcmp(u.scheme, "https");
    doctor_say(d, "Server URL %s (%s%s%s).", o->url, u.scheme,
               https ? ": TLS is verified against " : ", plain HTTP",
               https ? tls_config_describe(&o->tls, trust, sizeof trust) : "");
    url_free(&u);
    if (d->s.oauth && oauth_header(d->s.oauth))
        doctor_say(d, "A stored access token is sent with the first request.");

    int fallback = o->transport == TRANSPORT_HTTP_FIRST || o->transport == TRANSPORT_SSE_FIRST ||
                   o->transport == TRANSPORT_SSE_ONLY;
    cli_answer_t a;
    if (o->transport != TRANSPORT_SSE_ONLY) {
        if (doctor_probe(d, &a) != 0) {
            doctor_say(d,
                       "POST initialize failed: %s. Check the URL, the network, a proxy, or the "
                       "server's certificate.",
                       a.why);
            cli_answer_free(&a);
            return 1;
        }
        long status = a.status;
        if (status >= 200 && status < 300) {
            int verdict = doctor_report_initialize(d, &a);
            cli_answer_free(&a);
            if (!verdict) doctor_say(d, "A connection would succeed.");
            return verdict;
        }
        if (status == 401 || status == 403) {
            int verdict = diagnose_authorization(d, status, a.www);
            cli_answer_free(&a);
            return verdict;
        }
        cli_answer_free(&a);
        if (!(status == 400 || status == 404 || status == 405) || !fallback) {
            doctor_say(
                d, "initialize answered HTTP %ld; the server is failing or refuses the request%s.",
                status, fallback ? "" : " (and --transport http-only rules out the older one)");
            return 1;
        }
        doctor_say(
            d,
            "initialize answered HTTP %ld: not a Streamable HTTP endpoint; a start then tries the "
            "older HTTP+SSE transport (GET with Accept: text/event-stream).",
            status);
    }
    sse_probe_t p;
    doctor_probe_sse(d, &p);
    int verdict = 1;
    if (p.status == 401 || p.status == 403) {
        verdict = diagnose_authorization(d, p.status, p.www);
    } else if (p.endpoint) {
        doctor_say(d,
                   "The HTTP+SSE transport answers with its message endpoint: a connection would "
                   "succeed.");
        verdict = 0;
    } else if (p.status) {
        doctor_say(
            d,
            "GET with Accept: text/event-stream answered HTTP %ld without an endpoint event: "
            "neither transport answers. Check that the URL is the server's MCP endpoint (often "
            "ending in /mcp or /sse).",
            p.status);
    } else {
        doctor_say(d, "GET with Accept: text/event-stream failed: %s.", p.why);
    }
    free(p.www);
    return verdict;
}

int doctor_run(const bridge_options_t *o)
{
    assert(o->url);
    doctor_t d;
    memset(&d, 0, sizeof d);
    /* As a start: a user-supplied Authorization header means no sign-in. */
    int want_oauth = !header_list_get(&o->headers, "Authorization");
    int verdict = cli_session_open(&d.s, o, want_oauth) ? 1 : diagnose(&d);
    cli_session_close(&d.s);
    return verdict;
}
