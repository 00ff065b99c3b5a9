/* Start-up while the person signs in: the host's initialize is answered at
 * once (from the server's last InitializeResult, or one declaring listChanged),
 * the host is shown the authorization URL through a tool of its own and a log
 * message, and when the sign-in ends the real answer replaces it (list_changed).
 * Other requests that need the server get an error that names the URL. */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/err.h"
#include "bridge/base/jsonrpc.h"
#include "bridge/base/log.h"
#include "bridge/base/privfile.h"
#include "bridge/mcp/modern.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIGNIN_CACHE_MAX (256 * 1024) /* the largest InitializeResult kept */
#define SIGNIN_TOOL_MAX 64            /* tool names: 1 to 64 of [A-Za-z0-9_.-] */
#define SIGNIN_GRACE_MS 2500          /* how long the host's initialize waits for the sign-in */

/* ---- the record: $XDG_CACHE_HOME/mcp-bridge/init/<sha256(url)> ---- */

/* The record of `kind` ("init": an InitializeResult; "discover": a
 * DiscoverResult), read as outside input: a regular file (opened without
 * waiting, so a FIFO put there cannot hang the start), bounded, and an object
 * whose `member` is of `type`. */
json_t *relay_signin_cache_read(const relay_t *r, const char *kind, const char *member,
                                json_type type)
{
    char dir[1024], file[1100];
    if (relay_cache_path(r, kind, dir, sizeof dir, file, sizeof file) != 0) return NULL;
    int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return NULL;
    struct stat st;
    json_t *j = NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= SIGNIN_CACHE_MAX &&
        (text = malloc(cap = (size_t)st.st_size + 1)) != NULL) {
        /* To the end; a file longer than fstat said is changing: not used. */
        ssize_t n = 1;
        while (len < cap && (n = read(fd, text + len, cap - len)) != 0) {
            if (n < 0 && errno != EINTR) break;
            if (n > 0) len += (size_t)n;
        }
        json_error_t err;
        if (n == 0) j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    }
    free(text);
    close(fd);
    json_t *m = json_object_get(j, member);
    if (!json_is_object(j) || !m || json_typeof(m) != type) {
        json_decref(j);
        return NULL;
    }
    return j;
}

void relay_signin_cache_write(const relay_t *r, const char *kind, json_t *result)
{
    char dir[1024], file[1100];
    if (relay_cache_path(r, kind, dir, sizeof dir, file, sizeof file) != 0) return;
    char *text = json_dumps(result, JSON_COMPACT);
    if (!text) return;
    size_t n = strlen(text);
    if (n <= SIGNIN_CACHE_MAX && privdir_make(dir) == 0 && privfile_write(file, text, n) != 0)
        log_debug("could not keep the server's %s result in %s", kind, file);
    free(text);
}

/* ---- what the host is told ---- */

/* sign_in_<host of the server URL>, with every other character made '_'. */
static void tool_name(const relay_t *r, char *out, size_t n)
{
    assert(n > SIGNIN_TOOL_MAX);
    const char *host = strstr(r->cfg->url, "://");
    host = host ? host + 3 : r->cfg->url;
    size_t len = (size_t)snprintf(out, n, "sign_in_");
    for (const char *c = host; *c && *c != '/' && *c != ':' && *c != '?' && len < SIGNIN_TOOL_MAX;
         c++) {
        int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                 *c == '-' || *c == '.';
        out[len++] = ok ? *c : '_';
    }
    out[len] = 0;
}

/* A formatted string (malloc'd), or NULL. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

char *relay_signin_status(const relay_t *r)
{
    if (r->signin_held)
        return format("Sign-in to %s is needed. It begins, in a browser, when this server is "
                      "first used.",
                      r->cfg->url);
    if (r->signin == SIGNIN_FAILED)
        return format("Signing in to %s failed: %s. Restart this server in your application "
                      "to try again.",
                      r->cfg->url, r->signin_why ? r->signin_why : "no reason given");
    else if (!r->signin_url)
        return format("Another mcp-bridge on this computer is signing in to %s; finish the "
                      "sign-in in the browser it opened. The server's tools will appear here "
                      "when it is done.",
                      r->cfg->url);
    if (r->signin_code)
        return format("Sign-in to %s is needed. Open this URL in a browser and enter the code "
                      "%s: %s  Status: waiting for the sign-in. The server's tools will appear "
                      "here when it is done.",
                      r->cfg->url, r->signin_code, r->signin_url);
    return format("Sign-in to %s is needed. Open this URL in a browser and sign in: %s  "
                  "Status: waiting for the sign-in. The server's tools will appear here "
                  "when it is done.",
                  r->cfg->url, r->signin_url);
}

void relay_signin_answer(relay_t *r, batch_t *b, json_t *id, json_t *result)
{
    if (result && r->host_era == ERA_MODERN) {
        json_object_set_new(result, "resultType", json_string("complete"));
        /* Lists and server/discover are cacheable results: what is said here
         * stands for the moment only, and for this person. */
        static const char *const cacheable[] = {"tools", "prompts", "resources",
                                                "resourceTemplates", "supportedVersions"};
        for (size_t i = 0; i < sizeof cacheable / sizeof *cacheable; i++)
            if (json_object_get(result, cacheable[i])) {
                json_object_set_new(result, "ttlMs", json_integer(0));
                json_object_set_new(result, "cacheScope", json_string("private"));
                break;
            }
    }
    json_t *resp = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result);
    char *s = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
    json_decref(resp);
    if (s)
        relay_emit_response(r, b, s, strlen(s));
    else
        relay_emit_error(r, b, id, JR_INTERNAL_ERROR, "out of memory");
}

