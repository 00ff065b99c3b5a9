/* Cross-process single-flight for sign-in and refresh: an flock(2) on a file
 * per server in the user's runtime directory. Several bridges for one server
 * take turns; the one that waited re-reads the store before doing anything. */
#ifndef MCP_BRIDGE_OAUTH_LOCK_H
#define MCP_BRIDGE_OAUTH_LOCK_H

/* Try to take the lock `name` without waiting. Returns a descriptor (>= 0) to
 * pass to oauth_lock_release, BRIDGE_ETIMEOUT when another process holds it,
 * or another negative code when no lock file can be made (then go on unlocked). */
int oauth_lock_try(const char *name);
void oauth_lock_release(int fd);
/* The directory the lock files are in (for messages). */
const char *oauth_lock_dir(void);

#endif
