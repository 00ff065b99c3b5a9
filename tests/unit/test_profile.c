/* Profiles of the configuration file: found by name or by URL, applied under
 * the command line, references resolved, secrets refused in a file others may
 * read and masked in what `config check` shows. */
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/cli/profile.h"
#include "check.h"
#include "keychain/keychain.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARGV(...) ((char *[]){"mcp-bridge", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"mcp-bridge", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...) options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof err)

static char dir[64], path[128];

static void write_config(const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static int has_setting(const bridge_options_t *o, const char *line)
{
    for (size_t i = 0; i < o->settings_len; i++)
        if (!strcmp(o->settings[i], line)) return 1;
    return 0;
}

static void default_path(void)
{
    char *p = profile_default_path(), want[160];
    snprintf(want, sizeof want, "%s/mcp-bridge/config.json", dir);
    CHECK_STR(p, want);
    free(p);
}

static void by_name_under_the_command_line(void)
{
    write_config("{\"profiles\": {\"work\": {"
                 "\"url\": \"https://mcp.example.com/mcp\","
                 "\"headers\": {\"X-Tenant\": \"acme\", \"X-Team\": \"blue\"},"
                 "\"header\": [\"X-Line: one\"],"
                 "\"transport\": \"http-only\", \"scope\": \"read\","
                 "\"callback_port\": 4321, \"ignore-tools\": [\"delete*\"],"
                 "\"authorize-params\": {\"prompt\": \"consent\", \"ui_locales\": \"de\"},"
                 "\"debug\": true, \"no-browser\": false}}}",
                 0600);
    bridge_options_t o;
    char err[768] = "";
    int rc = PARSE(&o, err, "--profile", "work", "--scope", "write", "--header", "X-Team: red",
                   "--authorize-param", "prompt=login", "--silent");
    CHECK(rc == OPTIONS_RUN);
    if (rc) fprintf(stderr, "%s\n", err);
    CHECK_STR(o.url, "https://mcp.example.com/mcp");
    CHECK_STR(o.scope, "write");
    CHECK(o.transport == TRANSPORT_HTTP_ONLY);
    CHECK(o.callback_port == 4321);
    CHECK(o.log_level == LOG_LEVEL_SILENT); /* --silent wins over the profile's debug */
    CHECK(o.no_browser == 0);
    CHECK_STR(header_list_get(&o.headers, "X-Tenant"), "acme");
    CHECK_STR(header_list_get(&o.headers, "X-Team"), "red");
    CHECK_STR(header_list_get(&o.headers, "X-Line"), "one");
    CHECK(o.headers.count == 3);
    CHECK(o.ignore_tools_len == 1);
    CHECK(o.authorize_params_len == 2);
    CHECK_STR(o.authorize_params[0], "prompt=login");
    CHECK_STR(o.authorize_params[1], "ui_locales=de");
    CHECK_STR(o.config_file, path);
    CHECK(has_setting(&o, "--scope write  (command line)"));
    CHECK(has_setting(&o, "--transport http-only  (profile \"work\")"));
    CHECK(has_setting(&o, "url https://mcp.example.com/mcp  (profile \"work\")"));
    options_free(&o);

    /* A URL on the command line wins over the profile's. */
    CHECK(PARSE(&o, err, "--profile", "work", "https://other.example.com/mcp") == OPTIONS_RUN);
    CHECK_STR(o.url, "https://other.example.com/mcp");
    CHECK(o.log_level == LOG_LEVEL_DEBUG);
    options_free(&o);

    CHECK(PARSE(&o, err, "--profile", "home") < 0);
    CHECK(strstr(err, path) && strstr(err, "no profile \"home\"") && strstr(err, "work"));
    options_free(&o);
}

static void by_url(void)
{
    write_config("{\"profiles\": {"
                 "\"a\": {\"url\": \"HTTPS://MCP.example.com:443/a\", \"scope\": \"sa\"},"
                 "\"b\": {\"url\": \"https://mcp.example.com/b\", \"scope\": \"sb\"},"
                 "\"b2\": {\"url\": \"https://mcp.example.com/b\", \"scope\": \"sb2\"}}}",
                 0600);
    bridge_options_t o;
    char err[768] = "";
    CHECK(PARSE(&o, err, "https://mcp.example.com/a") == OPTIONS_RUN);
    CHECK_STR(o.scope, "sa");
    CHECK_STR(o.profile, "a");
    options_free(&o);
    CHECK(PARSE(&o, err, "https://mcp.example.com/c") == OPTIONS_RUN);
    CHECK(o.scope == NULL && o.profile == NULL);
    options_free(&o);
    CHECK(PARSE(&o, err, "https://mcp.example.com/b") < 0);
    CHECK(strstr(err, "\"b\" and \"b2\"") && strstr(err, "--profile"));
    options_free(&o);
    /* No file at the default path: nothing to find, and no error. */
    unlink(path);
    CHECK(PARSE(&o, err, "https://mcp.example.com/a") == OPTIONS_RUN);
    CHECK(o.scope == NULL);
    options_free(&o);
    CHECK(PARSE(&o, err, "--profile", "a") < 0);
    CHECK(strstr(err, path) != NULL);
    options_free(&o);
}

static void references(void)
{
    setenv("PROFILE_TEST_TOKEN", "tok-from-env", 1);
    unsetenv("PROFILE_TEST_UNSET");
    keychain_t *k;
    CHECK(keychain_open(KEYCHAIN_FILE, NULL, &k, NULL, 0) == 0);
    CHECK(keychain_put(k, "work-secret", "test", "secret", NULL, "from-the-store") == 0);
    keychain_close(k);
    write_config("{\"profiles\": {"
                 "\"p\": {\"url\": \"https://mcp.example.com/mcp\", \"token-store\": \"file\","
                 "\"headers\": {\"Authorization\": \"env:PROFILE_TEST_TOKEN\"},"
                 "\"client_id\": \"cid\", \"client_secret\": \"keychain:work-secret\"},"
                 "\"unset\": {\"url\": \"https://mcp.example.com/u\","
                 "\"headers\": {\"X-Api-Key\": \"env:PROFILE_TEST_UNSET\"}},"
                 "\"missing\": {\"url\": \"https://mcp.example.com/m\", \"token-store\": \"file\","
                 "\"static-oauth-client-info\": {\"client_id\": \"x\", \"client_secret\": "
                 "\"keychain:nothing-here\"}}}}",
                 0644); /* no literal secret: others may read it */
    bridge_options_t o;
    char err[768] = "";
    int rc = PARSE(&o, err, "--profile", "p");
    CHECK(rc == OPTIONS_RUN);
    if (rc) fprintf(stderr, "%s\n", err);
    CHECK_STR(header_list_get(&o.headers, "Authorization"), "tok-from-env");
    json_t *info = o.static_client_info ? json_loads(o.static_client_info, 0, NULL) : NULL;
    CHECK_STR(json_string_value(json_object_get(info, "client_id")), "cid");
    CHECK_STR(json_string_value(json_object_get(info, "client_secret")), "from-the-store");
    json_decref(info);
    /* What config check shows names the references, never the values. */
    for (size_t i = 0; i < o.settings_len; i++)
        CHECK(!strstr(o.settings[i], "from-the-store") && !strstr(o.settings[i], "tok-from-env"));
    CHECK(has_setting(&o, "--header 'Authorization: env:PROFILE_TEST_TOKEN'  (profile \"p\")"));
    options_free(&o);

    CHECK(PARSE(&o, err, "--profile", "unset") < 0);
    CHECK(strstr(err, path) && strstr(err, "profile \"unset\"") &&
          strstr(err, "key \"headers.X-Api-Key\"") && strstr(err, "PROFILE_TEST_UNSET"));
    options_free(&o);
    CHECK(PARSE(&o, err, "--profile", "missing") < 0);
    CHECK(strstr(err, "static-oauth-client-info.client_secret") &&
          strstr(err, "no secret named \"nothing-here\"") && strstr(err, "config set-secret"));
    options_free(&o);
}

static void literal_secrets(void)
{
    const char *cfg = "{\"profiles\": {\"plain\": {\"url\": \"https://a.example.com/mcp\","
                      "\"headers\": {\"X-Tenant\": \"acme\"}},"
                      "\"s\": {\"url\": \"https://b.example.com/mcp\","
                      "\"headers\": {\"Authorization\": \"Bearer literal-abc\"}}}}";
    write_config(cfg, 0644);
    bridge_options_t o;
    char err[768] = "";
    /* Refused even for another profile: the file is what others can read. */
    CHECK(PARSE(&o, err, "--profile", "plain") < 0);
    CHECK(strstr(err, "profile \"s\"") && strstr(err, "headers.Authorization") &&
          strstr(err, "chmod 600"));
    options_free(&o);
    write_config(cfg, 0600);
    CHECK(PARSE(&o, err, "--profile", "s") == OPTIONS_RUN);
    CHECK_STR(header_list_get(&o.headers, "Authorization"), "Bearer literal-abc");
    CHECK(has_setting(&o, "--header 'Authorization: ****'  (profile \"s\")"));
    options_free(&o);

    write_config("{\"profiles\": {\"c\": {\"url\": \"https://b.example.com/mcp\","
                 "\"static-oauth-client-info\": \"{\\\"client_id\\\": \\\"i\\\", "
                 "\\\"client_secret\\\": \\\"plain\\\"}\"}}}",
                 0640);
    CHECK(PARSE(&o, err, "--profile", "c") < 0);
    CHECK(strstr(err, "static-oauth-client-info.client_secret") != NULL);
    options_free(&o);
    /* On the command line a secret is masked as well. */
    unlink(path);
    CHECK(PARSE(&o, err, "https://b.example.com/mcp", "--static-oauth-client-info",
                "{\"client_id\":\"i\",\"client_secret\":\"cl-secret\"}") == OPTIONS_RUN);
    CHECK(has_setting(&o, "--static-oauth-client-info "
                          "{\"client_id\":\"i\",\"client_secret\":\"****\"}  (command line)"));
    options_free(&o);
}

/* 70 characters: more than PROFILE_KEY_MAX. */
#define LONG_KEY "scope-scope-scope-scope-scope-scope-scope-scope-scope-scope-scope-sco"

static void malformed(void)
{
    bridge_options_t o;
    char err[768] = "";
    struct {
        const char *text, *want;
    } cases[] = {
        {"{\"profiles\": {\"p\": {\"scopee\": \"x\"}}}", "key \"scopee\": no such option"},
        /* Longer than any option name: refused as such, not taken for the key
         * before it. */
        {"{\"profiles\": {\"p\": {\"url\": \"https://x.example.com/mcp\", \"" LONG_KEY
         "\": \"x\"}}}",
         "key \"" LONG_KEY "\": no such option"},
        {"{\"profiles\": {\"p\": {\"debug\": \"yes\"}}}", "key \"debug\": expected true or false"},
        {"{\"profiles\": {\"p\": {\"scope\": [1]}}}", "key \"scope\": expected a string"},
        {"{\"profiles\": {\"p\": {\"transport\": \"x\", \"transport\": \"y\"}}}", "line 1"},
        {"{\"profiles\": {\"p\": {\"connect-timeout\": 0}}}", "key \"connect-timeout\": "},
        {"{\"profiles\": {\"p\": {\"profile\": \"q\"}}}", "not an option a profile can hold"},
        {"{\"profiles\": {\"p\": {\"scope\": \"a\", \"scope\": \"b\"}}}", "duplicate"},
        {"{\"profiles\": {\"p\": {\"callback-port\": 1, \"callback_port\": 2}}}", "given twice"},
        {"{\"profiles\": {\"p\": 3}}", "profile \"p\": expected an object"},
        {"{\"servers\": {}}", "expected {\"profiles\""},
        {"{\"profiles\": {\"p\": {\"header\": \"no colon\"}}}", "expected \"Name: value\""},
        {"{\"profiles\": {\"p\": {\"url\": 42}}}", "key \"url\": expected the server URL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_config(cases[i].text, 0600);
        err[0] = 0;
        CHECK(PARSE(&o, err, "--profile", "p", "https://x.example.com/mcp") < 0);
        if (!strstr(err, cases[i].want) || !strstr(err, path))
            fprintf(stderr, "case %zu: %s\n", i, err);
        CHECK(strstr(err, cases[i].want) && strstr(err, path));
        options_free(&o);
    }
    /* Bounded: a file past the limit is not parsed. */
    char *big = malloc(PROFILE_FILE_MAX + 64);
    memset(big, ' ', PROFILE_FILE_MAX + 63);
    memcpy(big, "{\"profiles\": {}}", 16);
    big[PROFILE_FILE_MAX + 63] = 0;
    write_config(big, 0600);
    free(big);
    CHECK(PARSE(&o, err, "--profile", "p") < 0);
    CHECK(strstr(err, "larger than") != NULL);
    options_free(&o);
    /* A directory, not a file. */
    char other[160];
    snprintf(other, sizeof other, "%s/mcp-bridge", dir);
    CHECK(PARSE(&o, err, "--config", other, "--profile", "p") < 0);
    CHECK(strstr(err, "not a regular file") != NULL);
    options_free(&o);
}

/* The text parsed and a profile applied without a file: what the fuzz target
 * calls. */
static void from_a_buffer(void)
{
    static const char text[] = "{\"profiles\": {"
                               "\"a\": {\"url\": \"https://A.example.com\", \"scope\": \"read\","
                               " \"headers\": [\"Authorization: Bearer literal\"]},"
                               "\"b\": {\"url\": \"https://b.example.com/mcp\"}}}";
    json_t *doc = NULL;
    char err[768] = "";
    CHECK(profile_parse(text, sizeof text - 1, "mem.json", 0, &doc, err, sizeof err) == 0);
    CHECK(doc != NULL);
    /* The same text refused when others may read it: a literal credential. */
    json_t *refused = NULL;
    CHECK(profile_parse(text, sizeof text - 1, "mem.json", 1, &refused, err, sizeof err) ==
          BRIDGE_EINVAL);
    CHECK(refused == NULL && strstr(err, "mem.json: profile \"a\": key \"headers\"") != NULL);
    /* Only `len` bytes are read: the text is cut inside the document. */
    CHECK(profile_parse(text, 20, "mem.json", 0, &refused, err, sizeof err) == BRIDGE_EINVAL);
    CHECK(refused == NULL && strstr(err, "mem.json: line 1") != NULL);
    CHECK(profile_parse("[]", 2, "mem.json", 0, &refused, err, sizeof err) == BRIDGE_EINVAL);
    CHECK(profile_parse(text, PROFILE_FILE_MAX + 1, "mem.json", 0, &refused, err, sizeof err) ==
          BRIDGE_ETOOBIG);
    CHECK(refused == NULL && strstr(err, "larger than") != NULL);

    /* Found by URL (normalised): profile "a" applied, its file noted. */
    bridge_options_t o;
    CHECK(PARSE(&o, err, "status") == OPTIONS_RUN);
    unsigned char seen[OPTIONS_TABLE_MAX] = {0};
    o.url = strdup("https://a.example.com:443/");
    CHECK(profile_apply_doc(&o, seen, doc, "mem.json", err, sizeof err) == 0);
    CHECK_STR(o.profile, "a");
    CHECK_STR(o.scope, "read");
    CHECK_STR(o.config_file, "mem.json");
    CHECK_STR(header_list_get(&o.headers, "Authorization"), "Bearer literal");
    options_free(&o);
    /* By a name the file does not have: the error lists those it has. */
    CHECK(PARSE(&o, err, "status") == OPTIONS_RUN);
    o.profile = strdup("c");
    CHECK(profile_apply_doc(&o, seen, doc, "mem.json", err, sizeof err) == BRIDGE_EINVAL);
    CHECK(strstr(err, "mem.json has no profile \"c\"; it has: a b") != NULL);
    CHECK(o.config_file == NULL);
    options_free(&o);
    /* Neither a name nor a URL: nothing is done. */
    CHECK(PARSE(&o, err, "status") == OPTIONS_RUN);
    CHECK(profile_apply_doc(&o, seen, doc, "mem.json", err, sizeof err) == 0);
    CHECK(o.profile == NULL && o.config_file == NULL);
    options_free(&o);
    json_decref(doc);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_profile.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    setenv("XDG_CONFIG_HOME", dir, 1);
    unsetenv("MCP_REMOTE_CONFIG_DIR");
    unsetenv("MCP_BRIDGE_REFRESH_TOKEN");
    char sub[128];
    snprintf(sub, sizeof sub, "%s/mcp-bridge", dir);
    mkdir(sub, 0700);
    snprintf(path, sizeof path, "%s/config.json", sub);
    default_path();
    by_name_under_the_command_line();
    by_url();
    references();
    literal_secrets();
    malformed();
    from_a_buffer();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
