/* The sign-in steps `mcp-bridge doctor` prints: each event of the flow's trace
 * (oauth_set_trace) in a sentence, in the order the flow takes the steps. */
#include "bridge/cli/doctor_int.h"

#include <string.h>

static void tried(const oauth_trace_event_t *ev)
{
    if (!ev->status)
        doctor_note("tried: %s: %s", ev->url, ev->detail ? ev->detail : "no answer");
    else if (ev->status == 200 && !ev->ok && ev->detail)
        doctor_note("tried: %s -> HTTP 200, but %s", ev->url, ev->detail);
    else
        doctor_note("tried: %s -> HTTP %ld%s", ev->url, ev->status, ev->ok ? " (found)" : "");
}

void doctor_on_trace(void *ud, const oauth_trace_event_t *ev)
{
    doctor_t *d = ud;
    switch (ev->step) {
    case OAUTH_TRACE_PRM_HINT:
        if (ev->detail && strcmp(ev->detail, ev->url) != 0)
            doctor_note("The hint is relative; resolved against the server URL: %s", ev->url);
        break;
    case OAUTH_TRACE_PRM:
        if (!d->said_prm++) doctor_say(d, "Protected resource metadata (RFC 9728):");
        tried(ev);
        break;
    case OAUTH_TRACE_RESOURCE:
        if (!ev->ok) {
            doctor_say(
                d,
                "The metadata is for the resource \"%s\", which is not %s: mcp-bridge refuses "
                "to sign in (a server could use this to obtain your token for another service). "
                "The server's metadata is misconfigured.",
                ev->detail, d->s.o->url);
            break;
        }
        doctor_note("resource: %s%s", ev->detail ? ev->detail : "(not given; the URL is used)",
                    !ev->detail ? ""
                    : ev->ok    ? " (matches)"
                                : " (does not match the server URL)");
        break;
    case OAUTH_TRACE_ISSUER:
        doctor_note("authorization server: %s", ev->detail);
        break;
    case OAUTH_TRACE_NO_PRM:
        doctor_say(
            d,
            "No protected resource metadata: the 2025-03-26 rules apply, and the server's own "
            "origin %s is the authorization server.",
            ev->url);
        break;
    case OAUTH_TRACE_AS_METADATA:
        if (!d->said_as++) doctor_say(d, "Authorization server metadata:");
        tried(ev);
        break;
    case OAUTH_TRACE_ISSUER_MISMATCH:
        doctor_note("but its issuer is \"%s\": RFC 8414 forbids using it", ev->detail);
        break;
    case OAUTH_TRACE_AS_DEFAULTS:
        doctor_note("None: mcp-bridge falls back to %s/authorize, /token and /register.", ev->url);
        break;
    case OAUTH_TRACE_PKCE:
        doctor_say(d, "PKCE: %s",
                   ev->ok
                       ? "S256 is supported."
                       : "the server does not advertise S256 in code_challenge_methods_supported; "
                         "MCP requires it, and mcp-bridge refuses to sign in there.");
        break;
    case OAUTH_TRACE_CLIENT:
        if (!strcmp(ev->detail, "static"))
            doctor_say(d,
                       "Client: the pre-registered client given with --static-oauth-client-info.");
        else if (!strcmp(ev->detail, "metadata-document"))
            doctor_say(d, "Client: your client ID metadata document %s is the client_id.",
                       d->s.o->client_metadata_url);
        else if (!strcmp(ev->detail, "kept"))
            doctor_say(d, "Client: the one stored with the sign-in, with its own redirect URI.");
        else if (!strcmp(ev->detail, "stored"))
            doctor_say(d, "Client: the registration stored from an earlier start is reused.");
        else if (!strcmp(ev->detail, "register"))
            doctor_say(
                d, "Client: mcp-bridge registers itself at %s (dynamic registration, RFC 7591).",
                ev->url);
        break;
    case OAUTH_TRACE_REGISTERED:
        if (ev->ok)
            doctor_note("registered as client %s (stored: the next start uses it)", ev->detail);
        else if (ev->status)
            doctor_note("the registration was refused: HTTP %ld", ev->status);
        else
            doctor_note("the registration failed: %s", ev->detail ? ev->detail : "no answer");
        break;
    case OAUTH_TRACE_AUTH_METHOD:
        doctor_note("token endpoint %s; the client authenticates with %s",
                    ev->url ? ev->url : "(unknown)", ev->detail);
        break;
    case OAUTH_TRACE_REFRESH:
        doctor_say(d, "Refreshing the stored sign-in at %s: %s", ev->url,
                   ev->ok       ? "done."
                   : ev->status ? "refused."
                                : "no answer.");
        break;
    case OAUTH_TRACE_TOKEN:
        doctor_say(d, "Client credentials grant at %s: %s", ev->url,
                   ev->ok ? "a token was issued." : "refused.");
        break;
    case OAUTH_TRACE_AUTHORIZE:
        if (ev->detail && !strcmp(ev->detail, "device"))
            doctor_say(d, "The device sign-in would start at %s.", ev->url);
        else
            doctor_say(d, "The sign-in page a start would open: %s", ev->url);
        break;
    }
}
