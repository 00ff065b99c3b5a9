/* What every subcommand that talks to a server shares: a loop of its own, the
 * HTTP client, the credential store and (when wanted) the sign-in, all made
 * from the options by config_from_options; and one HTTP exchange at a time,
 * waited for. The subcommands run their loop only inside these calls. */
#ifndef MCP_BRIDGE_CLI_SESSION_H
#define MCP_BRIDGE_CLI_SESSION_H

#include "bridge/cli/options.h"
#include "bridge/net/http.h"
#include "keychain/keychain.h"
#include "oauth/oauth.h"

#include <jansson.h>
#include <uv.h>

typedef struct cli_session {
    const bridge_options_t *o;
    uv_loop_t *loop;
    http_client_t *http;
    keychain_t *store;
    oauth_t *oauth; /* NULL unless asked for */
} cli_session_t;

/* Open the store, the HTTP client and, with want_oauth, the sign-in with its
 * stored record loaded (and --refresh-token seeded). 0, or 1 after saying why
 * on stderr; cli_session_close is safe either way. */
int cli_session_open(cli_session_t *s, const bridge_options_t *o, int want_oauth);
/* Free everything, after the store's pending writes have finished. */
void cli_session_close(cli_session_t *s);

/* The sign-in's configuration for these options, with this session's loop,
 * HTTP client and store filled in. */
oauth_config_t cli_oauth_config(const cli_session_t *s);

/* The answer to one exchange. msg is the JSON body, or the first event of an
 * event-stream body parsed as JSON; NULL when neither. */
typedef struct cli_answer {
    int done, rc;
    long status;
    json_t *msg;
    char *www, *session_id;
    int has_content_type;
    char why[512];
} cli_answer_t;
void cli_answer_free(cli_answer_t *a);

/* One HTTP exchange, waited for: 0 when an answer came (of any status), else a
 * BRIDGE_E* code with a->why saying why. *a is always to be freed. */
int cli_exchange(cli_session_t *s, const char *method, const char *url, const char *const *headers,
                 const char *body, cli_answer_t *a);

/* The headers of an MCP request as a start sends them: Content-Type, `accept`,
 * the user's headers, our authorization lines for this method and the server
 * URL when there is a token (with DPoP, a fresh proof), and `extra` (NULL, or
 * more lines: a NULL-terminated list of at most 4). lines is NULL-terminated;
 * free it all with cli_headers_free (the authorization lines are wiped). */
typedef struct cli_headers {
    const char **lines;
    char *auth[2];
} cli_headers_t;
int cli_mcp_headers(cli_session_t *s, const char *method, const char *accept,
                    const char *const *extra, cli_headers_t *out);
void cli_headers_free(cli_headers_t *h);

/* POST initialize to the server as a start does. */
int cli_probe_initialize(cli_session_t *s, cli_answer_t *a);
/* POST server/discover as a start does first (2026-07-28, with its _meta and
 * headers), unless --protocol legacy or an HTTP+SSE-first --transport says not
 * to ask: then 1 and nothing is sent. */
int cli_probe_discover(cli_session_t *s, cli_answer_t *a);
/* What a start sends first: server/discover, then initialize when the
 * server speaks an older revision (*era: 0 not known yet, 1 older, 2
 * 2026-07-28; pass it back in to skip what is known). *older_status: the HTTP
 * status of a discover that told "older" (else 0). a holds the last answer. */
int cli_probe_start(cli_session_t *s, cli_answer_t *a, int *era, long *older_status);
/* DELETE the session a probe made, if it made one. */
void cli_end_session(cli_session_t *s, const char *session_id);

/* Run an oauth_* operation to its end: pass cli_oauth_done and a zeroed
 * cli_wait_t, then cli_oauth_wait returns its rc (why in w->why). */
typedef struct cli_wait {
    int done, rc;
    char why[1024];
} cli_wait_t;
void cli_oauth_done(void *ud, int rc, const char *why);
int cli_oauth_wait(cli_session_t *s, cli_wait_t *w);

/* The name of the stored record a start with these options uses. */
void cli_record_name(const bridge_options_t *o, char *out, size_t n);
/* A stored record as JSON; NULL when missing or not an object. */
json_t *cli_load_record(keychain_t *k, const char *name);

#endif
