/* The subcommands for people: login, logout, status, token, export, import
 * (doctor is in doctor.c). Each runs its own short loop and says what it did in sentences;
 * none of them prints a secret except `token` (on stdout, after a warning) and
 * `export` (likewise). */
#include "bridge/cli/commands.h"
#include "bridge/cli/config.h"
#include "bridge/cli/doctor.h"
#include "bridge/base/err.h"
#include "bridge/net/http.h"
#include "bridge/base/log.h"
#include "bridge/cli/mcp_remote_import.h"
#include "bridge/base/privfile.h"
#include "bridge/base/url.h"
#include "keychain/keychain.h"
#include "oauth/browser.h"
#include "oauth/fetch.h"
#include "oauth/oauth.h"
#include "oauth/token.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (4 * 1024 * 1024)

typedef struct cmd {
    const bridge_options_t *o;
    uv_loop_t *loop;
    http_client_t *http;
    keychain_t *store;
    oauth_t *oauth;
} cmd_t;

/* ---- plumbing ------------------------------------------------------------------------------ */

typedef struct sync_result {
    int done, rc;
    long status;
    json_t *json;
    char *www, *content_type, *session_id, *body;
    size_t body_len;
    char why[512];
} sync_result_t;

static void sync_result_free(sync_result_t *r)
{
    json_decref(r->json);
    free(r->www);
    free(r->content_type);
    free(r->session_id);
    if (r->body) OPENSSL_cleanse(r->body, r->body_len);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void on_sync_fetch(void *ud, const oauth_fetch_result_t *res)
{
    sync_result_t *r = ud;
    r->done = 1;
    r->rc = res->rc;
    r->status = res->status;
    r->json = json_incref(res->json);
    r->www = dup_or_null(res->www_authenticate);
    r->content_type = dup_or_null(res->content_type);
    r->session_id = dup_or_null(res->session_id);
    if (res->body) {
        r->body = malloc(res->body_len + 1);
        if (r->body) {
            memcpy(r->body, res->body, res->body_len);
            r->body[res->body_len] = 0;
            r->body_len = res->body_len;
        }
    }
    if (res->rc) snprintf(r->why, sizeof r->why, "%s", res->why ? res->why : "failed");
}

/* One HTTP exchange, waited for. */
static int fetch_sync(cmd_t *c, const char *method, const char *url, const char *const *headers,
                      const char *body, sync_result_t *out)
{
    memset(out, 0, sizeof *out);
    int rc = oauth_fetch(c->http, method, url, headers, body, BODY_MAX, on_sync_fetch, out);
    if (rc) {
        snprintf(out->why, sizeof out->why, "out of memory");
        return rc;
    }
    while (!out->done)
        uv_run(c->loop, UV_RUN_ONCE);
    return out->rc;
}

typedef struct wait {
    int done, rc;
    char why[1024];
} wait_t;

static void on_oauth_done(void *ud, int rc, const char *why)
{
    wait_t *w = ud;
    w->done = 1;
    w->rc = rc;
    snprintf(w->why, sizeof w->why, "%s", why ? why : "");
}

static int wait_oauth(cmd_t *c, wait_t *w)
{
    while (!w->done)
        uv_run(c->loop, UV_RUN_ONCE);
    return w->rc;
}

/* The OAuth configuration of these options (c may be NULL: for naming only). */
static oauth_config_t config_of(const cmd_t *c, const bridge_options_t *o)
{
    bridge_config_t cfg;
    config_from_options(o, &cfg);
    oauth_config_t oc = cfg.oauth;
    oc.loop = c ? c->loop : NULL;
    oc.http = c ? c->http : NULL;
    oc.store = c ? c->store : NULL;
    return oc;
}

/* The stored record the bridge uses with these options. */
static void record_name(const bridge_options_t *o, char *out, size_t n)
{
    oauth_config_t oc = config_of(NULL, o);
    oauth_record_name(&oc, out, n);
}

static int setup(cmd_t *c, const bridge_options_t *o, int need_oauth)
{
    memset(c, 0, sizeof *c);
    c->o = o;
    c->loop = uv_default_loop();
    bridge_config_t cfg;
    config_from_options(o, &cfg);
    c->http = http_client_new(c->loop, &cfg.http);
    char note[512] = "";
    if (keychain_open(cfg.token_store, NULL, &c->store, note, sizeof note)) {
        fprintf(stderr, "mcp-bridge: cannot open the credential store: %s\n",
                note[0] ? note : "no home directory");
        return 1;
    }
    if (!need_oauth) return 0;
    oauth_config_t oc = config_of(c, o);
    char err[512] = "";
    c->oauth = oauth_new(&oc, err, sizeof err);
    if (!c->oauth) {
        fprintf(stderr, "mcp-bridge: %s\n", err[0] ? err : "out of memory");
        return 1;
    }
    wait_t w = {0};
    oauth_load(c->oauth, on_oauth_done, &w);
    wait_oauth(c, &w);
    oauth_seed_refresh_token(c->oauth, o->refresh_token);
    return 0;
}

static void teardown(cmd_t *c)
{
    oauth_free(c->oauth);
    if (c->http) http_client_free(c->http);
    keychain_close(c->store); /* after pending writes finish */
    uv_run(c->loop, UV_RUN_DEFAULT);
    uv_loop_close(c->loop);
}

/* The headers of an MCP request: JSON in, JSON or SSE out, the user's headers,
 * our token when there is one, and `extra` (NULL or one more line). */
static const char **mcp_headers(cmd_t *c, const char *extra)
{
    size_t n = c->o->headers.count + 5;
    const char **h = calloc(n, sizeof *h);
    if (!h) return NULL;
    size_t i = 0;
    h[i++] = "Content-Type: application/json";
    h[i++] = "Accept: application/json, text/event-stream";
    for (size_t k = 0; k < c->o->headers.count; k++)
        h[i++] = c->o->headers.lines[k];
    if (c->oauth && oauth_header(c->oauth)) h[i++] = oauth_header(c->oauth);
    if (extra) h[i++] = extra;
    return h;
}

static const char initialize_body[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
    "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"mcp-bridge\",\"version\":"
    "\"" MCP_BRIDGE_VERSION "\"}}}";

static void end_session(cmd_t *c, const char *session_id)
{
    if (!session_id) return;
    char line[400];
    snprintf(line, sizeof line, "Mcp-Session-Id: %.300s", session_id);
    const char **h = mcp_headers(c, line);
    if (!h) return;
    sync_result_t r;
    fetch_sync(c, "DELETE", c->o->url, h, NULL, &r);
    sync_result_free(&r);
    free(h);
}

/* POST initialize as the bridge would. */
static int probe(cmd_t *c, sync_result_t *r)
{
    const char **h = mcp_headers(c, NULL);
    int rc = fetch_sync(c, "POST", c->o->url, h, initialize_body, r);
    free(h);
    return rc;
}

static int mcp_status_ok(long s)
{
    return s >= 200 && s < 300;
}

/* ---- login ----------------------------------------------------------------------------------- */

static int cmd_login(const bridge_options_t *o)
{
    cmd_t c;
    if (setup(&c, o, 1)) return 1;
    int code = 1;
    sync_result_t r;
    for (int attempt = 0; attempt < 3; attempt++) {
        int had_token = oauth_header(c.oauth) != NULL;
        if (probe(&c, &r) != 0) {
            fprintf(stderr, "mcp-bridge: cannot reach %s: %s\n", o->url, r.why);
            break;
        }
        if (mcp_status_ok(r.status)) {
            if (had_token)
                printf("Signed in to %s; credentials are kept in %s.\n", o->url,
                       keychain_where(c.store));
            else
                printf("%s accepts requests without signing in: nothing to do.\n", o->url);
            end_session(&c, r.session_id);
            code = 0;
            break;
        }
        if (r.status == 404) {
            fprintf(stderr, "mcp-bridge: %s answered 404 Not Found to POST: check the URL's path\n",
                    o->url);
            break;
        }
        if (r.status != 401 && r.status != 403) {
            fprintf(stderr, "mcp-bridge: %s answered HTTP %ld to initialize\n", o->url, r.status);
            break;
        }
        wait_t w = {0};
        oauth_handle_challenge(c.oauth, r.status, r.www, on_oauth_done, &w);
        if (wait_oauth(&c, &w) != 0) {
            fprintf(stderr, "mcp-bridge: sign-in to %s failed: %s\n", o->url, w.why);
            break;
        }
        sync_result_free(&r); /* try again with the new token, which shows it works */
    }
    sync_result_free(&r);
    teardown(&c);
    return code;
}

/* ---- token ----------------------------------------------------------------------------------- */

static int cmd_token(const bridge_options_t *o)
{
    cmd_t c;
    if (setup(&c, o, 1)) return 1;
    int code = 1;
    /* After `import` there is only a refresh token: that is enough. */
    if (!oauth_access_token(c.oauth) && !oauth_has_refresh_token(c.oauth)) {
        fprintf(stderr, "mcp-bridge: not signed in to %s; run: mcp-bridge login %s\n", o->url,
                o->url);
    } else {
        wait_t w = {0};
        int need = oauth_should_refresh(c.oauth) || !oauth_access_token(c.oauth);
        if (need) {
            oauth_refresh(c.oauth, on_oauth_done, &w);
            wait_oauth(&c, &w);
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
    teardown(&c);
    return code;
}

/* ---- stored records ----------------------------------------------------------------------------
 */

static json_t *load_record(keychain_t *k, const char *name)
{
    char *text = NULL;
    if (keychain_get(k, name, &text) != 0) return NULL;
    json_t *doc = json_loads(text, 0, NULL);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static const char *jstr(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

static void describe_expiry(const json_t *rec, char *out, size_t n)
{
    json_t *e = json_object_get(rec, "expires_at");
    if (!json_is_integer(e) || !jstr(rec, "access_token")) {
        snprintf(out, n, jstr(rec, "access_token") ? "no expiry given" : "no access token");
        return;
    }
    long left = (long)(json_integer_value(e) - time(NULL));
    if (left > 0)
        snprintf(out, n, "access token expires in %ldh%02ldm", left / 3600, (left % 3600) / 60);
    else
        snprintf(out, n, "access token expired %ldh%02ldm ago", -left / 3600, (-left % 3600) / 60);
}

static int cmd_status(const bridge_options_t *o)
{
    cmd_t c;
    if (setup(&c, o, 0)) return 1;
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    char wanted[64] = "";
    if (o->url) {
        /* The one record the bridge uses with these options. */
        record_name(o, wanted, sizeof wanted);
        names = malloc(sizeof *names);
        if (names && (names[0] = strdup(wanted)) != NULL) n = 1;
    } else {
        rc = keychain_list(c.store, &names, &n);
        if (rc) fprintf(stderr, "mcp-bridge: cannot list %s\n", keychain_where(c.store));
    }
    int shown = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *rec = load_record(c.store, names[i]);
        if (!rec) continue;
        if (!strncmp(names[i], "server-", 7) && jstr(rec, "server") &&
            (!o->url || !strcmp(o->url, jstr(rec, "server")))) {
            char exp[80];
            describe_expiry(rec, exp, sizeof exp);
            json_t *purpose = json_object_get(rec, "for");
            char *pt = json_is_object(purpose) ? json_dumps(purpose, JSON_COMPACT) : NULL;
            printf("%s%s%s: issuer %s; scope %s; %s; refresh token: %s; stored in %s\n",
                   jstr(rec, "server"), pt ? " for " : "", pt ? pt : "",
                   jstr(rec, "issuer") ? jstr(rec, "issuer") : "unknown",
                   jstr(rec, "scope") ? jstr(rec, "scope") : "(none)", exp,
                   jstr(rec, "refresh_token") ? "yes" : "no", keychain_where(c.store));
            free(pt);
            shown++;
        } else if (!strncmp(names[i], "client-", 7) && !o->url && jstr(rec, "issuer")) {
            printf("client registration at %s: client_id %s%s; stored in %s\n", jstr(rec, "issuer"),
                   jstr(rec, "client_id") ? jstr(rec, "client_id") : "?",
                   jstr(rec, "client_secret") ? " (with a secret)" : "", keychain_where(c.store));
            shown++;
        }
        json_decref(rec);
    }
    keychain_free_list(names, n);
    if (!shown)
        printf("No stored credentials%s%s (looked in %s).\n", o->url ? " for " : "",
               o->url ? o->url : "", keychain_where(c.store));
    teardown(&c);
    return rc ? 1 : 0;
}

/* RFC 7009: revoke a token, authenticating as the client did. The stored
 * endpoint is checked against this run's policy, like any endpoint that gets a
 * secret. 0: revoked; 1: nothing to revoke; 2: the endpoint is refused;
 * -1: the server refused. */
static int revoke_token(cmd_t *c, const json_t *rec, const char *token, const char *hint)
{
    const char *endpoint = jstr(rec, "revocation_endpoint");
    if (!endpoint || !token || !jstr(rec, "client_id")) return 1;
    if (!oauth_browser_url_ok(endpoint, c->o->allow_http)) return 2;
    buf_t form;
    buf_init_secret(&form, 0);
    char *basic = NULL;
    int rc = oauth_form_add(&form, "token", token);
    if (!rc) rc = oauth_form_add(&form, "token_type_hint", hint);
    if (!rc)
        rc = oauth_token_client_auth(&form, jstr(rec, "client_id"), jstr(rec, "client_secret"),
                                     jstr(rec, "token_endpoint_auth_method"), &basic);
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", basic, NULL};
    sync_result_t r;
    int ok = 0;
    if (!rc && fetch_sync(c, "POST", endpoint, h, form.data, &r) == 0) ok = mcp_status_ok(r.status);
    if (!rc) sync_result_free(&r);
    if (basic) OPENSSL_cleanse(basic, strlen(basic));
    free(basic);
    buf_free_secret(&form);
    return ok ? 0 : -1;
}

static int logout_one(cmd_t *c, const char *name, json_t *rec)
{
    const char *server = jstr(rec, "server");
    int r1 = revoke_token(c, rec, jstr(rec, "refresh_token"), "refresh_token");
    int r2 = revoke_token(c, rec, jstr(rec, "access_token"), "access_token");
    int del = keychain_delete(c->store, name);
    if (r1 == 2 || r2 == 2)
        printf("Signed out of %s: the tokens were deleted from %s but not revoked: the "
               "revocation endpoint %s is not https:// (pass --allow-http to use it).\n",
               server, keychain_where(c->store), jstr(rec, "revocation_endpoint"));
    else if (r1 < 0 || r2 < 0)
        printf("Signed out of %s: the authorization server refused to revoke the tokens; they "
               "were deleted here%s.\n",
               server, del ? " (deleting failed!)" : "");
    else if (r1 == 0 || r2 == 0)
        printf("Signed out of %s: tokens revoked at %s and deleted from %s.\n", server,
               jstr(rec, "revocation_endpoint"), keychain_where(c->store));
    else
        printf("Signed out of %s: the authorization server offers no revocation; the tokens were "
               "deleted from %s.\n",
               server, keychain_where(c->store));
    return del ? 1 : 0;
}

static int cmd_logout(const bridge_options_t *o)
{
    cmd_t c;
    if (setup(&c, o, 0)) return 1;
    int code = 0, found = 0;
    if (o->url && !o->all) {
        char name[64];
        record_name(o, name, sizeof name);
        json_t *rec = load_record(c.store, name);
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
            json_t *rec = load_record(c.store, names[i]);
            if (!strncmp(names[i], "server-", 7) && rec) {
                found = 1;
                code |= logout_one(&c, names[i], rec);
            } else if (!strncmp(names[i], "client-", 7)) {
                found = 1;
                const char *issuer = rec ? jstr(rec, "issuer") : NULL;
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
    teardown(&c);
    return code;
}

/* ---- export / import
 * ------------------------------------------------------------------------------- */

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

static int cmd_export(const bridge_options_t *o)
{
    cmd_t c;
    if (setup(&c, o, 0)) return 1;
    char name[64];
    record_name(o, name, sizeof name);
    json_t *rec = load_record(c.store, name);
    int code = 1;
    if (!rec) {
        fprintf(stderr, "mcp-bridge: nothing stored for %s; sign in first: mcp-bridge login %s\n",
                o->url, o->url);
    } else if (!jstr(rec, "refresh_token")) {
        fprintf(stderr,
                "mcp-bridge: %s issued no refresh token, so there is nothing that lasts "
                "to export\n",
                o->url);
    } else {
        json_t *out = json_pack("{s:s, s:i}", "format", "mcp-bridge-credentials", "version", 1);
        for (size_t i = 0; i < sizeof export_fields / sizeof export_fields[0]; i++)
            if (jstr(rec, export_fields[i]))
                json_object_set_new(out, export_fields[i],
                                    json_string(jstr(rec, export_fields[i])));
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
    teardown(&c);
    return code;
}

static int cmd_import(const bridge_options_t *o)
{
    if (o->from_mcp_remote) {
        cmd_t c;
        if (setup(&c, o, 0)) return 1;
        oauth_config_t oc = config_of(&c, o);
        int code = mcp_remote_import(&oc, c.store);
        teardown(&c);
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
    const char *server = jstr(in, "server");
    url_t u;
    char err[256];
    if (!json_is_object(in) || !jstr(in, "format") ||
        strcmp(jstr(in, "format"), "mcp-bridge-credentials") != 0 || !server ||
        !jstr(in, "refresh_token") || !jstr(in, "client_id") ||
        url_parse(server, &u, err, sizeof err)) {
        fprintf(stderr,
                "mcp-bridge: %s is not a document made by mcp-bridge export (it needs "
                "format, server, client_id and refresh_token)\n",
                path ? path : "the input");
        json_decref(in);
        return 1;
    }
    url_free(&u);
    cmd_t c;
    bridge_options_t oo = *o;
    if (setup(&c, &oo, 0)) {
        json_decref(in);
        return 1;
    }
    json_t *rec = json_pack("{s:i}", "version", 1);
    for (size_t i = 0; i < sizeof export_fields / sizeof export_fields[0]; i++)
        if (jstr(in, export_fields[i]))
            json_object_set_new(rec, export_fields[i], json_string(jstr(in, export_fields[i])));
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
    teardown(&c);
    return rc ? 1 : 0;
}

int commands_run(const bridge_options_t *o)
{
    switch (o->command) {
    case COMMAND_LOGIN:
        return cmd_login(o);
    case COMMAND_LOGOUT:
        return cmd_logout(o);
    case COMMAND_STATUS:
        return cmd_status(o);
    case COMMAND_TOKEN:
        return cmd_token(o);
    case COMMAND_DOCTOR:
        return doctor_run(o);
    case COMMAND_EXPORT:
        return cmd_export(o);
    case COMMAND_IMPORT:
        return cmd_import(o);
    default:
        return 2;
    }
}
