/* Options into configuration: see config.h. Every copy of an option into a
 * part's configuration is made here, for the relay and the subcommands alike. */
#include "bridge/cli/config.h"
#include "bridge/base/log.h"

#include <string.h>

void config_from_options(const bridge_options_t *o, bridge_config_t *out)
{
    memset(out, 0, sizeof *out);
    out->http = (http_client_config_t){
        .connect_timeout_s = o->connect_timeout_s,
        .allow_http_redirects = o->allow_http,
        .verbose = log_enabled(LOG_LEVEL_DEBUG),
        .proxy = o->enable_proxy ? &o->proxy : NULL,
        .tls = &o->tls,
        .ipv4_only = o->ipv4,
        .no_cookies = o->disable_cookies,
        .headers_timeout_s = o->headers_timeout_s,
        .body_timeout_s = o->body_timeout_s,
    };
    out->token_store = (keychain_backend_t)o->token_store;
    out->oauth = (oauth_config_t){
        .server_url = o->url,
        .static_client_info = o->static_client_info,
        .static_client_metadata = o->static_client_metadata,
        .client_metadata_url = o->client_metadata_url,
        .scope = o->scope,
        .resource = o->resource,
        .disable_resource = o->disable_resource,
        .callback_port = o->callback_port,
        .callback_host = o->callback_host,
        .auth_timeout_s = o->auth_timeout_s,
        .no_browser = o->no_browser,
        .allow_http = o->allow_http,
        .callback_path = o->callback_path,
        .authorize_params = o->authorize_params,
        .authorize_params_len = o->authorize_params_len,
        .auth_success_url = o->auth_success_url,
        .use_id_token = o->use_id_token,
        .client_credentials = o->client_credentials,
        .token_endpoint = o->token_endpoint,
        .metadata_max = o->max_metadata_size,
        .device_code = o->device_code,
        .mcp_remote_callback = o->mcp_remote_callback,
        .client_private_key = o->client_private_key,
        .client_key_id = o->client_key_id,
        .idp_issuer = o->idp_issuer,
        .idp_token_endpoint = o->idp_token_endpoint,
        .idp_client_id = o->idp_client_id,
        .idp_client_secret = o->idp_client_secret,
        .id_token_file = o->id_token_file,
        .id_token_env = o->id_token_env,
        .id_token_command = o->id_token_command,
        .workload_token_file = o->workload_token_file,
        .workload_token_env = o->workload_token_env,
        .headers = o->headers.lines,
        .headers_len = o->headers.count,
    };
    out->relay = (relay_config_t){
        .url = o->url,
        .headers = o->headers.lines,
        .headers_len = o->headers.count,
        .transport = o->transport,
        .protocol_legacy = o->protocol_legacy,
        .max_message_size = o->max_message_size,
        .max_queued_bytes = o->max_queued_bytes,
        .max_pending = o->max_pending,
        .ignore_tools = o->ignore_tools,
        .ignore_tools_len = o->ignore_tools_len,
        .ping_interval_s = o->ping_interval_s,
        .http = &out->http,
        /* Credentials given with --header: the server gets those, no sign-in. */
        .oauth = header_list_get(&o->headers, "Authorization") ? NULL : &out->oauth,
        .token_store = out->token_store,
        .refresh_token = o->refresh_token,
    };
}
