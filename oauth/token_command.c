/* A token printed by a configured command (--id-token-command): the line split
 * into words without a shell, the program run with posix_spawnp, its output
 * read up to a bound within a time limit, its exit status checked. */
#include "oauth/token_command.h"
#include "bridge/base/err.h"
#include "oauth/token.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void oauth_command_argv_free(char **argv)
{
    if (!argv) return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int oauth_command_split(const char *line, char ***argv_out, char *why, size_t n)
{
    *argv_out = NULL;
    size_t len = strlen(line);
    if (len > OAUTH_TOKEN_COMMAND_MAX_LINE) {
        snprintf(why, n, "the command line is longer than %d bytes", OAUTH_TOKEN_COMMAND_MAX_LINE);
        return BRIDGE_EINVAL;
    }
    char **argv = calloc(OAUTH_TOKEN_COMMAND_MAX_ARGS + 1, sizeof *argv);
    char *word = malloc(len + 1); /* a word is never longer than the line */
    if (!argv || !word) {
        free(argv);
        free(word);
        return BRIDGE_ENOMEM;
    }
    size_t argc = 0, wlen = 0;
    int in_word = 0, rc = 0;
    char quote = 0;
    for (const char *p = line;; p++) {
        char c = *p;
        if (quote == '\'') {
            if (!c) break;
            if (c == '\'')
                quote = 0;
            else
                word[wlen++] = c;
            continue;
        }
        if (quote == '"') {
            if (!c) break;
            if (c == '"')
                quote = 0;
            else if (c == '\\' && p[1] && strchr("\"\\$`", p[1]))
                word[wlen++] = *++p;
            else
                word[wlen++] = c;
            continue;
        }
        if (!c || is_blank(c)) {
            if (in_word) {
                if (argc == OAUTH_TOKEN_COMMAND_MAX_ARGS) {
                    snprintf(why, n, "the command has more than %d words",
                             OAUTH_TOKEN_COMMAND_MAX_ARGS);
                    rc = BRIDGE_EINVAL;
                    break;
                }
                word[wlen] = '\0';
                if (!(argv[argc++] = strdup(word))) {
                    rc = BRIDGE_ENOMEM;
                    break;
                }
                wlen = 0;
                in_word = 0;
            }
            if (!c) break;
            continue;
        }
        in_word = 1;
        if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '\\') {
            if (!p[1]) {
                snprintf(why, n, "the command ends with a lone backslash");
                rc = BRIDGE_EINVAL;
                break;
            }
            word[wlen++] = *++p;
        } else {
            word[wlen++] = c;
        }
    }
    free(word);
    if (!rc && quote) {
        snprintf(why, n, "the command has an unclosed %s quote",
                 quote == '"' ? "double" : "single");
        rc = BRIDGE_EINVAL;
    }
    if (!rc && argc == 0) {
        snprintf(why, n, "the command is empty");
        rc = BRIDGE_EINVAL;
    }
    if (rc) {
        oauth_command_argv_free(argv);
        return rc;
    }
    *argv_out = argv;
    return 0;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Reads the child's output until it closes its end, the bound is passed or
 * the time is up. 0, BRIDGE_ETOOBIG, BRIDGE_ETIMEOUT or BRIDGE_EIO. */
static int read_output(int fd, char *out, size_t cap, size_t *len, long timeout_ms)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    *len = 0;
    for (;;) {
        long left = timeout_ms - ms_since(&t0);
        if (left <= 0) return BRIDGE_ETIMEOUT;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return BRIDGE_EIO;
        if (r == 0) continue; /* the deadline is checked above */
        if (*len == cap) return BRIDGE_ETOOBIG;
        ssize_t got = read(fd, out + *len, cap - *len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got < 0) return BRIDGE_EIO;
        if (got == 0) return 0;
        *len += (size_t)got;
    }
}

/* The exit status, waiting at most until the deadline; the child is killed
 * (and reaped) when it does not end by then. */
static int reap(pid_t pid, long timeout_ms, int *status)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) return 0;
        if (r < 0 && errno != EINTR) return BRIDGE_EIO;
        if (ms_since(&t0) >= timeout_ms) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
            }
            return BRIDGE_ETIMEOUT;
        }
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
}

