/* `mcp-bridge logout`: revoke the stored tokens where the authorization server
 * offers revocation (RFC 7009, oauth/revoke.c), then delete them. */
#include "bridge/cli/cmd.h"
#include "bridge/cli/session.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"

#include <stdio.h>
#include <string.h>

typedef struct revoke_wait {
    int done, rc;
} revoke_wait_t;

static void on_revoked(void *ud, int rc, const char *why)
{
    revoke_wait_t *w = ud;
    w->done = 1;
    w->rc = rc;
}

/* Revoke one token of a stored record, waited for. 0: revoked; 1: nothing to
 * revoke; 2: the endpoint is refused by this run's policy; -1: the server
 * refused, or it could not be asked. */
static int revoke(cli_session_t *c, const json_t *rec, const char *token, const char *hint)
{
    revoke_wait_t w = {0};
    int rc = oauth_revoke_record(c->http, rec, token, hint, c->o->allow_http, on_revoked, &w);
    if (rc == BRIDGE_EINVAL) return 1;
    if (rc == BRIDGE_EPROTO) return 2;
    if (rc) return -1;
    while (!w.done)
        uv_run(c->loop, UV_RUN_ONCE);
    return w.rc ? -1 : 0;
}

static int logout_one(cli_session_t *c, const char *name, json_t *rec)
{
    const char *server = json_str(rec, "server");
    int r1 = revoke(c, rec, json_str(rec, "refresh_token"), "refresh_token");
    int r2 = revoke(c, rec, json_str(rec, "access_token"), "access_token");
    int del = keychain_delete(c->store, name);
    if (r1 == 2 || r2 == 2)
        printf("Signed out of %s: the tokens were deleted from %s but not revoked: the "
               "revocation endpoint %s is not https:// (pass --allow-http to use it).\n",
               server, keychain_where(c->store), json_str(rec, "revocation_endpoint"));
    else if (r1 < 0 || r2 < 0)
        printf("Signed out of %s: the authorization server refused to revoke the tokens; they "
               "were deleted here%s.\n",
               server, del ? " (deleting failed!)" : "");
    else if (r1 == 0 || r2 == 0)
        printf("Signed out of %s: tokens revoked at %s and deleted from %s.\n", server,
               json_str(rec, "revocation_endpoint"), keychain_where(c->store));
    else
        printf("Signed out of %s: the authorization server offers no revocation; the tokens were "
               "deleted from %s.\n",
               server, keychain_where(c->store));
    return del ? 1 : 0;
}

int cmd_logout(const bridge_options_t *o)
{
    cli_session_t c;
    if (cli_session_open(&c, o, 0)) return 1;
    int code = 0, found = 0;
    if (o->url && !o->all) {
        char name[64];
        cli_record_name(o, name, sizeof name);
        json_t *rec = cli_load_record(c.store, name);
        if (rec) {
            found = 1;
            code |= logout_one(&c, name, rec);
            json_decref(rec);
        }
    } else {
        char **names = NULL;
        size_t n = 0;
        keychain_list(c.store, &names, &n);
        for (size_t i = 0; i < n; i++) {
            json_t *rec = cli_load_record(c.store, names[i]);
            if (!strncmp(names[i], "server-", 7) && rec) {
                found = 1;
                code |= logout_one(&c, names[i], rec);
            } else if (!strncmp(names[i], "client-", 7)) {
                found = 1;
                const char *issuer = rec ? json_str(rec, "issuer") : NULL;
                if (keychain_delete(c.store, names[i]) == 0)
                    printf("Forgot the client registration at %s.\n", issuer ? issuer : names[i]);
                else
                    code = 1;
            }
            json_decref(rec);
        }
        keychain_free_list(names, n);
    }
    if (!found)
        printf("Nothing stored%s%s in %s.\n", o->url ? " for " : "", o->url ? o->url : "",
               keychain_where(c.store));
    cli_session_close(&c);
    return code;
}
