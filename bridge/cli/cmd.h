/* The subcommands, one file each, that bridge/cli/commands.c dispatches to.
 * Each takes the parsed options and returns the exit status. */
#ifndef MCP_BRIDGE_CMD_H
#define MCP_BRIDGE_CMD_H

#include "bridge/cli/doctor.h"
#include "bridge/cli/options.h"

int cmd_login(const bridge_options_t *o);  /* cmd_login.c */
int cmd_token(const bridge_options_t *o);  /* cmd_login.c */
int cmd_status(const bridge_options_t *o); /* cmd_status.c */
int cmd_logout(const bridge_options_t *o); /* cmd_logout.c */
int cmd_export(const bridge_options_t *o); /* cmd_transfer.c */
int cmd_import(const bridge_options_t *o); /* cmd_transfer.c */
int cmd_key(const bridge_options_t *o);    /* cmd_key.c */
/* `mcp-bridge config check|set-secret ...`, before options are parsed: the
 * exit status. */
int cmd_config(int argc, char **argv); /* cmd_config.c */

#endif
