/* Command-line parsing driven by options_table[]. */
#include "bridge/cli/options.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/base/buf.h"
#include "bridge/base/envsubst.h"
#include "bridge/relay/toolmatch.h"
#include "bridge/base/url.h"

#include <jansson.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_MESSAGE_SIZE (64u * 1024 * 1024)

/* Which commands an option applies to. */
#define CMDS_ALL 0xffu
#define CMDS_RELAY OPT_CMD(COMMAND_RELAY)
#define CMDS_SESSION (CMDS_RELAY | OPT_CMD(COMMAND_DOCTOR))
/* Everything that talks to the server or its authorization server. */
#define CMDS_NET                                                                                   \
    (CMDS_SESSION | OPT_CMD(COMMAND_LOGIN) | OPT_CMD(COMMAND_LOGOUT) | OPT_CMD(COMMAND_TOKEN))
#define SAME OPT_REMOTE_SAME, NULL
#define NONE OPT_REMOTE_NONE, NULL

const opt_def_t options_table[] = {
    {"header", "NAME: VALUE", OPT_GROUP_CONNECTION, 1,
     "Send this HTTP header with every request; ${VAR} is taken from the environment", SAME,
     "An unset ${VAR} is a usage error (exit 2) naming the variable, where mcp-remote warns and "
     "sends the text ${VAR} as it is: a header with a placeholder for a value is a credential "
     "that is missing, and the server's refusal would only start a sign-in that cannot help.",
     CMDS_NET},
    {"header-file", "FILE", OPT_GROUP_CONNECTION, 1,
     "Read headers from FILE, one \"Name: value\" per line ('#' starts a comment)", SAME, NULL,
     CMDS_NET},
    {"allow-http", NULL, OPT_GROUP_CONNECTION, 0,
     "Allow plain http:// to hosts other than loopback", SAME, NULL, CMDS_NET},
    {"transport", "MODE", OPT_GROUP_CONNECTION, 0,
     "http-first (default), sse-first, http-only or sse-only", SAME,
     "Another value is logged as a warning and http-first is used, as mcp-remote does: "
     "http-first reaches servers of either transport, so the session still works.",
     CMDS_SESSION},
    {"protocol", "MODE", OPT_GROUP_CONNECTION, 0,
     "legacy or auto: accepted for mcp-remote; the protocol revision follows the host",
     OPT_REMOTE_DIFFERS, "accepted; the revision follows the host",
     "mcp-remote speaks the older protocol revisions to the server unless given --protocol "
     "auto. The bridge relays the host's own initialize request, so the revision is the one "
     "the host and the server agree on, newer ones included, whichever value is given. Another "
     "value is logged as a warning and ignored, as mcp-remote does.",
     CMDS_SESSION},
    {"ignore-tool", "PATTERN", OPT_GROUP_CONNECTION, 1,
     "Hide tools whose name matches PATTERN from tools/list and refuse to call them", SAME,
     "As in mcp-remote, PATTERN matches the whole name, letters match in either case, and '*' "
     "stands for any run of characters (no other character is special): --ignore-tool "
     "'delete*' hides delete_file and DeleteAll. A call to a hidden tool is answered with an "
     "error.",
     CMDS_RELAY},
    {"connect-timeout", "SECONDS", OPT_GROUP_CONNECTION, 0,
     "Give up connecting to the server after SECONDS (default 10)", SAME, NULL, CMDS_NET},
    {"headers-timeout", "SECONDS", OPT_GROUP_CONNECTION, 0,
     "Give up waiting for response headers after SECONDS (default 300; 0: never)", SAME, NULL,
     CMDS_NET},
    {"body-timeout", "SECONDS", OPT_GROUP_CONNECTION, 0,
     "Give up on a response that sends nothing for SECONDS (default 300; 0: never)", SAME, NULL,
     CMDS_NET},
    {"keep-alive", NULL, OPT_GROUP_CONNECTION, 0,
     "Send the server a ping every 30 s so idle sessions are not dropped", SAME, NULL, CMDS_RELAY},
    {"ping-interval", "SECONDS", OPT_GROUP_CONNECTION, 0,
     "Ping the server every SECONDS (turns --keep-alive on)", SAME, NULL, CMDS_RELAY},
    {"enable-proxy", NULL, OPT_GROUP_CONNECTION, 0,
     "Use the proxy in HTTPS_PROXY/HTTP_PROXY, NO_PROXY hosts direct (else no proxy at all)", SAME,
     NULL, CMDS_NET},
    {"ipv4", NULL, OPT_GROUP_CONNECTION, 0, "Connect over IPv4 only", SAME, NULL, CMDS_NET},
    {"cacert", "FILE", OPT_GROUP_CONNECTION, 0,
     "Trust the CAs in this PEM file, not the system's (else $CURL_CA_BUNDLE, $SSL_CERT_FILE; "
     "$NODE_EXTRA_CA_CERTS adds CAs)",
     OPT_REMOTE_NONE, "$NODE_EXTRA_CA_CERTS, also honoured", NULL, CMDS_NET},
    {"cert", "FILE", OPT_GROUP_CONNECTION, 0,
     "Present this PEM client certificate to servers that ask (mutual TLS)", NONE, NULL, CMDS_NET},
    {"key", "FILE", OPT_GROUP_CONNECTION, 0,
     "The unencrypted PEM private key of --cert (default: read from the --cert file)", NONE, NULL,
     CMDS_NET},
    {"disable-cookies", NULL, OPT_GROUP_CONNECTION, 0,
     "Neither keep nor send back the cookies servers set", SAME,
     "Without it, cookies a server sets (load balancers pin a session to one node with them) "
     "are sent back for the life of the process, kept in memory only and never written to "
     "disk, as mcp-remote does.",
     CMDS_NET},
    {"static-oauth-client-info", "JSON|@FILE", OPT_GROUP_AUTH, 0,
     "A client registered in advance: {\"client_id\":...,\"client_secret\":...}; ${VAR} allowed",
     SAME, NULL, CMDS_NET},
    {"static-oauth-client-metadata", "JSON|@FILE", OPT_GROUP_AUTH, 0,
     "Fields merged into the dynamic client registration request", SAME, NULL, CMDS_NET},
    {"client-metadata-url", "URL", OPT_GROUP_AUTH, 0,
     "Your client ID metadata document (https URL), used as client_id where the server supports it",
     SAME, NULL, CMDS_NET},
    {"scope", "SCOPES", OPT_GROUP_AUTH, 0,
     "Request these space-separated scopes instead of the ones the server names", NONE, NULL,
     CMDS_NET},
    {"resource", "URI", OPT_GROUP_AUTH, 0,
     "The RFC 8707 resource to request tokens for (default: from the server's metadata)", SAME,
     "An empty URI leaves the resource parameter out, as --disable-resource-parameter does.",
     CMDS_NET},
    {"disable-resource-parameter", NULL, OPT_GROUP_AUTH, 0,
     "Never send the resource parameter (for servers that reject it)", SAME, NULL, CMDS_NET},
    {"callback-port", "PORT", OPT_GROUP_AUTH, 0,
     "Port of the sign-in redirect listener (default: derived from the URL); also the 2nd argument",
     OPT_REMOTE_NONE, "the 2nd argument", NULL, CMDS_NET},
    {"callback-path", "PATH", OPT_GROUP_AUTH, 0,
     "Path of the sign-in redirect URI (default /oauth/callback)", SAME, NULL, CMDS_NET},
    {"authorize-param", "KEY=VALUE", OPT_GROUP_AUTH, 1,
     "Add this parameter to the authorization URL (e.g. prompt=consent)", SAME,
     "The parameters the sign-in sets itself cannot be given, as in mcp-remote: client_id, "
     "redirect_uri, response_type, state, code_challenge and code_challenge_method. For "
     "resource, use --resource, so that the token request names the same resource.",
     CMDS_NET},
    {"auth-success-url", "URL", OPT_GROUP_AUTH, 0,
     "Send the browser to this page once the sign-in redirect arrived", SAME, NULL, CMDS_NET},
    {"use-id-token", NULL, OPT_GROUP_AUTH, 0,
     "Send the OpenID Connect ID token to the server instead of the access token", SAME, NULL,
     CMDS_NET},
    {"client-credentials", NULL, OPT_GROUP_AUTH, 0,
     "No person: get tokens with the client credentials grant (needs a client secret)", SAME, NULL,
     CMDS_NET},
    {"device-code", NULL, OPT_GROUP_AUTH, 0,
     "Sign in on another device: print a code and a URL, then wait (RFC 8628)", SAME, NULL,
     CMDS_NET},
    {"token-endpoint", "URL", OPT_GROUP_AUTH, 0,
     "With --client-credentials: use this token endpoint and skip discovery", SAME, NULL, CMDS_NET},
    {"host", "HOST", OPT_GROUP_AUTH, 0, "Host name in the sign-in redirect URI (default 127.0.0.1)",
     OPT_REMOTE_DIFFERS, "default localhost",
     "mcp-remote's default is localhost. The bridge names 127.0.0.1 in the redirect URI, the "
     "loopback address its listener owns, which no hosts file can send elsewhere (RFC 8252, "
     "section 8.3). Give --host localhost when a client was registered with a localhost "
     "redirect URI.",
     CMDS_NET},
    {"auth-timeout", "SECONDS", OPT_GROUP_AUTH, 0,
     "How long to wait for the browser sign-in (default 300)", OPT_REMOTE_DIFFERS, "default 30",
     "mcp-remote waits 30 seconds. The bridge waits 300 by default: a person signing in with "
     "a password manager and a second factor often needs more than 30 seconds, and giving up "
     "early means starting the sign-in again.",
     CMDS_NET},
    {"no-browser", NULL, OPT_GROUP_AUTH, 0,
     "Never open a browser: fail with instructions when a sign-in is needed", NONE, NULL, CMDS_NET},
    {"refresh-token-file", "FILE", OPT_GROUP_AUTH, 0,
     "Start from the refresh token in FILE (or $MCP_BRIDGE_REFRESH_TOKEN) when none is stored",
     NONE, NULL, CMDS_NET},
    {"token-store", "WHERE", OPT_GROUP_STORAGE, 0,
     "keychain, file or memory (default: the OS keychain when it answers, else file)", NONE,
     "The file store is ~/.config/mcp-bridge (or under $XDG_CONFIG_HOME); with "
     "$MCP_REMOTE_CONFIG_DIR set, $MCP_REMOTE_CONFIG_DIR/mcp-bridge. Credentials stored by "
     "mcp-remote are not read.",
     CMDS_ALL},
    {"all", NULL, OPT_GROUP_STORAGE, 0, "logout: forget every stored credential", NONE, NULL,
     OPT_CMD(COMMAND_LOGOUT)},
    {"output", "FILE", OPT_GROUP_STORAGE, 0,
     "export: write to FILE (mode 0600, replaced whole) instead of stdout (also -o FILE)", NONE,
     NULL, OPT_CMD(COMMAND_EXPORT)},
    /* Moving from mcp-remote without signing in again. */
    {"mcp-remote-callback", NULL, OPT_GROUP_AUTH, 0,
     "Use mcp-remote's redirect URI for this server (http://localhost:<port from the URL>"
     "/oauth/callback), for a client registered for it",
     NONE,
     "The port is the one mcp-remote derives from the server URL (and --resource, "
     "--authorize-param and --header values); --host, --callback-port and --callback-path "
     "change it as they change mcp-remote's. The listener then waits on 127.0.0.1 and [::1].",
     CMDS_SESSION | OPT_CMD(COMMAND_LOGIN)},
    {"from-mcp-remote", NULL, OPT_GROUP_STORAGE, 0,
     "import: take over the sign-ins mcp-remote left in ~/.mcp-auth (or $MCP_REMOTE_CONFIG_DIR)",
     NONE, NULL, OPT_CMD(COMMAND_IMPORT)},
    {"max-message-size", "BYTES", OPT_GROUP_LIMITS, 0,
     "Largest JSON-RPC message accepted from either side (default 64 MiB; k/M suffixes)", NONE,
     NULL, CMDS_SESSION},
    {"max-pending", "N", OPT_GROUP_LIMITS, 0,
     "Most requests from the host in flight at once (default 1024)", NONE, NULL, CMDS_RELAY},
    {"max-queued-bytes", "BYTES", OPT_GROUP_LIMITS, 0,
     "Most bytes waiting for the host to read them (default 256 MiB)", NONE, NULL, CMDS_RELAY},
    {"max-metadata-size", "BYTES", OPT_GROUP_LIMITS, 0,
     "Largest OAuth metadata, registration or token document accepted (default 1 MiB)", NONE, NULL,
     CMDS_NET},
    {"debug", NULL, OPT_GROUP_LOGGING, 0,
     "Log every HTTP exchange and protocol step to stderr (never secrets)", OPT_REMOTE_DIFFERS,
     "writes to ~/.mcp-auth/ files",
     "mcp-remote writes its debug log to files under ~/.mcp-auth. The bridge writes it to "
     "stderr, which MCP hosts already keep in their own log, and with --log-file also to a "
     "file you choose. Tokens, secrets, codes and verifiers are never logged.",
     CMDS_ALL},
    {"silent", NULL, OPT_GROUP_LOGGING, 0, "Log nothing but fatal errors", SAME, NULL, CMDS_ALL},
    {"log-file", "FILE", OPT_GROUP_LOGGING, 0, "Also append the log to FILE, with timestamps", NONE,
     NULL, CMDS_ALL},
    {"version", NULL, OPT_GROUP_GENERAL, 0, "Print the version and exit", SAME, NULL, CMDS_ALL},
    {"help", NULL, OPT_GROUP_GENERAL, 0, "Print this help and exit (also -h)", SAME, NULL,
     CMDS_ALL},
};
const size_t options_table_len = sizeof options_table / sizeof options_table[0];

