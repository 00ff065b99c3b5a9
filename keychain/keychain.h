/* Where credentials live: named secrets with get/put/delete/list. Backends: the
 * OS keychain (the Secret Service through libsecret on Linux, the Keychain on
 * macOS), a file per secret under the user's config directory (0600, atomic
 * replace), and memory (nothing kept). The blocking calls of the OS keychains
 * run on the libuv thread pool through the *_async functions, one at a time. */
#ifndef MCP_BRIDGE_KEYCHAIN_H
#define MCP_BRIDGE_KEYCHAIN_H

#include <stddef.h>
#include <uv.h>

typedef struct keychain keychain_t;

typedef enum keychain_backend {
    KEYCHAIN_AUTO, /* the OS keychain when it answers, else the file backend */
    KEYCHAIN_OS,   /* the OS keychain or an error */
    KEYCHAIN_FILE,
    KEYCHAIN_MEMORY,
} keychain_backend_t;

/* Open a store. `dir` (file backend) may be NULL: $XDG_CONFIG_HOME/mcp-bridge or
 * ~/.config/mcp-bridge. KEYCHAIN_AUTO opens nothing yet: the first operation
 * asks the OS keychain (on the thread pool for the *_async calls) and falls back
 * to files, logging a one-line note when something is first stored. KEYCHAIN_OS
 * asks at once (it may block briefly) and fails, with the reason in `note`, when
 * there is none. */
int keychain_open(keychain_backend_t backend, const char *dir, keychain_t **out, char *note,
                  size_t notelen);
/* Closes once pending asynchronous operations have finished. */
void keychain_close(keychain_t *k);

/* "Secret Service (GNOME Keyring, KWallet…)", "macOS Keychain", "files in DIR",
 * "memory (nothing is kept)": where a person finds what is stored. */
const char *keychain_where(const keychain_t *k);
keychain_backend_t
keychain_kind(const keychain_t *k); /* AUTO until the first use, then OS, FILE or MEMORY */

/* Names are [A-Za-z0-9._-]{1,128}. get: *secret is malloc'd and NUL-terminated;
 * BRIDGE_EINVAL when there is none. The caller wipes and frees it. put: label
 * is shown to people by keyring managers; kind ("tokens", "client") and
 * subject (the server URL or issuer) are searchable attributes. Blocking. */
int keychain_get(keychain_t *k, const char *name, char **secret);
int keychain_put(keychain_t *k, const char *name, const char *label, const char *kind,
                 const char *subject, const char *secret);
int keychain_delete(keychain_t *k, const char *name);
/* The names stored by mcp-bridge; *names is a malloc'd array of malloc'd strings. */
int keychain_list(keychain_t *k, char ***names, size_t *n);
void keychain_free_list(char **names, size_t n);

/* The same on the thread pool, in order, one at a time. For get, the callback
 * owns `secret` (may be NULL) and must wipe and free it. cb may be NULL. The
 * first failed put or delete is logged here, once per store.
 * The callback always runs later, from the loop, never from inside the call
 * that queued the job (even when the thread pool refuses work: the job then
 * runs on the loop, after the call has returned). It may queue more jobs and
 * may call keychain_close (the store closes once the queue is empty); what
 * `ud` points to must stay valid until it runs. A call that returns an error
 * queued nothing and no callback runs. */
typedef void (*keychain_cb)(void *ud, int rc, char *secret);
int keychain_get_async(keychain_t *k, uv_loop_t *loop, const char *name, keychain_cb cb, void *ud);
int keychain_put_async(keychain_t *k, uv_loop_t *loop, const char *name, const char *label,
                       const char *kind, const char *subject, const char *secret, keychain_cb cb,
                       void *ud);
int keychain_delete_async(keychain_t *k, uv_loop_t *loop, const char *name, keychain_cb cb,
                          void *ud);

#endif
