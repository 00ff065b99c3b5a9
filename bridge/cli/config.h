/* The one place where parsed options become the configuration of each part:
 * the HTTP client, the credential store, the sign-in (OAuth) and the relay. */
#ifndef MCP_BRIDGE_CONFIG_H
#define MCP_BRIDGE_CONFIG_H

#include "bridge/cli/options.h"
#include "bridge/net/http.h"
#include "bridge/relay/relay.h"
#include "keychain/keychain.h"
#include "oauth/oauth.h"

typedef struct bridge_config {
    http_client_config_t http;
    keychain_backend_t token_store;
    /* loop, http and store are left NULL: whoever opens those fills them in. */
    oauth_config_t oauth;
    /* Points into this structure (http, oauth): use it where it was filled. */
    relay_config_t relay;
} bridge_config_t;

/* Fill `out` from the options, which it borrows (they must outlive it); it
 * cannot fail. Call once the log is open: whether HTTP exchanges are logged
 * follows its level. */
void config_from_options(const bridge_options_t *o, bridge_config_t *out);

#endif
