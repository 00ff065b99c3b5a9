/* What the two parts of the 2026-07-28 JSON shaping share: modern.c and
 * modern_mrtr.c. Internal to bridge/mcp. */
#ifndef MCP_BRIDGE_MODERN_INTERNAL_H
#define MCP_BRIDGE_MODERN_INTERNAL_H

#include <jansson.h>

/* The string value of v when it is a string without an embedded NUL (whose C
 * string would compare equal to a shorter one), else NULL. */
const char *modern_exact_string(json_t *v);

#endif
