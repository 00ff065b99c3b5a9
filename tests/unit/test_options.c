/* Command-line parsing: every option of the table, and the usage errors. */
#include "bridge/log.h"
#include "bridge/options.h"
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
                   "--ignore-tool", "delete_*", "--ignore-tool", "admin", "--connect-timeout",
                   "5", "--max-message-size", "2M", "--debug", "--log-file", "/tmp/x.log");
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
    CHECK(PARSE(&o, err, "https://h/", "--transport", "carrier-pigeon") < 0);
    CHECK(strstr(err, "carrier-pigeon") != NULL);
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
    options_print_help(f);
    fclose(f);
    for (size_t i = 0; i < options_table_len; i++) {
        char want[64];
        snprintf(want, sizeof want, "--%s", options_table[i].name);
        CHECK(strstr(text, want) != NULL);
    }
    free(text);
}

int main(void)
{
    defaults();
    all_options();
    usage_errors();
    plain_http();
    help_version();
    return CHECK_DONE();
}
