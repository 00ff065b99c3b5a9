/* `mcp-bridge import --from-mcp-remote [URL]`: take over the client
 * registrations and tokens that mcp-remote (the npm package) keeps in
 * ~/.mcp-auth/mcp-remote-<version>/<hash>_*.json, so moving needs no browser. */
#ifndef MCP_BRIDGE_MCP_REMOTE_IMPORT_H
#define MCP_BRIDGE_MCP_REMOTE_IMPORT_H

#include "keychain/keychain.h"
#include "oauth/oauth.h"

/* With cfg->server_url: import the sign-in mcp-remote made with that URL and
 * the same options (--resource, --authorize-param, --header, ...: they name its
 * files). Without: every sign-in whose server can be told from the files.
 * Says what it did on stdout; mcp-remote's files are left alone. Returns the
 * exit code (0: everything found was imported). */
int mcp_remote_import(const oauth_config_t *cfg, keychain_t *store);

#endif
