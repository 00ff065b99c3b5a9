/* Command-line parsing driven by options_table[] (options_table.c): each
 * option's value is checked (options_values.c) and set in bridge_options_t. */
#include "bridge/cli/options.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/base/url.h"
#include "bridge/cli/options_values.h"
#include "bridge/cli/profile.h"
#include "bridge/relay/toolmatch.h"
#include "oauth/oauth.h"

#include <openssl/crypto.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_MESSAGE_SIZE (64u * 1024 * 1024)

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
        return opt_push_string(&o->ignore_tools, &o->ignore_tools_len, val);
    }
    if (!strcmp(n, "disable-cookies")) return o->disable_cookies = 1, 0;
    if (!strcmp(n, "protocol")) {
        if (!strcmp(val, "legacy") || !strcmp(val, "auto"))
            return o->protocol_legacy = !strcmp(val, "legacy"), 0;
        return opt_add_warning(o, "--protocol \"%s\" is neither legacy nor auto; ignored", val);
    }
    if (!strcmp(n, "config")) return opt_set_string(&o->config_file, val);
    if (!strcmp(n, "profile")) return opt_set_string(&o->profile, val);
    if (!strcmp(n, "log-file")) {
        free(o->log_file);
        return (o->log_file = strdup(val)) ? 0 : BRIDGE_ENOMEM;
    }
    if (!strcmp(n, "from")) return opt_set_string(&o->key_from, val);
    if (!strcmp(n, "client-private-key") &&
        !strncmp(val, OAUTH_CLIENT_KEY_KEYCHAIN, strlen(OAUTH_CLIENT_KEY_KEYCHAIN))) {
        char stored[OAUTH_CLIENT_KEY_NAME_MAX + 8];
        if (oauth_client_key_store_name(val + strlen(OAUTH_CLIENT_KEY_KEYCHAIN), stored,
                                        sizeof stored) != 0) {
            snprintf(err, errlen,
                     "--client-private-key \"%.200s\": the name after keychain: is 1 to %d "
                     "letters, digits, '.', '_' or '-' (as given to mcp-bridge key store)",
                     val, OAUTH_CLIENT_KEY_NAME_MAX);
            return BRIDGE_EINVAL;
        }
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
        return opt_add_warning(o,
                               "--transport \"%s\" is not http-first, sse-first, http-only or "
                               "sse-only; using http-first",
                               val);
    }
    if (!strcmp(n, "connect-timeout")) {
        if (opt_parse_long(val, 1, 3600, &o->connect_timeout_s) == 0) return 0;
        snprintf(err, errlen, "--connect-timeout \"%s\": expected whole seconds from 1 to 3600",
                 val);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "max-pending")) {
        if (opt_parse_long(val, 1, 1000000, &o->max_pending) == 0) return 0;
        snprintf(err, errlen, "--max-pending \"%s\": expected a whole number from 1 to 1000000",
                 val);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "max-queued-bytes") || !strcmp(n, "max-metadata-size")) {
        size_t *slot =
            !strcmp(n, "max-queued-bytes") ? &o->max_queued_bytes : &o->max_metadata_size;
        if (opt_parse_size(val, slot) == 0 && *slot >= 1024) return 0;
        snprintf(err, errlen, "--%s \"%s\": expected a size from 1k to 2048M (e.g. 4M)", n, val);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "max-message-size")) {
        if (opt_parse_size(val, &o->max_message_size) == 0 && o->max_message_size >= 1024) return 0;
        snprintf(err, errlen,
                 "--max-message-size \"%s\": expected a size from 1k to 2048M (e.g. 4M)", val);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "static-oauth-client-info") || !strcmp(n, "static-oauth-client-metadata")) {
        char **slot = !strcmp(n, "static-oauth-client-info") ? &o->static_client_info
                                                             : &o->static_client_metadata;
        return opt_load_json(n, val, slot, err, errlen);
    }
    if (!strcmp(n, "client-metadata-url")) {
        if (strncmp(val, "https://", 8) != 0 || !strchr(val + 8, '/')) {
            snprintf(err, errlen,
                     "--client-metadata-url \"%s\": a client ID metadata document URL must be "
                     "https:// with a path",
                     val);
            return BRIDGE_EINVAL;
        }
        return opt_set_string(&o->client_metadata_url, val);
    }
    if (!strcmp(n, "scope")) return opt_set_string(&o->scope, val);
    if (!strcmp(n, "keep-alive")) {
        if (!o->ping_interval_s) o->ping_interval_s = 30;
        return 0;
    }
    if (!strcmp(n, "enable-proxy")) return o->enable_proxy = 1, 0;
    if (!strcmp(n, "cacert")) return opt_set_string(&o->cacert, val);
    if (!strcmp(n, "cert")) return opt_set_string(&o->cert, val);
    if (!strcmp(n, "key")) return opt_set_string(&o->key, val);
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
        if (opt_parse_long(val, min, 86400, slot) == 0) return 0;
        snprintf(err, errlen, "--%s \"%s\": expected whole seconds from %ld to 86400", n, val, min);
        return BRIDGE_EINVAL;
    }
    if (!strcmp(n, "callback-path")) {
        if (val[0] != '/' || strpbrk(val, "?# \t") || strlen(val) > 200) {
            snprintf(err, errlen, "--callback-path \"%s\": expected a path starting with /", val);
            return BRIDGE_EINVAL;
        }
        return opt_set_string(&o->callback_path, val);
    }
    if (!strcmp(n, "authorize-param")) {
        const char *eq = strchr(val, '=');
        if (!eq || eq == val) {
            snprintf(err, errlen, "--authorize-param \"%s\": expected KEY=VALUE", val);
            return BRIDGE_EINVAL;
        }
        const char *reserved = opt_authorize_param_reserved(val, (size_t)(eq - val));
        if (reserved) {
            snprintf(err, errlen,
                     "--authorize-param cannot set %s: the sign-in sets it itself for each "
                     "request",
                     reserved);
            return BRIDGE_EINVAL;
        }
        if (!strncmp(val, "resource=", 9)) {
            /* As mcp-remote: allowed, with a word on what it does not do. */
            int rc = opt_add_warning(o, "--authorize-param resource=... names the resource in the "
                                        "authorization request only; --resource names it in the "
                                        "token requests as well");
            if (rc) return rc;
        }
        return opt_push_string(&o->authorize_params, &o->authorize_params_len, val);
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
        return opt_set_string(
            !strcmp(n, "token-endpoint") ? &o->token_endpoint : &o->auth_success_url, val);
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
        return opt_set_string(&o->resource, val);
    }
    if (!strcmp(n, "disable-resource-parameter")) return o->disable_resource = 1, 0;
    if (!strcmp(n, "no-browser")) return o->no_browser = 1, 0;
    if (!strcmp(n, "all")) return o->all = 1, 0;
    if (!strcmp(n, "mcp-remote-callback")) return o->mcp_remote_callback = 1, 0;
    if (!strcmp(n, "from-mcp-remote")) return o->from_mcp_remote = 1, 0;
    if (!strcmp(n, "refresh-token-file"))
        return opt_read_secret_file(val, &o->refresh_token, err, errlen);
    if (!strcmp(n, "idp-client-secret-file"))
        return opt_read_secret_file(val, &o->idp_client_secret, err, errlen);
    if (!strcmp(n, "client-private-key") || !strcmp(n, "client-key-id") ||
        !strcmp(n, "idp-client-id") || !strcmp(n, "id-token-file") || !strcmp(n, "id-token-env") ||
        !strcmp(n, "id-token-command") || !strcmp(n, "workload-token-file") ||
        !strcmp(n, "workload-token-env")) {
        char **slot = !strcmp(n, "client-private-key")    ? &o->client_private_key
                      : !strcmp(n, "client-key-id")       ? &o->client_key_id
                      : !strcmp(n, "idp-client-id")       ? &o->idp_client_id
                      : !strcmp(n, "id-token-file")       ? &o->id_token_file
                      : !strcmp(n, "id-token-env")        ? &o->id_token_env
                      : !strcmp(n, "id-token-command")    ? &o->id_token_command
                      : !strcmp(n, "workload-token-file") ? &o->workload_token_file
                                                          : &o->workload_token_env;
        if (!*val) {
            snprintf(err, errlen, "--%s needs a value", n);
            return BRIDGE_EINVAL;
        }
        return opt_set_string(slot, val);
    }
    if (!strcmp(n, "idp-issuer") || !strcmp(n, "idp-token-endpoint")) {
        url_t u;
        if (url_parse(val, &u, err, errlen) != 0) return BRIDGE_EINVAL;
        int plain = !strcmp(u.scheme, "http") && !url_host_is_loopback(u.host);
        url_free(&u);
        if (plain) {
            snprintf(err, errlen, "--%s \"%s\": must be https:// (http:// only on loopback)", n,
                     val);
            return BRIDGE_EINVAL;
        }
        return opt_set_string(!strcmp(n, "idp-issuer") ? &o->idp_issuer : &o->idp_token_endpoint,
                              val);
    }
    if (!strcmp(n, "host")) {
        if (!*val || strpbrk(val, "/?#@ ")) {
            snprintf(err, errlen, "--host \"%s\": expected a host name or IP address", val);
            return BRIDGE_EINVAL;
        }
        return opt_set_string(&o->callback_host, val);
    }
    if (!strcmp(n, "callback-port")) return opt_parse_port(val, &o->callback_port, err, errlen);
    if (!strcmp(n, "auth-timeout")) {
        if (opt_parse_long(val, 1, 86400, &o->auth_timeout_s) == 0) return 0;
        snprintf(err, errlen, "--auth-timeout \"%s\": expected whole seconds from 1 to 86400", val);
        return BRIDGE_EINVAL;
    }
    snprintf(err, errlen, "--%s is not implemented", n);
    return BRIDGE_EINVAL;
}

