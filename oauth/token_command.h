/* A token printed by a command the person configured (--id-token-command): the
 * command line split into words without a shell, the program run with stdin
 * from /dev/null, its standard output read up to a bound within a time limit. */
#ifndef MCP_BRIDGE_OAUTH_TOKEN_COMMAND_H
#define MCP_BRIDGE_OAUTH_TOKEN_COMMAND_H

#include <stddef.h>

#define OAUTH_TOKEN_COMMAND_MAX_ARGS 64
#define OAUTH_TOKEN_COMMAND_MAX_LINE 4096
#define OAUTH_TOKEN_COMMAND_OUTPUT_MAX (64 * 1024)
#define OAUTH_TOKEN_COMMAND_TIMEOUT_MS 30000

/* Splits a command line into words as a POSIX shell would without expansions:
 * blanks separate words; '...' is literal; "..." keeps blanks and takes \" \\
 * \$ \` as escapes; a backslash outside quotes escapes the next character.
 * *argv_out is a NULL-terminated malloc'd array (free with
 * oauth_command_argv_free). BRIDGE_EINVAL with why set for an unclosed quote,
 * no words, more than OAUTH_TOKEN_COMMAND_MAX_ARGS words or a line longer than
 * OAUTH_TOKEN_COMMAND_MAX_LINE; BRIDGE_ENOMEM. */
int oauth_command_split(const char *line, char ***argv_out, char *why, size_t n);
void oauth_command_argv_free(char **argv);

/* Runs the command and waits for it (at most timeout_ms; it is killed then):
 * on exit status 0 its output without surrounding white space, printable and
 * not empty, is *out (malloc'd; the caller wipes it). The output is never
 * written anywhere else, nor quoted in `why`. `what` names the token in the
 * sentences. Blocks the caller: meant for a token needed before anything else
 * can go on. BRIDGE_EINVAL (a bad command line, an empty or unprintable
 * output), BRIDGE_EIO (cannot start, failed, output too long), BRIDGE_ETIMEOUT. */
int oauth_token_command_run(const char *line, const char *what, long timeout_ms, char **out,
                            char *why, size_t n);

#endif
