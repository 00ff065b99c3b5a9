/* The options table: every option's name, argument, group, help and relation
 * to mcp-remote's flag, and the subcommands' documentation. Data only: parsing,
 * --help, the man page, the completions and the README table all read it. */
#include "bridge/cli/options.h"

/* Which commands an option applies to. */
#define CMDS_ALL ((1u << COMMAND_COUNT) - 1)
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
     "auto (default): find out whether the server speaks 2026-07-28; legacy: do not ask",
     OPT_REMOTE_DIFFERS, "auto is the default (mcp-remote: legacy)",
     "With auto the bridge asks the server (server/discover) whether it speaks the 2026-07-28 "
     "revision, remembers the answer per server, and bridges a host of either era to a server "
     "of either era. With legacy it never asks, and relays the host's initialize as it comes "
     "(a 2026-07-28-only server then cannot be reached). mcp-remote speaks the older revisions "
     "unless given --protocol auto. Another value is logged as a warning and ignored, as "
     "mcp-remote does.",
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
    {"client-private-key", "FILE", OPT_GROUP_AUTH, 0,
     "Authenticate the client with this private key (PEM file, or keychain:NAME; "
     "private_key_jwt)",
     NONE,
     "For a client registered at the authorization server with its public key, named by "
     "--static-oauth-client-info; without one, a server that offers dynamic registration and "
     "lists private_key_jwt registers a client with the public key (jwks). Each token request "
     "carries a fresh assertion signed with the key (ES256 for a P-256 key, RS256 for RSA, EdDSA "
     "for Ed25519, as the server allows) whose audience is the server's issuer (RFC 7523). Used "
     "when the server lists private_key_jwt, or lists no methods. The file must be readable by "
     "its owner only (chmod 600); an encrypted key is refused. keychain:NAME takes the key kept "
     "in the credential store by `mcp-bridge key store NAME`.",
     CMDS_NET},
    {"from", "FILE", OPT_GROUP_STORAGE, 0,
     "key store: read the PEM key from FILE (owner-only permissions) instead of stdin", NONE, NULL,
     OPT_CMD(COMMAND_KEY)},
    {"client-key-id", "KID", OPT_GROUP_AUTH, 0,
     "With --client-private-key: the key's id (kid) at the authorization server", NONE, NULL,
     CMDS_NET},
    {"idp-issuer", "URL", OPT_GROUP_AUTH, 0,
     "Enterprise sign-in: exchange an ID token from this identity provider (SEP-990)", NONE,
     "Cross-app access: the ID token (--id-token-file, --id-token-env or --id-token-command) "
     "is exchanged at the identity provider for an identity assertion (RFC 8693) addressed to "
     "the server's authorization server, which takes it as a jwt-bearer grant (RFC 7523) from "
     "the client of "
     "--static-oauth-client-info. With none of those three options the bridge signs the person "
     "in at the provider itself (OpenID Connect, in the browser, as --idp-client-id) and keeps "
     "the ID token and the provider's refresh token in the credential store. The provider's "
     "endpoints are found in its metadata (RFC 8414, then OpenID Connect).",
     CMDS_NET},
    {"idp-token-endpoint", "URL", OPT_GROUP_AUTH, 0,
     "Enterprise sign-in: the identity provider's token endpoint (instead of --idp-issuer)", NONE,
     NULL, CMDS_NET},
    {"idp-client-id", "ID", OPT_GROUP_AUTH, 0,
     "Enterprise sign-in: this client's id at the identity provider", NONE, NULL, CMDS_NET},
    {"idp-client-secret-file", "FILE", OPT_GROUP_AUTH, 0,
     "Enterprise sign-in: the client secret at the identity provider, read from FILE", NONE, NULL,
     CMDS_NET},
    {"id-token-file", "FILE", OPT_GROUP_AUTH, 0,
     "Enterprise sign-in: the ID token, read from FILE at every use (mode 600)", NONE,
     "Whatever signs the person in at the identity provider writes the file and keeps it "
     "current; the bridge reads it each time it needs a token, and refuses a file others can "
     "read.",
     CMDS_NET},
    {"id-token-env", "VARIABLE", OPT_GROUP_AUTH, 0,
     "Enterprise sign-in: the ID token is in this environment variable", NONE, NULL, CMDS_NET},
    {"id-token-command", "CMD", OPT_GROUP_AUTH, 0,
     "Enterprise sign-in: run CMD to get the ID token (its output), at every use", NONE,
     "CMD is split into words as a shell would (quotes and backslashes) but run without a "
     "shell; it must print the ID token alone and exit with status 0 within 30 seconds. Its "
     "output is never logged.",
     CMDS_NET},
    {"workload-token-file", "FILE", OPT_GROUP_AUTH, 0,
     "Workload identity: trade the platform's token in FILE for an access token (SEP-1933)", NONE,
     "The platform's signed token (a Kubernetes projected service account token, a CI job's "
     "OIDC token) is sent to the authorization server with the jwt-bearer grant (RFC 7523), the "
     "client of --static-oauth-client-info authenticated as configured; the server must trust "
     "the token's issuer. The file is read again each time a token is needed, as the platform "
     "rotates it, and must be readable by its owner only (for a Kubernetes projected volume, "
     "defaultMode: 0400).",
     CMDS_NET},
    {"workload-token-env", "VARIABLE", OPT_GROUP_AUTH, 0,
     "Workload identity: the platform's token is in this environment variable", NONE, NULL,
     CMDS_NET},
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
    /* The configuration file (bridge/cli/profile.c). */
    {"config", "FILE", OPT_GROUP_GENERAL, 0,
     "Read profiles from FILE (default $XDG_CONFIG_HOME/mcp-bridge/config.json)", NONE,
     "A JSON file {\"profiles\": {\"NAME\": {\"url\": ..., OPTION: VALUE, ...}}} whose "
     "keys are the long option names. It is read when --profile is given, or when a profile's "
     "url is the server URL. See the README, \"Configuration file\".",
     CMDS_ALL},
    {"profile", "NAME", OPT_GROUP_GENERAL, 0,
     "Take the options of profile NAME in the configuration file (the command line wins)", NONE,
     "Without a server URL the profile's url is used. Options given on the command line win "
     "over the profile's; headers are merged, the command line's winning for a name both "
     "give. String values may be env:NAME (an environment variable) or keychain:NAME (a "
     "secret stored with `mcp-bridge config set-secret NAME`). `mcp-bridge config check "
     "--profile NAME` shows what the profile amounts to.",
     CMDS_ALL},
    {"version", NULL, OPT_GROUP_GENERAL, 0, "Print the version and exit", SAME, NULL, CMDS_ALL},
    {"help", NULL, OPT_GROUP_GENERAL, 0, "Print this help and exit (also -h)", SAME, NULL,
     CMDS_ALL},
};
const size_t options_table_len = sizeof options_table / sizeof options_table[0];
_Static_assert(sizeof options_table / sizeof options_table[0] <= OPTIONS_TABLE_MAX,
               "raise OPTIONS_TABLE_MAX: options_parse() keeps a flag per option");

/* Index = enum bridge_command; "" is relaying (no subcommand). */
const char *const command_names[COMMAND_COUNT] = {"",       "login",  "logout", "status", "token",
                                                  "doctor", "export", "import", "key"};

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
    [COMMAND_KEY] = {"store NAME [--from FILE] | delete NAME | list",
                     "Keep a client's private key (PEM) in the credential store, to sign in "
                     "with as keychain:NAME"},
};

const char *const option_group_titles[] = {
    [OPT_GROUP_CONNECTION] = "Connection", [OPT_GROUP_AUTH] = "Authentication (OAuth)",
    [OPT_GROUP_STORAGE] = "Storage",       [OPT_GROUP_LIMITS] = "Limits",
    [OPT_GROUP_LOGGING] = "Logging",       [OPT_GROUP_GENERAL] = "General",
};
