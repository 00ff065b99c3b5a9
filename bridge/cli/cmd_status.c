/* `mcp-bridge status`: what is stored, for one server or all, without a secret. */
#include "bridge/cli/cmd.h"
#include "bridge/cli/session.h"
#include "bridge/base/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void describe_expiry(const json_t *rec, char *out, size_t n)
{
    json_t *e = json_object_get(rec, "expires_at");
    if (!json_is_integer(e) || !json_str(rec, "access_token")) {
        snprintf(out, n, json_str(rec, "access_token") ? "no expiry given" : "no access token");
        return;
    }
    long left = (long)(json_integer_value(e) - time(NULL));
    if (left > 0)
        snprintf(out, n, "access token expires in %ldh%02ldm", left / 3600, (left % 3600) / 60);
    else
        snprintf(out, n, "access token expired %ldh%02ldm ago", -left / 3600, (-left % 3600) / 60);
}

int cmd_status(const bridge_options_t *o)
{
    cli_session_t c;
    if (cli_session_open(&c, o, 0)) return 1;
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    char wanted[64] = "";
    if (o->url) {
        /* The one record the bridge uses with these options. */
        cli_record_name(o, wanted, sizeof wanted);
        names = malloc(sizeof *names);
        if (names && (names[0] = strdup(wanted)) != NULL) n = 1;
    } else {
        rc = keychain_list(c.store, &names, &n);
        if (rc) fprintf(stderr, "mcp-bridge: cannot list %s\n", keychain_where(c.store));
    }
    int shown = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *rec = cli_load_record(c.store, names[i]);
        if (!rec) continue;
        if (!strncmp(names[i], "server-", 7) && json_str(rec, "server") &&
            (!o->url || !strcmp(o->url, json_str(rec, "server")))) {
            char exp[80];
            describe_expiry(rec, exp, sizeof exp);
            json_t *purpose = json_object_get(rec, "for");
            char *pt = json_is_object(purpose) ? json_dumps(purpose, JSON_COMPACT) : NULL;
            printf("%s%s%s: issuer %s; scope %s; %s; refresh token: %s; stored in %s\n",
                   json_str(rec, "server"), pt ? " for " : "", pt ? pt : "",
                   json_str(rec, "issuer") ? json_str(rec, "issuer") : "unknown",
                   json_str(rec, "scope") ? json_str(rec, "scope") : "(none)", exp,
                   json_str(rec, "refresh_token") ? "yes" : "no", keychain_where(c.store));
            free(pt);
            shown++;
        } else if (!strncmp(names[i], "client-", 7) && !o->url && json_str(rec, "issuer")) {
            printf("client registration at %s: client_id %s%s; stored in %s\n",
                   json_str(rec, "issuer"),
                   json_str(rec, "client_id") ? json_str(rec, "client_id") : "?",
                   json_str(rec, "client_secret") ? " (with a secret)" : "",
                   keychain_where(c.store));
            shown++;
        }
        json_decref(rec);
    }
    keychain_free_list(names, n);
    if (!shown)
        printf("No stored credentials%s%s (looked in %s).\n", o->url ? " for " : "",
               o->url ? o->url : "", keychain_where(c.store));
    cli_session_close(&c);
    return rc ? 1 : 0;
}