void relay_signin_notify(relay_t *r, json_t *note)
{
    char *s = note ? json_dumps(note, JSON_COMPACT) : NULL;
    json_decref(note);
    if (s) relay_emit_owned(r, s, strlen(s));
}

/* A host that declared URL-mode elicitation (2025-11-25 and later) is asked
 * to open the sign-in URL: for the host the bridge is the MCP server, and the
 * remote server is a third party it signs in to (client/elicitation.mdx, URL
 * Mode Elicitation for OAuth Flows), not the host's own authorization. */
static void elicit_url(relay_t *r)
{
    json_t *url_mode = json_object_get(json_object_get(r->client_caps, "elicitation"), "url");
    if (!url_mode || !r->signin_url || r->signin != SIGNIN_WAITING || r->signin_elicit_key ||
        !r->host_version || strcmp(r->host_version, "2025-11-25") < 0)
        return;
    char id[48], message[600];
    snprintf(id, sizeof id, "mcp-bridge-signin-%u", ++r->signin_seq);
    if (r->signin_code)
        snprintf(message, sizeof message,
                 "Sign in to %.400s to use its tools (enter the code %.40s on the page).",
                 r->cfg->url, r->signin_code);
    else
        snprintf(message, sizeof message, "Sign in to %.400s to use its tools.", r->cfg->url);
    json_t *jid = json_string(id);
    json_t *req = json_pack("{s:s, s:O, s:s, s:{s:s, s:s, s:s, s:s}}", "jsonrpc", "2.0", "id", jid,
                            "method", "elicitation/create", "params", "mode", "url", "message",
                            message, "url", r->signin_url, "elicitationId", id);
    r->signin_elicit_key = jr_id_key(jid);
    json_decref(jid);
    relay_signin_notify(r, req);
}

int relay_signin_host_response(relay_t *r, json_t *id)
{
    if (!r->signin_elicit_key || !jr_id_is(id, r->signin_elicit_key)) return 0;
    /* Accepted, declined or cancelled: the sign-in goes on either way, and the
     * tool and the errors still say where it stands. */
    return 1;
}

/* The sign-in is done: the URL elicitation the host may still show is over. */
static void elicit_complete(relay_t *r)
{
    if (!r->signin_elicit_key) return;
    const char *id = r->signin_elicit_key + 2; /* "s:<id>" */
    relay_signin_notify(r, json_pack("{s:s, s:s, s:{s:s}}", "jsonrpc", "2.0", "method",
                                     "notifications/elicitation/complete", "params",
                                     "elicitationId", id));
    free(r->signin_elicit_key);
    r->signin_elicit_key = NULL;
}

/* notifications/message with the status, for hosts that show the server's log. */
static void tell_host(relay_t *r)
{
    if (!r->host_initialized || r->signin_noted) return;
    elicit_url(r);
    char *text = relay_signin_status(r);
    if (!text) return;
    r->signin_noted = 1;
    relay_signin_notify(r, json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "jsonrpc", "2.0", "method",
                                     "notifications/message", "params", "level",
                                     r->signin == SIGNIN_FAILED ? "error" : "warning", "logger",
                                     "mcp-bridge", "data", text));
    free(text);
}

/* capabilities.<name> with listChanged, when the list may change or is absent. */
static void declare_list(json_t *caps, const char *name)
{
    json_t *c = json_object_get(caps, name);
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(caps, name, c);
    }
    json_object_set_new(c, "listChanged", json_true());
}

void relay_signin_declare_lists(json_t *result)
{
    json_t *caps = json_object_get(result, "capabilities");
    if (!json_is_object(caps)) {
        caps = json_object();
        json_object_set_new(result, "capabilities", caps);
    }
    declare_list(caps, "tools");
    declare_list(caps, "prompts");
    declare_list(caps, "resources");
}

/* The InitializeResult the host gets now: the server's last one, or one made
 * here; either way tools, prompts and resources can announce their changes. */