/* Index = enum bridge_command; "" is relaying (no subcommand). */
const char *const command_names[] = {"",      "login",  "logout", "status",
                                     "token", "doctor", "export", "import"};

const command_doc_t command_docs[] = {
    [COMMAND_RELAY] = {NULL, NULL},
    [COMMAND_LOGIN] = {"<server-url>", "Sign in to the server now and store the credentials"},
    [COMMAND_LOGOUT] = {"<server-url> | --all", "Revoke the stored tokens where the server allows "
                                                "it and delete them (--all: every server)"},
    [COMMAND_STATUS] =
        {"[<server-url>]",
         "List the stored credentials: issuer, scope, expiry, and where they are kept"},
    [COMMAND_TOKEN] =
        {"<server-url>",
         "Print a valid access token for the server on stdout (refreshing it if needed)"},
    [COMMAND_DOCTOR] =
        {"<server-url>",
         "Check the server step by step: URL, connection, initialize, OAuth discovery"},
    [COMMAND_EXPORT] =
        {"<server-url> [-o FILE]",
         "Print the server's credentials (a refresh token: a secret) as JSON on stdout, or "
         "write them to FILE (0600)"},
    [COMMAND_IMPORT] = {"[FILE | -]",
                        "Store credentials written by export, from FILE or stdin; the "
                        "next start refreshes them"},
};

