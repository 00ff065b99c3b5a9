/* Command-line parsing: every option of the table, and the usage errors. */
#include "bridge/base/log.h"
#include "bridge/cli/options.h"
#include "bridge/relay/toolmatch.h"
#include "check.h"

#include <stdlib.h>

static int parse(bridge_options_t *o, char *err, size_t n, int argc, char **argv)
{
    return options_parse(argc, argv, o, err, n);
}

#define ARGV(...) ((char *[]){"mcp-bridge", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"mcp-bridge", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...) parse(o, err, sizeof err, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void defaults(void)
{
    bridge_options_t o;
    char err[512];
    CHECK(PARSE(&o, err, "https://example.com/mcp") == OPTIONS_RUN);
    CHECK_STR(o.url, "https://example.com/mcp");
    CHECK(o.transport == TRANSPORT_HTTP_FIRST);
    CHECK(o.connect_timeout_s == 10);
    CHECK(o.log_level == LOG_LEVEL_INFO);
    CHECK(o.max_message_size == 64u * 1024 * 1024);
    options_free(&o);
}

static void all_options(void)
{
    bridge_options_t o;
    char err[512];
    setenv("TEST_OPT_TOKEN", "s3cret", 1);
    int rc = PARSE(&o, err, "--header", "Authorization: Bearer ${TEST_OPT_TOKEN}",
                   "http://example.com/mcp", "--allow-http", "--transport=sse-only",
                   "--ignore-tool", "delete_*", "--ignore-tool", "admin", "--connect-timeout", "5",
                   "--max-message-size", "2M", "--debug", "--log-file", "/tmp/x.log");
    CHECK(rc == OPTIONS_RUN);
    CHECK(o.headers.count == 1);
    CHECK_STR(header_list_get(&o.headers, "authorization"), "Bearer s3cret");
    CHECK(o.allow_http == 1);
    CHECK(o.transport == TRANSPORT_SSE_ONLY);
    CHECK(o.ignore_tools_len == 2);
    CHECK(o.connect_timeout_s == 5);
    CHECK(o.max_message_size == 2u * 1024 * 1024);
    CHECK(o.log_level == LOG_LEVEL_DEBUG);
    CHECK_STR(o.log_file, "/tmp/x.log");
    options_free(&o);
}

static void usage_errors(void)
{
    bridge_options_t o;
    char err[512];
    CHECK(PARSE(&o, err, "--bogus", "https://h/") < 0);
    CHECK(strstr(err, "--bogus") != NULL);
    options_free(&o);
    CHECK(PARSE(&o, err, "-x", "https://h/") < 0);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--connect-timeout", "0") < 0);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--connect-timeout", "5s") < 0);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--max-message-size", "-1") < 0);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--header") < 0);
    CHECK(strstr(err, "needs an argument") != NULL);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--debug=1") < 0);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--transport", "sse-only", "--transport", "http-only") < 0);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "https://other/") < 0);
    options_free(&o);
    CHECK(PARSE(&o, err, "--debug") < 0);
    CHECK(strstr(err, "missing the server URL") != NULL);
    options_free(&o);
    unsetenv("TEST_OPT_UNSET");
    CHECK(PARSE(&o, err, "https://h/", "--header", "X-Key: ${TEST_OPT_UNSET}") < 0);
    CHECK(strstr(err, "TEST_OPT_UNSET") != NULL);
    options_free(&o);
}

/* mcp-remote 0.15.1's flags, with its meaning, and what it warns about and goes on. */
static void mcp_remote_flags(void)
{
    bridge_options_t o;
    char err[512];
    /* An unknown --transport or --protocol value: a warning, and the default. */
    CHECK(PARSE(&o, err, "https://h/", "--transport", "carrier-pigeon") == OPTIONS_RUN);
    CHECK(o.transport == TRANSPORT_HTTP_FIRST);
    CHECK(o.warnings_len == 1 && strstr(o.warnings[0], "carrier-pigeon") &&
          strstr(o.warnings[0], "http-first"));
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--protocol", "legacy") == OPTIONS_RUN);
    CHECK(o.warnings_len == 0);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--protocol", "auto", "--disable-cookies") == OPTIONS_RUN);
    CHECK(o.warnings_len == 0 && o.disable_cookies);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--protocol", "modern") == OPTIONS_RUN);
    CHECK(o.warnings_len == 1 && strstr(o.warnings[0], "modern"));
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "-h") == OPTIONS_EXIT_HELP);
    options_free(&o);
    CHECK(PARSE(&o, err, "login", "-h") == OPTIONS_EXIT_HELP && o.command == COMMAND_LOGIN);
    options_free(&o);
    /* --resource "" leaves the parameter out, as in mcp-remote. */
    CHECK(PARSE(&o, err, "https://h/", "--resource", "") == OPTIONS_RUN);
    CHECK(o.disable_resource && !o.resource);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://h/", "--resource", "https://h/mcp") == OPTIONS_RUN);
    CHECK(!o.disable_resource && o.resource);
    options_free(&o);
    /* --ignore-tool patterns are bounded. */
    char long_pattern[TOOLMATCH_MAX_PATTERN + 2];
    memset(long_pattern, '*', sizeof long_pattern - 1);
    long_pattern[sizeof long_pattern - 1] = 0;
    CHECK(PARSE(&o, err, "https://h/", "--ignore-tool", long_pattern) < 0);
    CHECK(strstr(err, "--ignore-tool") != NULL);
    options_free(&o);
}

