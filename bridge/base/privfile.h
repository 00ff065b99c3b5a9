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

#endif