const char *const option_group_titles[] = {
    [OPT_GROUP_CONNECTION] = "Connection", [OPT_GROUP_AUTH] = "Authentication (OAuth)",
    [OPT_GROUP_STORAGE] = "Storage",       [OPT_GROUP_LIMITS] = "Limits",
    [OPT_GROUP_LOGGING] = "Logging",       [OPT_GROUP_GENERAL] = "General",
};

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) return BRIDGE_EINVAL;
    *out = v;
    return 0;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-') return BRIDGE_EINVAL;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    if (*end || v == 0 || v > (1ull << 31) / mul) return BRIDGE_EINVAL;
    *out = (size_t)(v * mul);
    return 0;
}

static int push_string(char ***arr, size_t *len, const char *s)
{
    char **n = realloc(*arr, (*len + 1) * sizeof **arr);
    if (!n) return BRIDGE_ENOMEM;
    *arr = n;
    if (!(n[*len] = strdup(s))) return BRIDGE_ENOMEM;
    (*len)++;
    return 0;
}

/* A warning for the log once it is open (see bridge_options_t.warnings). */
static int add_warning(bridge_options_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int add_warning(bridge_options_t *o, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return push_string(&o->warnings, &o->warnings_len, line);
}

/* The authorization request parameters the sign-in derives per request (mcp-remote
 * refuses the same ones): the name of the one KEY (white space around it ignored)
 * would set, or NULL. */
static const char *authorize_param_reserved(const char *key, size_t len)
{
    static const char *const reserved[] = {"client_id", "redirect_uri",   "response_type",
                                           "state",     "code_challenge", "code_challenge_method"};
    while (len && (*key == ' ' || *key == '\t'))
        key++, len--;
    while (len && (key[len - 1] == ' ' || key[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == len && !strncmp(key, reserved[i], len)) return reserved[i];
    return NULL;
}

static int set_string(char **slot, const char *v)
{
    free(*slot);
    return (*slot = strdup(v)) ? 0 : BRIDGE_ENOMEM;
}

static int parse_port(const char *val, int *port, char *err, size_t errlen)
{
    long v;
    if (parse_long(val, 1, 65535, &v) == 0) {
        *port = (int)v;
        return 0;
    }
    snprintf(err, errlen, "\"%s\" is not a port number (1-65535)", val);
    return BRIDGE_EINVAL;
}

/* JSON given inline or as @FILE, with ${VAR} substituted. */
static int load_json_option(const char *name, const char *val, char **slot, char *err,
                            size_t errlen)
{
    char *text = NULL;
    if (val[0] == '@') {
        FILE *f = fopen(val + 1, "re");
        if (!f) {
            snprintf(err, errlen, "--%s: cannot read %s", name, val + 1);
            return BRIDGE_EIO;
        }
        buf_t b;
        buf_init(&b, 1024 * 1024);
        char chunk[4096];
        size_t n;
        int rc = 0;
        while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            rc = buf_append(&b, chunk, n);
        fclose(f);
        if (rc) {
            buf_free(&b);
            snprintf(err, errlen, "--%s: %s is too large", name, val + 1);
            return rc;
        }
        text = buf_steal(&b);
    } else {
        text = strdup(val);
    }
    if (!text) return BRIDGE_ENOMEM;
    char bad[128], *out = NULL;
    int rc = envsubst(text, &out, bad, sizeof bad, NULL);
    free(text);
    if (rc == BRIDGE_EUNSET) {
        snprintf(err, errlen, "--%s: environment variable %s is not set", name, bad);
        return rc;
    }
    if (rc) {
        snprintf(err, errlen, "--%s: malformed ${VAR} reference", name);
        return rc;
    }
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "--%s: not a JSON object (%s)", name,
                 j ? "another JSON value" : je.text);
        json_decref(j);
        free(out);
        return BRIDGE_EINVAL;
    }
    json_decref(j);
    free(*slot);
    *slot = out;
    return 0;
}

/* A secret kept in a file: the first line, without surrounding white space. */
static int read_secret_file(const char *path, char **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "cannot read %s", path);
        return BRIDGE_EIO;
    }
    char line[16384];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    char *p = line, *e;
    if (ok) {
        while (*p == ' ' || *p == '\t')
            p++;
        e = p + strlen(p);
        while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            *--e = 0;
    }
    if (!ok || !*p) {
        snprintf(err, errlen, "%s holds no refresh token", path);
        return BRIDGE_EINVAL;
    }
    free(*out);
    *out = strdup(p);
    OPENSSL_cleanse(line, sizeof line);
    return *out ? 0 : BRIDGE_ENOMEM;
}