/* The parameters the sign-in derives itself are refused, as mcp-remote refuses them. */
static void reserved_authorize_params(void)
{
    static const char *const reserved[] = {"client_id", "redirect_uri",   "response_type",
                                           "state",     "code_challenge", "code_challenge_method"};
    bridge_options_t o;
    char err[512], arg[64];
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        snprintf(arg, sizeof arg, "%s=x", reserved[i]);
        CHECK(PARSE(&o, err, "https://h/", "--authorize-param", arg) < 0);
        CHECK(strstr(err, reserved[i]) != NULL && strstr(err, "--authorize-param") != NULL);
        options_free(&o);
    }
    CHECK(PARSE(&o, err, "https://h/", "--authorize-param", " state =x") < 0);
    options_free(&o);
    /* Others go through: mcp-remote refuses neither scope nor resource. */
    CHECK(PARSE(&o, err, "https://h/", "--authorize-param", "prompt=consent", "--authorize-param",
                "scope=a b", "--authorize-param", "states=1") == OPTIONS_RUN);
    CHECK(o.authorize_params_len == 3);
    options_free(&o);
    CHECK(o.warnings_len == 0);
    /* resource goes through with a warning, as in mcp-remote. */
    CHECK(PARSE(&o, err, "https://h/", "--authorize-param", "resource=https://h/mcp") ==
          OPTIONS_RUN);
    CHECK(o.authorize_params_len == 1 && o.warnings_len == 1 &&
          strstr(o.warnings[0], "--resource") != NULL);
    options_free(&o);
}

static void plain_http(void)
{
    bridge_options_t o;
    char err[512];
    CHECK(PARSE(&o, err, "http://example.com/mcp") < 0);
    CHECK(strstr(err, "--allow-http") != NULL);
    options_free(&o);
    CHECK(PARSE(&o, err, "http://127.0.0.1:3000/mcp") == OPTIONS_RUN);
    options_free(&o);
    CHECK(PARSE(&o, err, "http://localhost:3000/mcp") == OPTIONS_RUN);
    options_free(&o);
    CHECK(PARSE(&o, err, "http://[::1]:3000/mcp") == OPTIONS_RUN);
    options_free(&o);
    CHECK(PARSE(&o, err, "http://127.0.0.1.nip.example/mcp") < 0);
    options_free(&o);
}

static void help_version(void)
{
    bridge_options_t o;
    char err[512];
    CHECK(PARSE(&o, err, "--help") == OPTIONS_EXIT_HELP);
    options_free(&o);
    CHECK(PARSE(&o, err, "--version") == OPTIONS_EXIT_VERSION);
    options_free(&o);
    /* Every option of the table is in --help. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    options_print_help(f, COMMAND_RELAY);
    fclose(f);
    for (size_t i = 0; i < options_table_len; i++) {
        char want[64];
        snprintf(want, sizeof want, "--%s", options_table[i].name);
        CHECK(strstr(text, want) != NULL);
    }
    free(text);
}

/* Each line of `text` fits 80 columns (79 characters and the newline). */
static int fits_80(const char *text)
{
    for (const char *l = text; *l;) {
        size_t n = strcspn(l, "\n");
        if (n > 79) {
            fprintf(stderr, "too long: %.*s\n", (int)n, l);
            return 0;
        }
        l += n + (l[n] == '\n');
    }
    return 1;
}

static char *help_text(const char *topic, int command)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (topic)
        CHECK(options_help(topic, f) == 0);
    else
        options_print_help(f, command);
    fclose(f);
    return text;
}

/* Every help screen fits 80 columns; a subcommand's --help lists its own options. */
static void help_screens(void)
{
    const char *topics[] = {"options", "commands"};
    for (size_t i = 0; i < 2; i++) {
        char *t = help_text(topics[i], 0);
        CHECK(fits_80(t));
        free(t);
    }
    for (size_t i = 0; i < options_table_len; i++) {
        char *t = help_text(options_table[i].name, 0);
        CHECK(fits_80(t));
        CHECK(strstr(t, "mcp-remote") != NULL);
        free(t);
    }
    char *t = help_text("--host", 0);
    CHECK(strstr(t, "localhost") != NULL);
    free(t);
    t = help_text("auth-timeout", 0);
    CHECK(strstr(t, "30") != NULL);
    free(t);
    t = help_text("debug", 0);
    CHECK(strstr(t, "stderr") != NULL && strstr(t, "~/.mcp-auth") != NULL);
    free(t);
    for (int c = COMMAND_RELAY; c < COMMAND_COUNT; c++) {
        t = help_text(NULL, c);
        CHECK(fits_80(t));
        for (size_t i = 0; c != COMMAND_RELAY && i < options_table_len; i++) {
            char want[64];
            snprintf(want, sizeof want, "  --%s ", options_table[i].name);
            int listed = strstr(t, want) != NULL;
            if (!listed) {
                want[strlen(want) - 1] = '\n';
                listed = strstr(t, want) != NULL;
            }
            CHECK(listed == !!(options_table[i].commands & OPT_CMD(c)));
        }
        free(t);
    }
    t = help_text(NULL, COMMAND_LOGOUT);
    CHECK(strstr(t, "  --all ") != NULL && strstr(t, "--ignore-tool") == NULL);
    free(t);
    t = help_text(NULL, COMMAND_LOGIN);
    CHECK(strstr(t, "  --all ") == NULL && strstr(t, "--authorize-param") != NULL);
    free(t);
}

int main(void)
{
    defaults();
    all_options();
    usage_errors();
    plain_http();
    help_version();
    mcp_remote_flags();
    reserved_authorize_params();
    help_screens();
    return CHECK_DONE();
}
