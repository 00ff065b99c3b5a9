/* Reading a credential someone else keeps current in a file (an ID token, a
 * workload identity token): owner-only permissions demanded, bounded, read
 * afresh on every use, wiped when refused; or taken from the environment; or,
 * for `mcp-bridge key store`, a key from standard input, bounded alike. */
#include "oauth/oauth_int.h"
#include "bridge/base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads at most OAUTH_SECRET_FILE_MAX bytes from fd into *out, without
 * surrounding white space; `from` names the source in the sentences. What was
 * read is wiped when refused. */
static int read_trimmed(int fd, const char *what, const char *from, char **out, char *why, size_t n)
{
    char *text = malloc(OAUTH_SECRET_FILE_MAX + 1);
    size_t len = 0;
    int rc = text ? 0 : BRIDGE_ENOMEM;
    while (!rc && len <= OAUTH_SECRET_FILE_MAX) {
        ssize_t got = read(fd, text + len, OAUTH_SECRET_FILE_MAX + 1 - len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            snprintf(why, n, "cannot read the %s from %s: %s", what, from, strerror(errno));
            rc = BRIDGE_EIO;
        }
        if (got <= 0) break;
        len += (size_t)got;
    }
    if (!rc && len > OAUTH_SECRET_FILE_MAX) {
        snprintf(why, n, "the %s in %s is longer than %d bytes", what, from, OAUTH_SECRET_FILE_MAX);
        rc = BRIDGE_EINVAL;
    }
    if (rc) {
        if (text) OPENSSL_cleanse(text, len); /* len <= the buffer's size */
        free(text);
        return rc;
    }
    text[len] = 0;
    size_t start = strspn(text, " \t\r\n");
    while (len > start && strchr(" \t\r\n", text[len - 1]))
        text[--len] = 0;
    memmove(text, text + start, len - start + 1);
    OPENSSL_cleanse(text + len - start + 1, start); /* the tail the move left behind */
    if (!text[0]) {
        snprintf(why, n, "the %s in %s is empty", what, from);
        free(text);
        return BRIDGE_EINVAL;
    }
    *out = text;
    return 0;
}

int oauth_read_secret_file(const char *path, const char *what, char **out, char *why, size_t n)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, n, "cannot open the %s file %s: %s", what, path, strerror(errno));
        return BRIDGE_EIO;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, n, "the %s file %s is not a regular file", what, path);
        rc = BRIDGE_EIO;
    } else if (st.st_mode & 077) {
        snprintf(why, n,
                 "permissions %04o for the %s file %s are too open: it must not be "
                 "accessible by others; run: chmod 600 %s",
                 (unsigned)(st.st_mode & 07777), what, path, path);
        rc = BRIDGE_EINVAL;
    }
    if (!rc) rc = read_trimmed(fd, what, path, out, why, n);
    close(fd);
    return rc;
}

int oauth_read_secret_input(const char *path, const char *what, char **out, char *why, size_t n)
{
    *out = NULL;
    return path ? oauth_read_secret_file(path, what, out, why, n)
                : read_trimmed(STDIN_FILENO, what, "standard input", out, why, n);
}

int oauth_read_credential(const char *file, const char *env, const char *what, char **out,
                          char *why, size_t n)
{
    *out = NULL;
    if (file) return oauth_read_secret_file(file, what, out, why, n);
    const char *v = env ? getenv(env) : NULL;
    if (!v || !*v) {
        snprintf(why, n, "no %s: the environment variable %s is %s", what, env ? env : "(none)",
                 v ? "empty" : "not set");
        return BRIDGE_EINVAL;
    }
    *out = strdup(v);
    return *out ? 0 : BRIDGE_ENOMEM;
}