int options_apply(bridge_options_t *o, const opt_def_t *d, const char *val, char *err,
                  size_t errlen)
{
    assert(d && (d->arg == NULL) == (val == NULL));
    return apply(o, d, val, err, errlen);
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
    unsigned char seen[OPTIONS_TABLE_MAX] = {0};
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
        if (o->command == COMMAND_KEY && (only_positional || a[0] != '-')) {
            /* key ACTION [NAME] */
            char **slot = !o->key_action ? &o->key_action : !o->key_name ? &o->key_name : NULL;
            if (!slot) {
                snprintf(err, errlen, "unexpected argument \"%s\"; usage: mcp-bridge key %s", a,
                         command_docs[COMMAND_KEY].args);
                return BRIDGE_EINVAL;
            }
            if (!(*slot = strdup(a))) return BRIDGE_ENOMEM;
            continue;
        }
        if (only_positional || a[0] != '-' || a[1] == 0) {
            if (o->url && !seen_port_arg && a[0] >= '0' && a[0] <= '9') {
                /* mcp-remote's second argument: the callback port. */
                seen_port_arg = 1;
                int rc = opt_parse_port(a, &o->callback_port, err, errlen);
                if (rc) return rc;
                seen[options_find("callback-port", 13) - options_table] = 1;
                rc = profile_note(o, "callback-port", a, "command line");
                if (rc) return rc;
                continue;
            }
            if (o->url) {
                snprintf(err, errlen, "unexpected argument \"%s\" (the server URL is \"%s\")", a,
                         o->url);
                return BRIDGE_EINVAL;
            }
            if (!(o->url = strdup(a))) return BRIDGE_ENOMEM;
            int nrc = profile_note(o, "url", a, "command line");
            if (nrc) return nrc;
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
        } else if (strcmp(d->name, "config") && strcmp(d->name, "profile") &&
                   (rc = profile_note(o, d->name, val ? val : "", "command line")) != 0) {
            return rc;
        }
    }
    if (seen_help) return OPTIONS_EXIT_HELP;
    if (seen_version) return OPTIONS_EXIT_VERSION;
    /* The profile's options, where the command line gave none: before the
     * files they name are read and the checks below. */
    int prc = profile_apply(o, seen, err, errlen);
    if (prc) return prc;
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
    int rc = opt_check_machine_sign_in(o, err, errlen);
    if (rc) return rc;
    if (o->all && o->command != COMMAND_LOGOUT) {
        snprintf(err, errlen, "--all goes with mcp-bridge logout");
        return BRIDGE_EINVAL;
    }
    if (o->key_from && (!o->key_action || strcmp(o->key_action, "store") != 0)) {
        snprintf(err, errlen, "--from goes with mcp-bridge key store NAME");
        return BRIDGE_EINVAL;
    }
    if (o->command == COMMAND_KEY) return opt_check_key(o, err, errlen);
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
    free(o->client_private_key);
    free(o->key_action);
    free(o->key_name);
    free(o->key_from);
    free(o->client_key_id);
    free(o->idp_issuer);
    free(o->idp_token_endpoint);
    free(o->idp_client_id);
    free(o->id_token_file);
    free(o->id_token_env);
    free(o->id_token_command);
    free(o->workload_token_file);
    free(o->workload_token_env);
    if (o->idp_client_secret) OPENSSL_cleanse(o->idp_client_secret, strlen(o->idp_client_secret));
    free(o->idp_client_secret);
    for (size_t i = 0; i < o->authorize_params_len; i++)
        free(o->authorize_params[i]);
    free(o->authorize_params);
    for (size_t i = 0; i < o->warnings_len; i++)
        free(o->warnings[i]);
    free(o->warnings);
    free(o->config_file);
    free(o->profile);
    for (size_t i = 0; i < o->settings_len; i++)
        free(o->settings[i]);
    free(o->settings);
    if (o->refresh_token) OPENSSL_cleanse(o->refresh_token, strlen(o->refresh_token));
    free(o->refresh_token);
    memset(o, 0, sizeof *o);
}
