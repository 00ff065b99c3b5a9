/* What the parts of `mcp-bridge doctor` share: its state, the numbered
 * output, the MCP probes (doctor_probe.c) and the printing of the sign-in's
 * trace (doctor_trace.c). Private to bridge/cli. */
#ifndef MCP_BRIDGE_DOCTOR_INT_H
#define MCP_BRIDGE_DOCTOR_INT_H

#include "bridge/cli/options.h"
#include "bridge/cli/session.h"
#include "bridge/net/http.h"
#include "keychain/keychain.h"
#include "oauth/oauth.h"

#include <jansson.h>
#include <uv.h>

typedef struct doctor {
    cli_session_t
        s; /* s.oauth is NULL when the user passed an Authorization header, as in a start */
    int step;
    int said_prm, said_as; /* the heading of a group of tries is printed once */
    int era;               /* 0 unknown, 1 older revisions, 2 the 2026-07-28 revision */
} doctor_t;

/* A numbered step, and an indented detail under it (stdout). */
void doctor_say(doctor_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void doctor_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What a start sends first (the user's headers, our token if any):
 * server/discover, then initialize unless the server speaks 2026-07-28
 * (d->era says which answer a holds). */
int doctor_probe(doctor_t *d, cli_answer_t *a);
/* Say what a 2xx answer held (and end an initialize's session): 0 when it was
 * an initialize or discover result, else 1. */
int doctor_report_initialize(doctor_t *d, cli_answer_t *a);

/* GET the URL as an event stream, as a start does after a 4xx to POST. */
typedef struct sse_probe {
    int done, rc, endpoint;
    long status;
    char *www; /* the 401's WWW-Authenticate, malloc'd */
    struct sse_parser *parser;
    char why[512];
} sse_probe_t;
void doctor_probe_sse(doctor_t *d, sse_probe_t *p);

/* An oauth_trace_cb (ud: the doctor_t) that prints each step. */
void doctor_on_trace(void *ud, const oauth_trace_event_t *ev);

#endif
