/* The checks options_parse() makes of options taken together: the machine
 * sign-ins (client credentials, enterprise, workload identity, a client key)
 * and the `key` subcommand's arguments. */
#include "bridge/cli/options.h"
#include "bridge/base/err.h"
#include "bridge/cli/options_values.h"
#include "oauth/oauth.h"

#include <assert.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* The options of enterprise and machine sign-in go together as they are used. */
int opt_check_machine_sign_in(const bridge_options_t *o, char *err, size_t errlen)
{
    int idp = o->idp_issuer || o->idp_token_endpoint;
    int workload = o->workload_token_file || o->workload_token_env;
    /* --client-private-key alone is fine: a client is registered with its
     * public key where the server allows. */
    const char *needs_client = idp        ? "--idp-issuer or --idp-token-endpoint"
                               : workload ? "--workload-token-file or -env"
                                          : NULL;
    if (needs_client && !o->static_client_info) {
        snprintf(err, errlen,
                 "%s needs the client registered at the server's authorization server: "
                 "--static-oauth-client-info '{\"client_id\":...}'",
                 needs_client);
        return BRIDGE_EINVAL;
    }
    if (o->client_key_id && !o->client_private_key) {
        snprintf(err, errlen, "--client-key-id goes with --client-private-key");
        return BRIDGE_EINVAL;
    }
    if ((idp || workload) && idp + workload + !!o->client_credentials + !!o->device_code > 1) {
        snprintf(err, errlen,
                 "--client-credentials, --device-code, --idp-issuer and --workload-token-* are "
                 "different ways to sign in: give one of them");
        return BRIDGE_EINVAL;
    }
    if (o->workload_token_file && o->workload_token_env) {
        snprintf(err, errlen, "--workload-token-file and --workload-token-env: give one of them");
        return BRIDGE_EINVAL;
    }
    int id_token_sources = !!o->id_token_file + !!o->id_token_env + !!o->id_token_command;
    if (idp && id_token_sources > 1) {
        snprintf(err, errlen,
                 "--id-token-file, --id-token-env and --id-token-command: give at most one of "
                 "them (none signs you in at the IdP)");
        return BRIDGE_EINVAL;
    }
    if (idp && !id_token_sources && (!o->idp_issuer || !o->idp_client_id)) {
        snprintf(err, errlen,
                 "without --id-token-file, --id-token-env or --id-token-command the bridge signs "
                 "you in at the IdP, which needs --idp-issuer URL and --idp-client-id ID");
        return BRIDGE_EINVAL;
    }
    if (!idp && (id_token_sources || o->idp_client_id || o->idp_client_secret)) {
        snprintf(err, errlen,
                 "--id-token-file, --id-token-env, --id-token-command and --idp-client-* go "
                 "with --idp-issuer or --idp-token-endpoint");
        return BRIDGE_EINVAL;
    }
    return 0;
}

/* `key store NAME`, `key delete NAME`, `key list`: the action known, the name
 * there when it is needed and valid. */
int opt_check_key(const bridge_options_t *o, char *err, size_t errlen)
{
    const char *act = o->key_action;
    int named = act && (!strcmp(act, "store") || !strcmp(act, "delete"));
    if (!act || (!named && strcmp(act, "list") != 0)) {
        snprintf(err, errlen, "%s%s%susage: mcp-bridge key %s", act ? "unknown action \"" : "",
                 act ? act : "", act ? "\"; " : "", command_docs[COMMAND_KEY].args);
        return BRIDGE_EINVAL;
    }
    if (named != (o->key_name != NULL)) {
        snprintf(err, errlen, "key %s %s", act, named ? "needs the key's NAME" : "takes no NAME");
        return BRIDGE_EINVAL;
    }
    char stored[OAUTH_CLIENT_KEY_NAME_MAX + 8];
    if (named && oauth_client_key_store_name(o->key_name, stored, sizeof stored) != 0) {
        snprintf(err, errlen,
                 "\"%.200s\" cannot name a key: use 1 to %d letters, digits, '.', '_' or '-'",
                 o->key_name, OAUTH_CLIENT_KEY_NAME_MAX);
        return BRIDGE_EINVAL;
    }
    return OPTIONS_RUN;
}
