/* The interface between keychain.c and its backends. Internal. */
#ifndef MCP_BRIDGE_KEYCHAIN_BACKEND_H
#define MCP_BRIDGE_KEYCHAIN_BACKEND_H

#include <stddef.h>

typedef struct keychain_backend_ops {
    const char *(*where)(void *st);
    int (*get)(void *st, const char *name, char **secret);
    int (*put)(void *st, const char *name, const char *label, const char *kind, const char *subject,
               const char *secret);
    int (*del)(void *st, const char *name);
    int (*list)(void *st, char ***names, size_t *n);
    void (*close)(void *st);
} keychain_backend_ops_t;

/* Each returns 0 and fills ops/state, or a negative code (why: a sentence). */
int keychain_file_open(const char *dir, const keychain_backend_ops_t **ops, void **st);
int keychain_memory_open(const keychain_backend_ops_t **ops, void **st);
int keychain_os_open(const keychain_backend_ops_t **ops, void **st, char *why, size_t whylen);

/* Helpers shared by backends. */
int keychain_name_valid(const char *name);
int keychain_list_push(char ***names, size_t *n, const char *name);

#endif