/* Apply one option with its argument (NULL for flags). */
static int apply(bridge_options_t *o, const opt_def_t *d, const char *val, char *err, size_t errlen)
{
    const char *n = d->name;
    if (!strcmp(n, "header")) return header_list_add(&o->headers, val, err, errlen);
    if (!strcmp(n, "header-file")) return header_list_add_file(&o->headers, val, err, errlen);
    if (!strcmp(n, "allow-http")) return o->allow_http = 1, 0;
    if (!strcmp(n, "debug")) return o->log_level = LOG_LEVEL_DEBUG, 0;
    if (!strcmp(n, "silent")) return o->log_level = LOG_LEVEL_SILENT, 0;
    if (!strcmp(n, "version")) return OPTIONS_EXIT_VERSION;
    if (!strcmp(n, "help")) return OPTIONS_EXIT_HELP;
    if (!strcmp(n, "ignore-tool")) {
        if (strlen(val) > TOOLMATCH_MAX_PATTERN) {
            snprintf(err, errlen, "--ignore-tool: a pattern is at most %d characters long",
                     TOOLMATCH_MAX_PATTERN);
            return BRIDGE_EINVAL;
        }
        return push_string(&o->ignore_tools, &o->ignore_tools_len, val);
    }
    if (!strcmp(n, "disable-cookies")) return o->disable_cookies = 1, 0;
    if (!strcmp(n, "protocol")) {
        if (!strcmp(val, "legacy") || !strcmp(val, "auto")) return 0;
        return add_warning(o, "--protocol \"%s\" is neither legacy nor auto; ignored", val);
    }
    if (!strcmp(n, "log-file")) {
        free(o->log_file);
        return (o->log_file = strdup(val)) ? 0 : BRIDGE_ENOMEM;
    }
    if (!strcmp(n, "output")) {
        free(o->output);
        return (o->output = strdup(val)) ? 0 : BRIDGE_ENOMEM;
    }
    if (!strcmp(n, "transport")) {
        for (int m = TRANSPORT_HTTP_FIRST; m <= TRANSPORT_SSE_ONLY; m++) {
            if (!strcmp(val, transport_mode_name((transport_mode_t)m))) {
                o->transport = (transport_mode_t)m;
                return 0;
            }
        }
        /* As mcp-remote: warn and go on, since http-first reaches servers of both kinds. */
        return add_warning(o,
                           "--transport \"%s\" is not http-first, sse-first, http-only or "
                           "sse-only; using http-first",
                           val);
    }
    if (!strcmp(n, "connect-timeout")) {
        if (parse_long(val, 1, 3600, &o->connect_timeout_s) == 0) return 0;
        snprintf(err, errlen, "--connect-timeout \"%s\": expected whole seconds from 1 to 3600",
                 val);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "max-pending")) {
        if (parse_long(val, 1, 1000000, &o->max_pending) == 0) return 0;
        snprintf(err, errlen, "--max-pending \"%s\": expected a whole number from 1 to 1000000",
                 val);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "max-queued-bytes") || !strcmp(n, "max-metadata-size")) {
        size_t *slot =
            !strcmp(n, "max-queued-bytes") ? &o->max_queued_bytes : &o->max_metadata_size;
        if (parse_size(val, slot) == 0 && *slot >= 1024) return 0;
        snprintf(err, errlen, "--%s \"%s\": expected a size from 1k to 2048M (e.g. 4M)", n, val);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "max-message-size")) {
        if (parse_size(val, &o->max_message_size) == 0 && o->max_message_size >= 1024) return 0;
        snprintf(err, errlen,
                 "--max-message-size \"%s\": expected a size from 1k to 2048M (e.g. 4M)", val);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "static-oauth-client-info") || !strcmp(n, "static-oauth-client-metadata")) {
        char **slot = !strcmp(n, "static-oauth-client-info") ? &o->static_client_info
                                                             : &o->static_client_metadata;
        return load_json_option(n, val, slot, err, errlen);
    }
    if (!strcmp(n, "client-metadata-url")) {
        if (strncmp(val, "https://", 8) != 0 || !strchr(val + 8, '/')) {
            snprintf(err, errlen,
                     "--client-metadata-url \"%s\": a client ID metadata document URL must be "
                     "https:// with a path",
                     val);
            return BRIDGE_EINVAL;
        }
        return set_string(&o->client_metadata_url, val);
    }
    if (!strcmp(n, "scope")) return set_string(&o->scope, val);
    if (!strcmp(n, "keep-alive")) {
        if (!o->ping_interval_s) o->ping_interval_s = 30;
        return 0;
    }
    if (!strcmp(n, "enable-proxy")) return o->enable_proxy = 1, 0;
    if (!strcmp(n, "cacert")) return set_string(&o->cacert, val);
    if (!strcmp(n, "cert")) return set_string(&o->cert, val);
    if (!strcmp(n, "key")) return set_string(&o->key, val);
    if (!strcmp(n, "ipv4")) return o->ipv4 = 1, 0;
    if (!strcmp(n, "use-id-token")) return o->use_id_token = 1, 0;
    if (!strcmp(n, "device-code")) return o->device_code = 1, 0;
    if (!strcmp(n, "client-credentials")) return o->client_credentials = 1, 0;
    if (!strcmp(n, "headers-timeout") || !strcmp(n, "body-timeout") ||
        !strcmp(n, "ping-interval")) {
        long *slot = !strcmp(n, "headers-timeout") ? &o->headers_timeout_s
                     : !strcmp(n, "body-timeout")  ? &o->body_timeout_s
                                                   : &o->ping_interval_s;
        long min = !strcmp(n, "ping-interval") ? 1 : 0;
        if (parse_long(val, min, 86400, slot) == 0) return 0;
        snprintf(err, errlen, "--%s \"%s\": expected whole seconds from %ld to 86400", n, val, min);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "callback-path")) {
        if (val[0] != '/' || strpbrk(val, "?# \t") || strlen(val) > 200) {
            snprintf(err, errlen, "--callback-path \"%s\": expected a path starting with /", val);
            return BRIDGE_EINVAL;
        }
        return set_string(&o->callback_path, val);
    }
    if (!strcmp(n, "authorize-param")) {
        const char *eq = strchr(val, '=');
        if (!eq || eq == val) {
            snprintf(err, errlen, "--authorize-param \"%s\": expected KEY=VALUE", val);
            return BRIDGE_EINVAL;
        }
        const char *reserved = authorize_param_reserved(val, (size_t)(eq - val));
        if (reserved) {
            snprintf(err, errlen,
                     "--authorize-param cannot set %s: the sign-in sets it itself for each "
                     "request",
                     reserved);
            return BRIDGE_EINVAL;
        }
        if (!strncmp(val, "resource=", 9)) {
            /* As mcp-remote: allowed, with a word on what it does not do. */
            int rc = add_warning(o, "--authorize-param resource=... names the resource in the "
                                    "authorization request only; --resource names it in the "
                                    "token requests as well");
            if (rc) return rc;
        }
        return push_string(&o->authorize_params, &o->authorize_params_len, val);
    }
    if (!strcmp(n, "auth-success-url") || !strcmp(n, "token-endpoint")) {
        url_t u;
        if (url_parse(val, &u, err, errlen) != 0) return BRIDGE_EINVAL;
        int plain = !strcmp(u.scheme, "http") && !url_host_is_loopback(u.host);
        url_free(&u);
        if (plain && !strcmp(n, "token-endpoint")) {
            snprintf(err, errlen,
                     "--token-endpoint \"%s\": must be https:// (http:// only on loopback)", val);
            return BRIDGE_EINVAL;
        }
        return set_string(!strcmp(n, "token-endpoint") ? &o->token_endpoint : &o->auth_success_url,
                          val);
    }
    if (!strcmp(n, "token-store")) {
        /* Values map onto keychain_backend_t: 1 OS keychain, 2 file, 3 memory. */
        static const char *const names[] = {"auto", "keychain", "file", "memory"};
        for (int i = 0; i < 4; i++)
            if (!strcmp(val, names[i])) return o->token_store = i, 0;
        snprintf(err, errlen, "--token-store \"%s\": expected keychain, file or memory", val);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "resource")) {
        if (!val[strspn(val, " \t")]) return o->disable_resource = 1, 0; /* as mcp-remote */
        url_t u;
        if (url_parse(val, &u, err, errlen) != 0) return BRIDGE_EINVAL;
        url_free(&u);
        return set_string(&o->resource, val);
    }
    if (!strcmp(n, "disable-resource-parameter")) return o->disable_resource = 1, 0;
    if (!strcmp(n, "no-browser")) return o->no_browser = 1, 0;
    if (!strcmp(n, "all")) return o->all = 1, 0;
    if (!strcmp(n, "mcp-remote-callback")) return o->mcp_remote_callback = 1, 0;
    if (!strcmp(n, "from-mcp-remote")) return o->from_mcp_remote = 1, 0;
    if (!strcmp(n, "refresh-token-file"))
        return read_secret_file(val, &o->refresh_token, err, errlen);
    if (!strcmp(n, "host")) {
        if (!*val || strpbrk(val, "/?#@ ")) {
            snprintf(err, errlen, "--host \"%s\": expected a host name or IP address", val);
            return BRIDGE_EINVAL;
        }
        return set_string(&o->callback_host, val);
    }
    if (!strcmp(n, "callback-port")) return parse_port(val, &o->callback_port, err, errlen);
    if (!strcmp(n, "auth-timeout")) {
        if (parse_long(val, 1, 86400, &o->auth_timeout_s) == 0) return 0;
        snprintf(err, errlen, "--auth-timeout \"%s\": expected whole seconds from 1 to 86400", val);
        return BRIDGE_EINVAL;
    }
    snprintf(err, errlen, "--%s is not implemented", n);
    return BRIDGE_EINVAL;
}