static json_t *initialize_result(relay_t *r)
{
    json_t *result = r->signin_cached ? json_deep_copy(r->signin_cached) : NULL;
    if (!result) {
        char *text = relay_signin_status(r);
        result = json_pack("{s:s, s:{s:{}}, s:{s:s, s:s}, s:s?}", "protocolVersion",
                           r->host_version ? r->host_version : "2025-06-18", "capabilities",
                           "logging", "serverInfo", "name", "mcp-bridge", "version",
                           MCP_BRIDGE_VERSION, "instructions", text);
        free(text);
        if (!result) return NULL;
    }
    relay_signin_declare_lists(result);
    return result;
}

/* The host's initialize still waits for the sign-in: answered now. */
static void on_grace_timer(uv_timer_t *t)
{
    relay_t *r = t->data;
    if (r->host_era == ERA_MODERN) {
        relay_signin_modern_grace(r);
        return;
    }
    pending_t *p = r->authing && r->init_key && r->init_in_flight && !r->host_initialized
                       ? pending_find(&r->pending, r->init_key)
                       : NULL;
    if (!p || r->signin_init_key || r->stopping) return;
    r->signin = SIGNIN_WAITING;
    json_decref(r->signin_cached);
    r->signin_cached = relay_signin_cache_read(r, "init", "protocolVersion", JSON_STRING);
    json_t *result = initialize_result(r);
    if (!result) {
        r->signin = SIGNIN_NONE;
        return;
    }
    r->signin_init_key = strdup(p->id_key);
    log_info("answering the host's initialize while the sign-in to %s goes on (%s)", r->cfg->url,
             r->signin_cached ? "the server's last answer" : "no earlier answer kept");
    relay_signin_answer(r, p->batch, p->id, result);
}

void relay_signin_init(relay_t *r)
{
    uv_timer_init(r->loop, &r->signin_timer);
    r->signin_timer.data = r;
}

void relay_signin_on_url(void *ud, const char *url, const char *user_code)
{
    relay_t *r = ud;
    free(r->signin_url);
    free(r->signin_code);
    free(r->signin_elicit_key);
    r->signin_url = url ? strdup(url) : NULL;
    free(r->signin_code);
    r->signin_code = user_code ? strdup(user_code) : NULL;
    if (r->host_era == ERA_MODERN) {
        /* Its requests are answered here once the grace is over (or already,
         * when the browser was held for it). */
        if (r->signin != SIGNIN_NONE) return;
    } else if (r->signin_init_key || !r->init_in_flight || r->host_initialized) {
        return;
    }
    /* A sign-in that finishes at once (a browser already signed in) is not
     * worth a stand-in answer; a person takes longer than this. */
    if (!uv_is_active((uv_handle_t *)&r->signin_timer))
        uv_timer_start(&r->signin_timer, on_grace_timer, SIGNIN_GRACE_MS, 0);
}

/* ---- requests while signing in ---- */

static json_t *signin_tool(relay_t *r)
{
    char name[SIGNIN_TOOL_MAX + 1];
    tool_name(r, name, sizeof name);
    char *status = relay_signin_status(r);
    char *desc =
        format("%s Call this tool to see where the sign-in stands. Until it is done, other "
               "requests to this server fail at once with an error that gives the same URL.",
               status ? status : "");
    free(status);
    json_t *tool =
        json_pack("{s:s, s:s, s:{s:s, s:{}}}", "name", name, "description", desc ? desc : "Sign in",
                  "inputSchema", "type", "object", "properties");
    free(desc);
    return tool;
}

int relay_signin_host_request(relay_t *r, json_t *msg, json_t *id, const char *method, batch_t *b)
{
    if (r->signin == SIGNIN_NONE || !strcmp(method, "initialize")) return 0;
    if (r->host_era == ERA_MODERN) {
        int taken = relay_signin_modern_request(r, msg, id, method, b);
        if (taken >= 0) return taken;
    }
    if (!strcmp(method, "ping")) {
        relay_signin_answer(r, b, id, json_object());
        return 1;
    }
    if (!strcmp(method, "tools/list")) {
        r->signin_lists |= SIGNIN_LIST_TOOLS;
        relay_signin_answer(r, b, id, json_pack("{s:[o]}", "tools", signin_tool(r)));
        return 1;
    }
    if (!strcmp(method, "prompts/list")) {
        r->signin_lists |= SIGNIN_LIST_PROMPTS;
        relay_signin_answer(r, b, id, json_pack("{s:[]}", "prompts"));
        return 1;
    }
    if (!strcmp(method, "resources/list") || !strcmp(method, "resources/templates/list")) {
        r->signin_lists |= SIGNIN_LIST_RESOURCES;
        relay_signin_answer(
            r, b, id, json_pack("{s:[]}", method[10] == 't' ? "resourceTemplates" : "resources"));
        return 1;
    }
    char *status = relay_signin_status(r);
    if (!strcmp(method, "tools/call")) {
        char name[SIGNIN_TOOL_MAX + 1];
        tool_name(r, name, sizeof name);
        json_t *called = json_object_get(json_object_get(msg, "params"), "name");
        if (json_is_string(called) && !strcmp(json_string_value(called), name)) {
            relay_signin_answer(r, b, id,
                                json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text",
                                          "text", status ? status : "out of memory", "isError",
                                          r->signin == SIGNIN_FAILED));
            free(status);
            return 1;
        }
    }
    relay_emit_error(r, b, id, JR_SERVER_ERROR, status ? status : "a sign-in is under way");
    free(status);
    return 1;
}

