/* `mcp-bridge export` (the lasting part of a sign-in, for another machine) and
 * `mcp-bridge import` (that document, or mcp-remote's files). */
#include "bridge/cli/cmd.h"
#include "bridge/cli/session.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/privfile.h"
#include "bridge/base/url.h"
#include "bridge/cli/mcp_remote_import.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const export_fields[] = {
    "server",
    "issuer",
    "resource",
    "token_endpoint",
    "revocation_endpoint",
    "client_id",
    "client_secret",
    "token_endpoint_auth_method",
    "refresh_token",
    "scope",
};

int cmd_export(const bridge_options_t *o)
{
    cli_session_t c;
    if (cli_session_open(&c, o, 0)) return 1;
    char name[64];
    cli_record_name(o, name, sizeof name);
    json_t *rec = cli_load_record(c.store, name);
    int code = 1;
    if (!rec) {
        fprintf(stderr, "mcp-bridge: nothing stored for %s; sign in first: mcp-bridge login %s\n",
                o->url, o->url);
    } else if (!json_str(rec, "refresh_token")) {
        fprintf(stderr,
                "mcp-bridge: %s issued no refresh token, so there is nothing that lasts "
                "to export\n",
                o->url);
    } else {
        json_t *out = json_pack("{s:s, s:i}", "format", "mcp-bridge-credentials", "version", 1);
        for (size_t i = 0; i < sizeof export_fields / sizeof export_fields[0]; i++)
            if (json_str(rec, export_fields[i]))
                json_object_set_new(out, export_fields[i],
                                    json_string(json_str(rec, export_fields[i])));
        if (json_is_object(json_object_get(rec, "for")))
            json_object_set(out, "for", json_object_get(rec, "for"));
        char *text = json_dumps(out, JSON_INDENT(2));
        json_decref(out);
        if (!text) {
            fprintf(stderr, "mcp-bridge: out of memory\n");
        } else if (o->output) {
            size_t len = strlen(text);
            char *line = malloc(len + 2);
            if (line) snprintf(line, len + 2, "%s\n", text);
            int rc = line ? privfile_write(o->output, line, len + 1) : BRIDGE_ENOMEM;
            if (line) OPENSSL_cleanse(line, len + 1);
            free(line);
            if (rc)
                fprintf(stderr, "mcp-bridge: cannot write %s: %s\n", o->output,
                        rc == BRIDGE_ENOMEM ? "out of memory" : strerror(errno));
            else
                fprintf(stderr,
                        "mcp-bridge: wrote %s (mode 0600); it holds a refresh token for %s: a "
                        "secret that signs in as you. Keep it like a password; delete it once "
                        "imported.\n",
                        o->output, o->url);
            code = rc ? 1 : 0;
        } else {
            fprintf(stderr,
                    "mcp-bridge: what follows holds a refresh token for %s: a secret that "
                    "signs in as you. Keep it like a password; delete it once imported.\n",
                    o->url);
            printf("%s\n", text);
            code = 0;
        }
        if (text) OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
    json_decref(rec);
    cli_session_close(&c);
    return code;
}

int cmd_import(const bridge_options_t *o)
{
    if (o->from_mcp_remote) {
        cli_session_t c;
        if (cli_session_open(&c, o, 0)) return 1;
        oauth_config_t oc = cli_oauth_config(&c);
        int code = mcp_remote_import(&oc, c.store);
        cli_session_close(&c);
        return code;
    }
    const char *path = o->url; /* the positional argument: a file, or - / none for stdin */
    FILE *f = (!path || !strcmp(path, "-")) ? stdin : fopen(path, "re");
    if (!f) {
        fprintf(stderr, "mcp-bridge: cannot read %s\n", path);
        return 1;
    }
    json_error_t je;
    json_t *in = json_loadf(f, 0, &je);
    if (f != stdin) fclose(f);
    const char *server = json_str(in, "server");
    url_t u;
    char err[256];
    if (!json_is_object(in) || !json_str(in, "format") ||
        strcmp(json_str(in, "format"), "mcp-bridge-credentials") != 0 || !server ||
        !json_str(in, "refresh_token") || !json_str(in, "client_id") ||
        url_parse(server, &u, err, sizeof err)) {
        fprintf(stderr,
                "mcp-bridge: %s is not a document made by mcp-bridge export (it needs "
                "format, server, client_id and refresh_token)\n",
                path ? path : "the input");
        json_decref(in);
        return 1;
    }
    url_free(&u);
    cli_session_t c;
    bridge_options_t oo = *o;
    if (cli_session_open(&c, &oo, 0)) {
        json_decref(in);
        return 1;
    }
    json_t *rec = json_pack("{s:i}", "version", 1);
    for (size_t i = 0; i < sizeof export_fields / sizeof export_fields[0]; i++)
        if (json_str(in, export_fields[i]))
            json_object_set_new(rec, export_fields[i], json_string(json_str(in, export_fields[i])));
    const json_t *purpose = json_object_get(in, "for");
    if (!json_is_object(purpose)) purpose = NULL;
    if (purpose) json_object_set(rec, "for", (json_t *)purpose);
    char *text = json_dumps(rec, JSON_COMPACT);
    char name[64], label[512];
    oauth_record_name_for(server, purpose, name, sizeof name);
    snprintf(label, sizeof label, "mcp-bridge: sign-in to %s", server);
    int rc = keychain_put(c.store, name, label, "tokens", server, text);
    if (rc)
        fprintf(stderr, "mcp-bridge: could not store the credentials in %s\n",
                keychain_where(c.store));
    else
        printf("Imported the credentials for %s into %s; the next start refreshes the token.\n",
               server, keychain_where(c.store));
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    json_decref(rec);
    json_decref(in);
    cli_session_close(&c);
    return rc ? 1 : 0;
}
