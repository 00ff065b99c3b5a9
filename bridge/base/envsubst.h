/* ${VAR} substitution from the environment, as mcp-remote does for --header. */
#ifndef MCP_BRIDGE_ENVSUBST_H
#define MCP_BRIDGE_ENVSUBST_H

#include <stddef.h>

/* Replace every ${NAME} (NAME = [A-Za-z_][A-Za-z0-9_]*) in `in` with getenv(NAME).
 * A "$" not followed by "{" is kept as is; "${" without a valid name and a closing
 * "}" is an error (BRIDGE_EINVAL). An unset variable is BRIDGE_EUNSET, and its name
 * is copied to `bad_name` (truncated to bad_name_len - 1). On success *out is a
 * fresh NUL-terminated string the caller frees. `getenv_fn` may be NULL (= getenv),
 * so tests can pass their own lookup. */
int envsubst(const char *in, char **out, char *bad_name, size_t bad_name_len,
             const char *(*getenv_fn)(const char *name));

#endif
