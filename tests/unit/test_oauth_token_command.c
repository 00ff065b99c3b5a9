/* oauth/token_command.c: the command line split as a shell would without
 * expansions, and a real run of small commands: the token taken from the
 * output, a failing exit status, an empty or oversized output, a time limit. */
#include "check.h"
#include "oauth/token_command.h"
#include "bridge/base/err.h"

#include <stdlib.h>
#include <time.h>

static int split(const char *line, char ***argv)
{
    char why[200];
    return oauth_command_split(line, argv, why, sizeof why);
}

static int run(const char *line, long timeout_ms, char **out, char *why, size_t n)
{
    return oauth_token_command_run(line, "ID token", timeout_ms, out, why, n);
}

int main(void)
{
    char **argv = NULL;
    CHECK(split("  get-token  --aud 'a b' \"c \\\"d\\\"\" e\\ f g'h'\"i\"  ", &argv) == 0);
    CHECK(argv && argv[6] == NULL);
    if (argv && argv[6] == NULL) {
        CHECK_STR(argv[0], "get-token");
        CHECK_STR(argv[1], "--aud");
        CHECK_STR(argv[2], "a b");
        CHECK_STR(argv[3], "c \"d\"");
        CHECK_STR(argv[4], "e f");
        CHECK_STR(argv[5], "ghi");
    }
    oauth_command_argv_free(argv);
    CHECK(split("a '' b", &argv) == 0); /* an empty quoted word is a word */
    CHECK(argv && argv[1] && argv[1][0] == '\0' && argv[3] == NULL);
    oauth_command_argv_free(argv);
    CHECK(split("'$HOME' \"\\n\"", &argv) == 0); /* no expansions; \n kept in double quotes */
    if (argv) CHECK_STR(argv[0], "$HOME");
    if (argv) CHECK_STR(argv[1], "\\n");
    oauth_command_argv_free(argv);
    CHECK(split("a 'b", &argv) == BRIDGE_EINVAL && argv == NULL);
    CHECK(split("a \"b", &argv) == BRIDGE_EINVAL);
    CHECK(split("a \\", &argv) == BRIDGE_EINVAL);
    CHECK(split("   ", &argv) == BRIDGE_EINVAL);
    CHECK(split("", &argv) == BRIDGE_EINVAL);
    char many[400] = "";
    for (int i = 0; i < OAUTH_TOKEN_COMMAND_MAX_ARGS + 1; i++)
        strcat(many, "x ");
    CHECK(split(many, &argv) == BRIDGE_EINVAL);
    many[2 * OAUTH_TOKEN_COMMAND_MAX_ARGS] = '\0';
    CHECK(split(many, &argv) == 0);
    oauth_command_argv_free(argv);
    char *long_line = malloc(OAUTH_TOKEN_COMMAND_MAX_LINE + 2);
    memset(long_line, 'a', OAUTH_TOKEN_COMMAND_MAX_LINE + 1);
    long_line[OAUTH_TOKEN_COMMAND_MAX_LINE + 1] = '\0';
    CHECK(split(long_line, &argv) == BRIDGE_EINVAL);
    free(long_line);

    char *tok = NULL, why[512];
    CHECK(run("printf '\\n  eyJ.a-b_c.d  \\n'", 5000, &tok, why, sizeof why) == 0);
    CHECK_STR(tok, "eyJ.a-b_c.d");
    free(tok);
    /* No shell: the ; is an argument of echo, not a second command. */
    CHECK(run("echo tok; false", 5000, &tok, why, sizeof why) == BRIDGE_EINVAL);
    CHECK(tok == NULL && strstr(why, "something else") && !strstr(why, "tok;"));
    CHECK(run("sh -c 'echo secret-token; exit 3'", 5000, &tok, why, sizeof why) == BRIDGE_EIO);
    CHECK(tok == NULL && strstr(why, "exit status 3") && !strstr(why, "secret-token"));
    CHECK(run("true", 5000, &tok, why, sizeof why) == BRIDGE_EINVAL);
    CHECK(strstr(why, "printed nothing") != NULL);
    CHECK(run("/nonexistent/get-token", 5000, &tok, why, sizeof why) == BRIDGE_EIO);
    CHECK(strstr(why, "cannot run /nonexistent/get-token") != NULL);
    CHECK(run("head -c 100000 /dev/zero", 5000, &tok, why, sizeof why) == BRIDGE_EIO);
    CHECK(strstr(why, "more than") != NULL);
    /* Stdin is /dev/null: a command that reads it does not wait for the bridge's. */
    CHECK(run("sh -c 'cat; echo t0k'", 5000, &tok, why, sizeof why) == 0);
    CHECK_STR(tok, "t0k");
    free(tok);
    time_t t0 = time(NULL);
    CHECK(run("sleep 10", 300, &tok, why, sizeof why) == BRIDGE_ETIMEOUT);
    CHECK(time(NULL) - t0 < 5 && strstr(why, "within 300 ms") != NULL);
    /* Closing its output early does not let a command outlive the limit. */
    t0 = time(NULL);
    CHECK(run("sh -c 'exec >&-; sleep 10'", 300, &tok, why, sizeof why) == BRIDGE_ETIMEOUT);
    CHECK(time(NULL) - t0 < 5);
    return CHECK_DONE();
}
