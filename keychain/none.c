/* Builds without an OS keychain backend (no libsecret found at build time). */
#include "bridge/base/err.h"
#include "keychain/backend.h"

#include <stdio.h>

int keychain_os_open(const keychain_backend_ops_t **ops, void **st, char *why, size_t whylen)
{
    snprintf(why, whylen, "this mcp-bridge was built without OS keychain support");
    return BRIDGE_EIO;
}
