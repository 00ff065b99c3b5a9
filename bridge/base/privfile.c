/* A secret written to a file atomically, mode 0600 (see privfile.h). */
#include "bridge/base/privfile.h"
#include "bridge/base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_SUFFIX ".XXXXXX.tmp"

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return BRIDGE_EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int privfile_write(const char *path, const char *data, size_t len)
{
    size_t n = strlen(path) + sizeof TMP_SUFFIX;
    char *tmp = malloc(n);
    if (!tmp) return BRIDGE_ENOMEM;
    snprintf(tmp, n, "%s" TMP_SUFFIX, path);
    int fd = mkstemps(tmp, (int)strlen(".tmp")); /* 0600, O_EXCL */
    int rc = fd < 0 ? BRIDGE_EIO : 0;
    if (!rc) {
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        rc = write_all(fd, data, len);
        if (!rc && (fchmod(fd, 0600) != 0 || fsync(fd) != 0)) rc = BRIDGE_EIO;
        int saved = errno;
        if (close(fd) != 0 && !rc) rc = BRIDGE_EIO, saved = errno;
        if (!rc && rename(tmp, path) != 0) rc = BRIDGE_EIO, saved = errno;
        if (rc) unlink(tmp);
        errno = saved;
    }
    free(tmp);
    return rc;
}

int privdir_make(const char *path)
{
    char *tmp = strdup(path);
    if (!tmp) return BRIDGE_ENOMEM;
    int rc = 0;
    for (char *p = tmp + 1; *p && !rc; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) rc = BRIDGE_EIO;
        *p = '/';
    }
    if (!rc && mkdir(tmp, 0700) != 0 && errno != EEXIST) rc = BRIDGE_EIO;
    struct stat st;
    if (!rc && (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()))
        rc = BRIDGE_EIO;
    free(tmp);
    return rc;
}
