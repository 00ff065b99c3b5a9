/* Writing a file that holds a secret: a new file of mode 0600 under a name of
 * its own, written whole, synced and renamed over the target, so neither a
 * crash nor another writer leaves half of it, and a file that existed with
 * wider permissions is replaced rather than reused. */
#ifndef BRIDGE_PRIVFILE_H
#define BRIDGE_PRIVFILE_H

#include <stddef.h>

/* Writes len bytes of data to path through "<path>.XXXXXX.tmp". 0 or
 * BRIDGE_ENOMEM / BRIDGE_EIO (errno tells why). */
int privfile_write(const char *path, const char *data, size_t len);

/* mkdir -p, making each missing part with mode 0700. The last part must end up
 * a directory owned by this user (a symbolic link to one is followed). 0 or
 * BRIDGE_ENOMEM / BRIDGE_EIO. */
int privdir_make(const char *path);

#endif
