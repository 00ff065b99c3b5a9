/* flock-based locks under $XDG_RUNTIME_DIR/mcp-bridge, or the config directory
 * when there is no runtime directory. The lock dies with its process, so a
 * crashed bridge never leaves the others waiting. */
#include "oauth/lock.h"
#include "bridge/base/err.h"
#include "bridge/base/privfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char lock_dir[512];

const char *oauth_lock_dir(void)
{
    if (lock_dir[0]) return lock_dir;
    const char *rt = getenv("XDG_RUNTIME_DIR"), *xdg = getenv("XDG_CONFIG_HOME"),
               *home = getenv("HOME");
    if (rt && rt[0] == '/')
        snprintf(lock_dir, sizeof lock_dir, "%s/mcp-bridge", rt);
    else if (xdg && xdg[0] == '/')
        snprintf(lock_dir, sizeof lock_dir, "%s/mcp-bridge/locks", xdg);
    else if (home && *home)
        snprintf(lock_dir, sizeof lock_dir, "%s/.config/mcp-bridge/locks", home);
    else
        snprintf(lock_dir, sizeof lock_dir, "/tmp/mcp-bridge-%ld", (long)getuid());
    return lock_dir;
}

int oauth_lock_try(const char *name)
{
    const char *dir = oauth_lock_dir();
    if (privdir_make(dir) != 0) return BRIDGE_EIO;
    char path[700];
    snprintf(path, sizeof path, "%s/%s.lock", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return BRIDGE_EIO;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
    int busy = errno == EWOULDBLOCK;
    close(fd);
    return busy ? BRIDGE_ETIMEOUT : BRIDGE_EIO;
}

void oauth_lock_release(int fd)
{
    if (fd < 0) return;
    flock(fd, LOCK_UN);
    close(fd);
}
