/* mcp-bridge config check | set-secret: show what a profile of the configuration
 * file amounts to (secrets masked), and store a secret that profiles name as
 * keychain:NAME. */
#include "bridge/base/err.h"
#include "bridge/cli/cmd.h"
#include "bridge/cli/profile.h"
#include "keychain/keychain.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SECRET_MAX 16384

/* The value of option --name in argv (as "--name V" or "--name=V"), or NULL. */
static const char *arg_value(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) || strncmp(argv[i] + 2, name, n)) continue;
        if (argv[i][2 + n] == '=') return argv[i] + 3 + n;
        if (!argv[i][2 + n] && i + 1 < argc) return argv[i + 1];
    }
    return NULL;
}

static int has_url(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "http://", 7) || !strncmp(argv[i], "https://", 8)) return 1;
    return 0;
}

/* Parse the options as the relay would, and print them; 0 or 1. */
static int check_one(int argc, char **argv)
{
    bridge_options_t o;
    char err[768] = "";
    int rc = options_parse(argc, argv, &o, err, sizeof err);
    if (rc == OPTIONS_EXIT_HELP || rc == OPTIONS_EXIT_VERSION) {
        fprintf(stderr, "mcp-bridge: usage: mcp-bridge config check [--config FILE] "
                        "[--profile NAME | <server-url>] [options]\n");
        options_free(&o);
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "mcp-bridge: %s\n", err[0] ? err : bridge_strerror(rc));
        options_free(&o);
        return 1;
    }
    if (o.profile)
        printf("Profile \"%s\" in %s:\n", o.profile, o.config_file);
    else
        printf("No profile has the url %s; the command line alone:\n", o.url);
    for (size_t i = 0; i < o.settings_len; i++)
        printf("  %s\n", o.settings[i]);
    int found = o.profile != NULL;
    options_free(&o);
    return found ? 0 : 1;
}

/* Every profile of the file, each checked on its own. */
static int check_all(int argc, char **argv)
{
    const char *given = arg_value(argc, argv, "config");
    char *path = given ? strdup(given) : profile_default_path();
    if (!path) {
        fprintf(stderr, "mcp-bridge: no configuration file: set HOME or give --config FILE\n");
        return 1;
    }
    json_t *doc;
    char err[768];
    if (profile_load(path, &doc, err, sizeof err) != 0) {
        fprintf(stderr, "mcp-bridge: %s\n", err);
        free(path);
        return 1;
    }
    char **args = calloc((size_t)argc + 5, sizeof *args);
    int code = args ? 0 : 1;
    const char *name;
    json_t *prof;
    json_object_foreach (json_object_get(doc, "profiles"), name, prof) {
        if (!args) break;
        memcpy(args, argv, (size_t)argc * sizeof *args);
        int n = argc;
        if (!given) {
            args[n++] = "--config";
            args[n++] = path;
        }
        args[n++] = "--profile";
        args[n++] = (char *)name;
        if (check_one(n, args) != 0) code = 1;
    }
    if (!json_object_size(json_object_get(doc, "profiles"))) printf("%s holds no profiles\n", path);
    free(args);
    json_decref(doc);
    free(path);
    return code;
}

/* The secret from stdin: its first line, without echo when it is a terminal. */
static int read_secret(const char *name, char *out, size_t outlen)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "Secret for keychain:%s: ", name);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    int ok = fgets(out, (int)outlen, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    size_t n = ok ? strlen(out) : 0;
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = 0;
    return n ? 0 : BRIDGE_EINVAL;
}

static int set_secret(int argc, char **argv)
{
    if (argc < 4 || argv[3][0] == '-') {
        fprintf(stderr, "mcp-bridge: usage: mcp-bridge config set-secret NAME "
                        "[--token-store WHERE] < file-with-the-secret\n");
        return 2;
    }
    const char *name = argv[3], *where = arg_value(argc, argv, "token-store");
    static const char *const stores[] = {"auto", "keychain", "file", "memory"};
    int backend = where ? -1 : 0;
    for (int i = 0; where && i < 4; i++)
        if (!strcmp(where, stores[i])) backend = i;
    if (backend < 0) {
        fprintf(stderr, "mcp-bridge: --token-store \"%s\": expected keychain or file\n", where);
        return 2;
    }
    char secret[SECRET_MAX], note[256] = "";
    if (read_secret(name, secret, sizeof secret) != 0) {
        fprintf(stderr, "mcp-bridge: no secret on stdin for %s\n", name);
        return 1;
    }
    keychain_t *k = NULL;
    int rc = keychain_open((keychain_backend_t)backend, NULL, &k, note, sizeof note);
    char label[200];
    snprintf(label, sizeof label, "mcp-bridge secret %s", name);
    if (!rc) rc = keychain_put(k, name, label, "secret", NULL, secret);
    OPENSSL_cleanse(secret, sizeof secret);
    if (rc)
        fprintf(stderr, "mcp-bridge: cannot store %s: %s\n", name,
                note[0]               ? note
                : rc == BRIDGE_EINVAL ? "a name is 1 to 128 letters, digits, '.', '_' or '-'"
                                      : bridge_strerror(rc));
    else
        printf("Stored keychain:%s in %s\n", name, keychain_where(k));
    keychain_close(k);
    return rc ? 1 : 0;
}

int cmd_config(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[2], "set-secret")) return set_secret(argc, argv);
    if (argc < 3 || strcmp(argv[2], "check") != 0) {
        fprintf(stderr, "mcp-bridge: usage: mcp-bridge config check [--config FILE] "
                        "[--profile NAME | <server-url>]\n"
                        "       mcp-bridge config set-secret NAME < file-with-the-secret\n");
        return 2;
    }
    /* `config check ARGS` is checked as `mcp-bridge ARGS` would run. */
    argv[2] = argv[0];
    argv += 2;
    argc -= 2;
    if (arg_value(argc, argv, "profile") || has_url(argc, argv)) return check_one(argc, argv);
    return check_all(argc, argv);
}
