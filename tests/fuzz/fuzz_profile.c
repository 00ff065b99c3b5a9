/* libFuzzer target: the configuration file's text checked (profile_parse), then
 * its profiles applied over a command line as the start does (profile_apply_doc):
 * by name, by the URL of a profile, and by a name the file lacks. */
#include "bridge/base/err.h"
#include "bridge/cli/options.h"
#include "bridge/cli/profile.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_PATH "fuzz.json"

/* The option a profile key names, as profile.c reads it ('_' for '-', a
 * repeatable option's plural), or NULL. */
static const opt_def_t *option_of_key(const char *key)
{
    char norm[PROFILE_KEY_MAX + 1];
    size_t n = strlen(key);
    if (n > PROFILE_KEY_MAX) return NULL;
    for (size_t i = 0; i <= n; i++)
        norm[i] = key[i] == '_' ? '-' : key[i];
    const opt_def_t *d = options_find(norm, n);
    if (!d && n > 1 && norm[n - 1] == 's') d = options_find(norm, n - 1);
    return d;
}

/* A key whose value would make options_apply open a file the input names: a
 * fuzzer soon spells /dev/stdin or a FIFO, so such keys are left out. */
static int reads_a_file(const char *key, json_t *v)
{
    const opt_def_t *d = option_of_key(key);
    if (!d || !d->arg || !strstr(d->arg, "FILE")) return 0;
    if (strncmp(d->name, "static-oauth-client-", 20) != 0) return 1;
    return json_is_string(v) && json_string_value(v)[0] == '@'; /* JSON|@FILE */
}

static void drop_file_keys(json_t *profiles)
{
    const char *name, *key;
    json_t *prof, *v, *tmp;
    json_object_foreach (profiles, name, prof) {
        json_object_foreach_safe(prof, tmp, key, v)
        {
            if (reads_a_file(key, v)) json_object_del(prof, key);
        }
    }
}

/* A command line that gives some options, so that the profile's yield to them:
 * the credential store in memory (keychain: references are looked up there,
 * never in the OS keychain), a header, a scope and --silent. */
static void start(bridge_options_t *o, unsigned char *seen)
{
    static char *argv[] = {"mcp-bridge",  "status",  "--token-store", "memory",  "--header",
                           "X-Team: red", "--scope", "write",         "--silent"};
    char err[512];
    if (options_parse((int)(sizeof argv / sizeof argv[0]), argv, o, err, sizeof err) != OPTIONS_RUN)
        abort();
    memset(seen, 0, OPTIONS_TABLE_MAX);
    static const char *const given[] = {"token-store", "header", "scope", "silent"};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
        const opt_def_t *d = options_find(given[i], strlen(given[i]));
        if (!d) abort();
        seen[d - options_table] = 1;
    }
}

/* Apply with o->profile = name or o->url = url (one of them) and check what
 * profile_apply_doc promises. */
static void apply(json_t *doc, const char *name, const char *url)
{
    bridge_options_t o;
    unsigned char seen[OPTIONS_TABLE_MAX];
    char err[1024] = "";
    start(&o, seen);
    if (name) o.profile = strdup(name);
    if (url) o.url = strdup(url);
    if ((name && !o.profile) || (url && !o.url)) abort();
    int rc = profile_apply_doc(&o, seen, doc, FUZZ_PATH, err, sizeof err);
    if (rc > 0) abort();
    if (rc < 0 && !err[0]) abort(); /* every error is a sentence */
    if (rc == 0) {
        /* A profile applied is named and its file noted; none applied, neither. */
        if (!o.profile != !o.config_file) abort();
        if (o.config_file && strcmp(o.config_file, FUZZ_PATH) != 0) abort();
        if (name && strcmp(o.profile, name) != 0) abort();
        /* The command line's scope wins over any profile's. */
        if (!o.scope || strcmp(o.scope, "write") != 0) abort();
    }
    options_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    char err[1024] = "";
    /* Read by others first: the literal-secret check runs over every profile. */
    int rc = profile_parse((const char *)data, size, FUZZ_PATH, 1, &doc, err, sizeof err);
    if ((rc == 0) != (doc != NULL) || (rc && !err[0])) abort();
    json_decref(doc);
    doc = NULL;
    rc = profile_parse((const char *)data, size, FUZZ_PATH, 0, &doc, err, sizeof err);
    if ((rc == 0) != (doc != NULL) || (rc && !err[0])) abort();
    if (rc) return 0;

    json_t *profiles = json_object_get(doc, "profiles");
    if (!json_is_object(profiles)) abort();
    drop_file_keys(profiles);
    const char *name;
    json_t *prof;
    int n = 0;
    json_object_foreach (profiles, name, prof) {
        if (n++ == 4) break;
        apply(doc, name, NULL);
        const char *url = json_string_value(json_object_get(prof, "url"));
        if (url) apply(doc, NULL, url);
    }
    apply(doc, NULL, "https://fuzz.example.com/mcp");
    apply(doc, "no such profile", NULL);
    json_decref(doc);
    return 0;
}