void relay_signin_host_initialized(relay_t *r)
{
    if (r->signin != SIGNIN_NONE) tell_host(r);
}

/* ---- the end of the sign-in ---- */

void relay_signin_on_done(relay_t *r, int rc, const char *why)
{
    uv_timer_stop(&r->signin_timer);
    if (r->signin != SIGNIN_WAITING) return;
    if (!rc) {
        log_info("signed in to %s; setting up the session the host was told about", r->cfg->url);
        elicit_complete(r);
        r->signin = SIGNIN_NONE;
        /* A 2026 host hears of it when the server's era is known; here when
         * it was known before the sign-in. */
        if (r->era != ERA_UNKNOWN) relay_signin_era_known(r, NULL, r->discover);
        return;
    }
    r->signin = SIGNIN_FAILED;
    elicit_complete(r); /* the interaction is over, though it failed */
    free(r->signin_why);
    r->signin_why = strdup(why ? why : "unknown");
    /* The host's initialize was answered: its failure is not said twice. */
    pending_t *p = r->signin_init_key ? pending_find(&r->pending, r->signin_init_key) : NULL;
    if (p) {
        if (p->msg && p->msg->pending == p) p->msg->pending = NULL;
        pending_remove(&r->pending, p);
    }
    free(r->signin_init_key);
    r->signin_init_key = NULL;
    r->signin_noted = 0;
    tell_host(r);
    /* The tool's description changes to say so: a host that listed it lists again. */
    if (r->signin_lists & SIGNIN_LIST_TOOLS) relay_signin_list_changed(r, "tools");
}

/* The real InitializeResult is in: kept for the next start, and the host told
 * to read again what it read here or what differs from what it was given. */
static void settle(relay_t *r, json_t *result)
{
    int same = r->signin_cached && json_equal(r->signin_cached, result);
    relay_signin_cache_write(r, "init", result);
    static const char *const lists[] = {"tools", "prompts", "resources"};
    for (unsigned i = 0; i < 3; i++) {
        if (same && !(r->signin_lists & (1u << i))) continue;
        relay_signin_list_changed(r, lists[i]);
    }
    log_info("the session with %s is set up; the host was told to list again", r->cfg->url);
    json_decref(r->signin_cached);
    r->signin_cached = NULL;
    free(r->signin_init_key);
    r->signin_init_key = NULL;
    r->signin_lists = 0;
}

static int ours(const relay_t *r, const pending_t *p)
{
    return r->signin_init_key && !strcmp(r->signin_init_key, p->id_key);
}

int relay_signin_take_init(relay_t *r, pending_t *p, json_t *root)
{
    if (!ours(r, p)) return 0;
    json_t *result = json_object_get(root, "result");
    if (json_is_object(result)) {
        settle(r, result);
    } else {
        json_t *msg = json_object_get(json_object_get(root, "error"), "message");
        char why[600];
        snprintf(why, sizeof why, "the server refused initialize after the sign-in: %s",
                 json_is_string(msg) ? json_string_value(msg) : "no reason given");
        relay_log_failure(r, why);
        free(r->signin_init_key);
        r->signin_init_key = NULL;
    }
    if (p->msg && p->msg->pending == p) p->msg->pending = NULL;
    pending_remove(&r->pending, p);
    return 1;
}

int relay_signin_take_modern_init(relay_t *r, pending_t *p)
{
    if (!ours(r, p)) return 0;
    json_t *result = modern_initialize_result(r->discover, r->host_version);
    if (result) {
        json_t *v = json_object_get(result, "protocolVersion");
        free(r->protocol_version);
        r->protocol_version = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
        settle(r, result);
        json_decref(result);
    } else {
        relay_log_failure(r, "the server's server/discover result could not be read");
        free(r->signin_init_key);
        r->signin_init_key = NULL;
    }
    pending_remove(&r->pending, p);
    return 1;
}

void relay_signin_free(relay_t *r)
{
    relay_signin_modern_free(r);
    free(r->signin_url);
    free(r->signin_code);
    free(r->signin_elicit_key);
    free(r->signin_why);
    free(r->signin_init_key);
    json_decref(r->signin_cached);
}
