/* Where credentials live: a named secret store with get/put/delete. Backends:
 * a file per secret under the user's config directory (0600, atomic replace)
 * and memory (nothing kept). The OS keychains slot in behind the same calls. */
#ifndef MCP_BRIDGE_KEYCHAIN_H
#define MCP_BRIDGE_KEYCHAIN_H

#include <stddef.h>

typedef struct keychain keychain_t;

typedef enum keychain_backend {
    KEYCHAIN_FILE,
    KEYCHAIN_MEMORY,
} keychain_backend_t;

/* Open a store. For KEYCHAIN_FILE, dir may be NULL: $XDG_CONFIG_HOME/mcp-bridge
 * or ~/.config/mcp-bridge. */
int keychain_open(keychain_backend_t backend, const char *dir, keychain_t **out);
void keychain_close(keychain_t *k);

/* Names are [A-Za-z0-9._-]{1,128}. get: *secret is malloc'd and NUL-terminated,
 * BRIDGE_EINVAL if there is none (check with keychain_has first when that is
 * expected). The caller wipes and frees it. label is for people (a keyring
 * manager shows it); the file backend stores it beside the secret. */
int keychain_get(keychain_t *k, const char *name, char **secret);
int keychain_put(keychain_t *k, const char *name, const char *label, const char *secret);
int keychain_delete(keychain_t *k, const char *name);

/* Where a person finds what is stored, for messages ("~/.config/mcp-bridge/credentials"). */
const char *keychain_where(const keychain_t *k);

#endif
