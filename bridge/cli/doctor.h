/* mcp-bridge doctor URL: whether a start would connect, and if not, why. */
#ifndef MCP_BRIDGE_DOCTOR_H
#define MCP_BRIDGE_DOCTOR_H

#include "bridge/cli/options.h"

/* Returns the exit status: 0 exactly when a start with these options would
 * connect (or would, once the person signs in in the browser). */
int doctor_run(const bridge_options_t *o);

#endif