static int spawn_with_pipe(char **argv, pid_t *pid, int *read_fd, char *why, size_t n)
{
    int fds[2];
    /* Close-on-exec: other commands the bridge starts must not hold the pipe. */
    int made = pipe(fds) == 0;
    if (!made || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        snprintf(why, n, "cannot create a pipe for the command %s: %s", argv[0], strerror(errno));
        if (made) {
            close(fds[0]);
            close(fds[1]);
        }
        return BRIDGE_EIO;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    /* stdin from /dev/null, stdout to the pipe; stderr is shared (the
     * command's complaints are the person's to read, and never go to stdout). */
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    /* Its own process group: a command stopped at the time limit is stopped
     * with whatever it started. */
    posix_spawnattr_setpgroup(&attr, 0);
    /* SIGPIPE back to its default: the bridge ignores it, a command should not. */
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP |
                                        POSIX_SPAWN_SETSIGDEF);
    int err = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    if (err) {
        close(fds[0]);
        snprintf(why, n, "cannot run %s: %s", argv[0], strerror(err));
        return BRIDGE_EIO;
    }
    *read_fd = fds[0];
    return 0;
}

static int take_output(char *buf, size_t len, const char *what, const char *prog, char **out,
                       char *why, size_t n)
{
    size_t start = 0;
    while (start < len && is_blank(buf[start]))
        start++;
    while (len > start && is_blank(buf[len - 1]))
        len--;
    buf[len] = '\0';
    const char *token = buf + start;
    if (!*token || strlen(token) != len - start || !oauth_token_printable(token)) {
        snprintf(why, n,
                 "%s printed %s where the %s was expected (one line, printable, at most %d "
                 "bytes); check that it writes only the token to its standard output",
                 prog, *token ? "something else" : "nothing", what, OAUTH_TOKEN_MAX);
        return BRIDGE_EINVAL;
    }
    *out = strdup(token);
    return *out ? 0 : BRIDGE_ENOMEM;
}

int oauth_token_command_run(const char *line, const char *what, long timeout_ms, char **out,
                            char *why, size_t n)
{
    assert(line && what && out);
    *out = NULL;
    if (timeout_ms <= 0) timeout_ms = OAUTH_TOKEN_COMMAND_TIMEOUT_MS;
    char **argv = NULL;
    char split_why[200];
    int rc = oauth_command_split(line, &argv, split_why, sizeof split_why);
    if (rc) {
        snprintf(why, n, "--id-token-command: %s",
                 rc == BRIDGE_ENOMEM ? "out of memory" : split_why);
        return rc;
    }
    pid_t pid;
    int fd;
    rc = spawn_with_pipe(argv, &pid, &fd, why, n);
    if (rc) {
        oauth_command_argv_free(argv);
        return rc;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *buf = malloc(OAUTH_TOKEN_COMMAND_OUTPUT_MAX + 1);
    size_t len = 0;
    rc = buf ? read_output(fd, buf, OAUTH_TOKEN_COMMAND_OUTPUT_MAX, &len, timeout_ms)
             : BRIDGE_ENOMEM;
    close(fd);
    int status = 0;
    long left = timeout_ms - ms_since(&t0);
    int reaped = reap(pid, rc ? 0 : (left > 0 ? left : 0), &status);
    if (!rc && reaped) rc = reaped;
    if (rc == BRIDGE_ETIMEOUT)
        snprintf(why, n, "%s did not print the %s and exit within %ld ms; it was stopped", argv[0],
                 what, timeout_ms);
    else if (rc == BRIDGE_ETOOBIG)
        snprintf(why, n, "%s printed more than %d bytes where the %s was expected", argv[0],
                 OAUTH_TOKEN_COMMAND_OUTPUT_MAX, what);
    else if (rc == BRIDGE_EIO)
        snprintf(why, n, "reading the output of %s failed", argv[0]);
    else if (rc == BRIDGE_ENOMEM)
        snprintf(why, n, "out of memory");
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        snprintf(why, n, "%s failed (exit status %d): no %s; run it by hand to see why", argv[0],
                 WEXITSTATUS(status), what);
        rc = BRIDGE_EIO;
    } else if (WIFSIGNALED(status)) {
        snprintf(why, n, "%s was ended by signal %d: no %s", argv[0], WTERMSIG(status), what);
        rc = BRIDGE_EIO;
    } else {
        rc = take_output(buf, len, what, argv[0], out, why, n);
    }
    if (rc == BRIDGE_ETOOBIG) rc = BRIDGE_EIO;
    if (buf) {
        OPENSSL_cleanse(buf, OAUTH_TOKEN_COMMAND_OUTPUT_MAX + 1);
        free(buf);
    }
    oauth_command_argv_free(argv);
    return rc;
}
