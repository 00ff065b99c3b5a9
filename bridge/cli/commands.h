/* mcp-bridge login | logout | status | token | doctor | export | import. */
#ifndef MCP_BRIDGE_COMMANDS_H
#define MCP_BRIDGE_COMMANDS_H

#include "bridge/cli/options.h"

/* Run the subcommand in o->command; returns the exit status. */
int commands_run(const bridge_options_t *o);

#endif
