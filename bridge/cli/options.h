/* The command line: one table of options drives parsing and --help (and,
 * later, the man page and the README table). */
#ifndef MCP_BRIDGE_OPTIONS_H
#define MCP_BRIDGE_OPTIONS_H

#include "bridge/net/headers.h"
#include "bridge/net/http.h"
#include "bridge/net/proxy.h"
#include "bridge/net/tls.h"
#include "bridge/relay/relay.h" /* transport_mode_t: --transport is the relay's choice */

#include <stddef.h>
#include <stdio.h>

enum opt_group {
    OPT_GROUP_CONNECTION,
    OPT_GROUP_AUTH,
    OPT_GROUP_STORAGE,
    OPT_GROUP_LIMITS,
    OPT_GROUP_LOGGING,
    OPT_GROUP_GENERAL,
};

/* How an option relates to the mcp-remote flag of the same name. */
enum opt_remote {
    OPT_REMOTE_NONE = 0, /* mcp-remote has no such flag */
    OPT_REMOTE_SAME,     /* the same flag, with the same meaning */
    OPT_REMOTE_DIFFERS,  /* the same flag; remote_note says what differs */
};

typedef struct opt_def {
    const char *name;        /* long name, without "--" */
    const char *arg;         /* argument placeholder, NULL for a flag */
    int group;               /* enum opt_group */
    int repeatable;          /* may be given more than once */
    const char *help;        /* one line for help options, the man page and the README */
    int remote;              /* enum opt_remote */
    const char *remote_note; /* README's mcp-remote column when not "same": what differs, or
                                how mcp-remote does it without the flag */
    const char *detail;      /* more for `help OPTION`, or NULL */
    unsigned commands;       /* bit (1u << enum bridge_command) for each command it applies to */
} opt_def_t;

/* In options_table.c; at most OPTIONS_TABLE_MAX entries (checked there). */
#define OPTIONS_TABLE_MAX 128
extern const opt_def_t options_table[];
extern const size_t options_table_len;

enum bridge_command {
    COMMAND_RELAY = 0,
    COMMAND_LOGIN,
    COMMAND_LOGOUT,
    COMMAND_STATUS,
    COMMAND_TOKEN,
    COMMAND_DOCTOR,
    COMMAND_EXPORT,
    COMMAND_IMPORT,
    COMMAND_KEY,
    COMMAND_COUNT /* how many there are, not a command */
};
#define OPT_CMD(c) (1u << (c))
extern const char *const command_names[COMMAND_COUNT];
/* Index = enum bridge_command (relaying, 0, has none): a subcommand's arguments and
 * one line on what it does (--help, `mcp-bridge help commands`, man page, completions). */
typedef struct command_doc {
    const char *args, *help;
} command_doc_t;
extern const command_doc_t command_docs[];
/* Index = opt_group_t: the titles of the option groups. */
extern const char *const option_group_titles[];

typedef struct bridge_options {
    int command; /* enum bridge_command */
    char *url;
    header_list_t headers;
    int allow_http;
    transport_mode_t transport;
    int protocol_legacy; /* --protocol legacy: never ask for the 2026-07-28 revision */
    int disable_cookies; /* --disable-cookies */
    char **ignore_tools;
    size_t ignore_tools_len;
    long connect_timeout_s;
    size_t max_message_size;
    long max_pending;
    size_t max_queued_bytes, max_metadata_size;
    /* OAuth */
    char *static_client_info;     /* JSON text (after @file and ${VAR}) */
    char *static_client_metadata; /* JSON text (after @file and ${VAR}) */
    char *client_metadata_url;
    char *scope;
    char *resource;
    int disable_resource;
    int callback_port;
    char *callback_host;
    long auth_timeout_s;
    int no_browser;
    int token_store; /* keychain_backend_t: auto, keychain, file, memory */
    long headers_timeout_s, body_timeout_s, ping_interval_s;
    int enable_proxy, ipv4, use_id_token, client_credentials, device_code;
    char *callback_path, *auth_success_url, *token_endpoint;
    char **authorize_params;
    size_t authorize_params_len;
    char *refresh_token; /* from --refresh-token-file or $MCP_BRIDGE_REFRESH_TOKEN */
    /* Enterprise and machine sign-in. */
    char *client_private_key, *client_key_id;
    char *idp_issuer, *idp_token_endpoint, *idp_client_id;
    char *idp_client_secret; /* read from --idp-client-secret-file */
    char *id_token_file, *id_token_env, *id_token_command;
    char *workload_token_file, *workload_token_env;
    int all;       /* logout --all */
    int log_level; /* enum log_level */
    char *log_file;
    char *output; /* export --output / -o */
    /* `key store|delete|list [NAME]`, and store's --from FILE (NULL: stdin). */
    char *key_action, *key_name, *key_from;
    /* TLS and proxies: the paths given, then what they and the environment
     * amount to (loaded once options are parsed). */
    char *cacert, *cert, *key;
    tls_config_t tls;
    proxy_env_t proxy; /* read when enable_proxy */
    /* Moving from mcp-remote. */
    int mcp_remote_callback; /* --mcp-remote-callback */
    int from_mcp_remote;     /* import --from-mcp-remote */
    /* What mcp-remote would have warned about and gone on (an unknown --transport or
     * --protocol value): one sentence each, for the log once it is open. */
    char **warnings;
    size_t warnings_len;
    /* The configuration file (profile.h): --config, else the file a profile was
     * read from; --profile, else the profile found by the URL; and each option
     * set, as "--name value  (source)" with secrets masked, for `config check`. */
    char *config_file, *profile;
    char **settings;
    size_t settings_len;
} bridge_options_t;

enum {
    OPTIONS_RUN = 0,
    OPTIONS_EXIT_HELP = 1,
    OPTIONS_EXIT_VERSION = 2,
};

/* Parse argv. Returns OPTIONS_RUN, OPTIONS_EXIT_HELP, OPTIONS_EXIT_VERSION, or a
 * negative code with a one-line reason in err (a usage error: exit 2). */
int options_parse(int argc, char **argv, bridge_options_t *o, char *err, size_t errlen);
void options_free(bridge_options_t *o);
/* --help: usage, subcommands and every option's name, grouped, on one screen. For a
 * subcommand (`mcp-bridge login --help`), its usage and the options it takes, with
 * what each does. */
void options_print_help(FILE *out, int command);
/* `mcp-bridge help [TOPIC]`: TOPIC NULL (the --help screen), "options" (what each
 * option does), "commands", a subcommand, or an option name with or without its dashes
 * (what it does, how it relates to mcp-remote's flag). Returns 0, or 2 after saying on
 * stderr that the topic is unknown. Every line fits 80 columns. */
int options_help(const char *topic, FILE *out);
/* Apply option `d` with its value (NULL for a flag) as if given on the command
 * line: 0, OPTIONS_EXIT_*, or a negative code with the reason in err. */
int options_apply(bridge_options_t *o, const opt_def_t *d, const char *val, char *err,
                  size_t errlen);
/* The option named `name` (without dashes, `len` bytes), or NULL. */
const opt_def_t *options_find(const char *name, size_t len);

#endif