const opt_def_t *options_find(const char *name, size_t len)
{
    for (size_t i = 0; i < options_table_len; i++)
        if (strlen(options_table[i].name) == len && !strncmp(options_table[i].name, name, len))
            return &options_table[i];
    return NULL;
}

int options_parse(int argc, char **argv, bridge_options_t *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->transport = TRANSPORT_HTTP_FIRST;
    o->connect_timeout_s = 10;
    o->headers_timeout_s = 300;
    o->body_timeout_s = 300;
    o->max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
    o->max_pending = 1024;
    o->max_queued_bytes = 256u * 1024 * 1024;
    o->max_metadata_size = 1024 * 1024;
    o->log_level = LOG_LEVEL_INFO;
    int seen_version = 0, seen_help = 0, only_positional = 0, seen_port_arg = 0;
    unsigned char seen[sizeof options_table / sizeof options_table[0]] = {0};
    int first = 1;
    if (argc > 1) {
        for (size_t c = 0; c < sizeof command_names / sizeof command_names[0]; c++) {
            if (!strcmp(argv[1], command_names[c])) {
                o->command = (int)c;
                first = 2;
            }
        }
    }

    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == 0) {
            if (o->url && !seen_port_arg && a[0] >= '0' && a[0] <= '9') {
                /* mcp-remote's second argument: the callback port. */
                seen_port_arg = 1;
                int rc = parse_port(a, &o->callback_port, err, errlen);
                if (rc) return rc;
                continue;
            }
            if (o->url) {
                snprintf(err, errlen, "unexpected argument \"%s\" (the server URL is \"%s\")", a,
                         o->url);
                return BRIDGE_EINVAL;
            }
            if (!(o->url = strdup(a))) return BRIDGE_ENOMEM;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_positional = 1;
            continue;
        }
        if (!strcmp(a, "-h")) { /* mcp-remote's short --help */
            seen_help = 1;
            continue;
        }
        if (!strcmp(a, "-o")) a = "--output"; /* export -o FILE */
        if (a[1] != '-') {
            snprintf(err, errlen, "unknown option \"%s\" (options are spelled --name)", a);
            return BRIDGE_EINVAL;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        const opt_def_t *d = options_find(name, eq ? (size_t)(eq - name) : strlen(name));
        if (!d) {
            snprintf(err, errlen, "unknown option \"%s\"; see mcp-bridge --help", a);
            return BRIDGE_EINVAL;
        }
        size_t idx = (size_t)(d - options_table);
        if (seen[idx] && !d->repeatable) {
            snprintf(err, errlen, "--%s given more than once", d->name);
            return BRIDGE_EINVAL;
        }
        seen[idx] = 1;
        const char *val = NULL;
        if (d->arg) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                snprintf(err, errlen, "--%s needs an argument (%s)", d->name, d->arg);
                return BRIDGE_EINVAL;
            }
        } else if (eq) {
            snprintf(err, errlen, "--%s takes no argument", d->name);
            return BRIDGE_EINVAL;
        }
        err[0] = 0;
        int rc = apply(o, d, val, err, errlen);
        if (rc == OPTIONS_EXIT_VERSION)
            seen_version = 1;
        else if (rc == OPTIONS_EXIT_HELP)
            seen_help = 1;
        else if (rc < 0) {
            if (!err[0]) snprintf(err, errlen, "--%s: %s", d->name, bridge_strerror(rc));
            return rc;
        }
    }
    if (seen_help) return OPTIONS_EXIT_HELP;
    if (seen_version) return OPTIONS_EXIT_VERSION;
    /* Certificate files and proxy variables are read now: a wrong path is a
     * usage error at start, not a failed handshake later. */
    int trc = tls_config_load(&o->tls, o->cacert, o->cert, o->key, err, errlen);
    if (!trc && o->enable_proxy) trc = proxy_env_load(&o->proxy);
    if (trc) return trc;
    if (!o->refresh_token) {
        const char *rt = getenv("MCP_BRIDGE_REFRESH_TOKEN");
        if (rt && *rt && !(o->refresh_token = strdup(rt))) return BRIDGE_ENOMEM;
    }
    if (o->token_endpoint && !o->client_credentials) {
        snprintf(err, errlen, "--token-endpoint goes with --client-credentials");
        return BRIDGE_EINVAL;
    }
    if (o->client_credentials && !o->static_client_info) {
        snprintf(err, errlen,
                 "--client-credentials needs the client's id and secret: "
                 "--static-oauth-client-info '{\"client_id\":...,\"client_secret\":...}'");
        return BRIDGE_EINVAL;
    }
    if (o->all && o->command != COMMAND_LOGOUT) {
        snprintf(err, errlen, "--all goes with mcp-bridge logout");
        return BRIDGE_EINVAL;
    }
    int url_optional = o->command == COMMAND_STATUS || o->command == COMMAND_IMPORT ||
                       (o->command == COMMAND_LOGOUT && o->all);
    if (!o->url && url_optional) return OPTIONS_RUN;
    if (o->command == COMMAND_IMPORT) {
        /* import takes a file, not a URL. */
        return OPTIONS_RUN;
    }
    if (!o->url) {
        snprintf(err, errlen,
                 "missing the server URL; usage: mcp-bridge %s%s<server-url> [options]",
                 command_names[o->command], o->command ? " " : "");
        return BRIDGE_EINVAL;
    }
    url_t u;
    if (url_parse(o->url, &u, err, errlen) != 0) return BRIDGE_EINVAL;
    int plain_http_refused =
        !strcmp(u.scheme, "http") && !o->allow_http && !url_host_is_loopback(u.host);
    if (plain_http_refused)
        snprintf(err, errlen,
                 "refusing plain http:// to %s (not a loopback host): tokens and data would travel "
                 "unencrypted; use https:// or pass --allow-http",
                 u.host);
    url_free(&u);
    return plain_http_refused ? BRIDGE_EINVAL : OPTIONS_RUN;
}

void options_free(bridge_options_t *o)
{
    free(o->url);
    header_list_free(&o->headers);
    for (size_t i = 0; i < o->ignore_tools_len; i++)
        free(o->ignore_tools[i]);
    free(o->ignore_tools);
    free(o->log_file);
    free(o->output);
    free(o->cacert);
    free(o->cert);
    free(o->key);
    tls_config_free(&o->tls);
    proxy_env_free(&o->proxy);
    free(o->static_client_info);
    free(o->static_client_metadata);
    free(o->client_metadata_url);
    free(o->scope);
    free(o->resource);
    free(o->callback_host);
    free(o->callback_path);
    free(o->auth_success_url);
    free(o->token_endpoint);
    for (size_t i = 0; i < o->authorize_params_len; i++)
        free(o->authorize_params[i]);
    free(o->authorize_params);
    for (size_t i = 0; i < o->warnings_len; i++)
        free(o->warnings[i]);
    free(o->warnings);
    if (o->refresh_token) OPENSSL_cleanse(o->refresh_token, strlen(o->refresh_token));
    free(o->refresh_token);
    memset(o, 0, sizeof *o);
}
