/* `mcp-bridge login` (sign in now, and show that the token is accepted) and
 * `mcp-bridge token` (print a fresh access token, refreshing it first). */
#include "bridge/cli/cmd.h"
#include "bridge/cli/session.h"
#include "bridge/base/err.h"

#include <stdio.h>

static int mcp_status_ok(long s)
{
    return s >= 200 && s < 300;
}

int cmd_login(const bridge_options_t *o)
{
    cli_session_t c;
    if (cli_session_open(&c, o, 1)) return 1;
    int code = 1;
    cli_answer_t r;
    int era = 0;
    long older = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        int had_token = oauth_header(c.oauth) != NULL;
        if (cli_probe_start(&c, &r, &era, &older) != 0) {
            fprintf(stderr, "mcp-bridge: cannot reach %s: %s\n", o->url, r.why);
            break;
        }
        if (mcp_status_ok(r.status)) {
            if (had_token)
                printf("Signed in to %s; credentials are kept in %s.\n", o->url,
                       keychain_where(c.store));
            else
                printf("%s accepts requests without signing in: nothing to do.\n", o->url);
            cli_end_session(&c, r.session_id);
            code = 0;
            break;
        }
        if (r.status == 404) {
            fprintf(stderr, "mcp-bridge: %s answered 404 Not Found to POST: check the URL's path\n",
                    o->url);
            break;
        }
        if (r.status != 401 && r.status != 403) {
            fprintf(stderr, "mcp-bridge: %s answered HTTP %ld to %s\n", o->url, r.status,
                    era == 2 ? "server/discover" : "initialize");
            break;
        }
        cli_wait_t w = {0};
        oauth_handle_challenge(c.oauth, r.status, r.www, cli_oauth_done, &w);
        if (cli_oauth_wait(&c, &w) != 0) {
            fprintf(stderr, "mcp-bridge: sign-in to %s failed: %s\n", o->url, w.why);
            break;
        }
        cli_answer_free(&r); /* try again with the new token, which shows it works */
    }
    cli_answer_free(&r);
    cli_session_close(&c);
    return code;
}

int cmd_token(const bridge_options_t *o)
{
    cli_session_t c;
    if (cli_session_open(&c, o, 1)) return 1;
    int code = 1;
    /* After `import` there is only a refresh token: that is enough. */
    if (!oauth_access_token(c.oauth) && !oauth_has_refresh_token(c.oauth)) {
        fprintf(stderr, "mcp-bridge: not signed in to %s; run: mcp-bridge login %s\n", o->url,
                o->url);
    } else {
        cli_wait_t w = {0};
        int need = oauth_should_refresh(c.oauth) || !oauth_access_token(c.oauth);
        if (need) {
            oauth_refresh(c.oauth, cli_oauth_done, &w);
            cli_oauth_wait(&c, &w);
        }
        if (need && w.rc)
            fprintf(stderr, "mcp-bridge: could not refresh the token: %s\n", w.why);
        else if (!oauth_access_token(c.oauth))
            fprintf(stderr, "mcp-bridge: no access token for %s\n", o->url);
        else {
            fprintf(stderr,
                    "mcp-bridge: the next line is an access token for %s: a secret; do "
                    "not share or log it.\n",
                    o->url);
            printf("%s\n", oauth_access_token(c.oauth));
            code = 0;
        }
    }
    cli_session_close(&c);
    return code;
}
