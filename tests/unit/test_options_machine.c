/* The options of enterprise and machine sign-in: what each sets in the OAuth
 * configuration, and the combinations refused at start with a sentence. */
#include "bridge/base/err.h"
#include "bridge/cli/config.h"
#include "bridge/cli/options.h"
#include "check.h"

#include <string.h>

#define ARGV(...) ((char *[]){"mcp-bridge", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"mcp-bridge", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...) options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof err)

#define URL "https://mcp.example.com/mcp"
#define CLIENT "--static-oauth-client-info", "{\"client_id\":\"c1\",\"client_secret\":\"s1\"}"

static void private_key_options(void)
{
    bridge_options_t o;
    bridge_config_t c;
    char err[512];
    CHECK(PARSE(&o, err, URL, CLIENT, "--client-credentials", "--client-private-key", "/k.pem",
                "--client-key-id", "kid-1") == OPTIONS_RUN);
    config_from_options(&o, &c);
    CHECK_STR(c.oauth.client_private_key, "/k.pem");
    CHECK_STR(c.oauth.client_key_id, "kid-1");
    options_free(&o);

    /* Without a pre-registered client: one is registered with the key's public half. */
    CHECK(PARSE(&o, err, URL, "--client-private-key", "/k.pem") == OPTIONS_RUN);
    options_free(&o);
    CHECK(PARSE(&o, err, URL, CLIENT, "--client-key-id", "kid-1") == BRIDGE_EINVAL);
    CHECK(strstr(err, "--client-private-key") != NULL);
    options_free(&o);
}

static void enterprise_options(void)
{
    bridge_options_t o;
    bridge_config_t c;
    char err[512];
    CHECK(PARSE(&o, err, URL, CLIENT, "--idp-issuer", "https://idp.example.com", "--idp-client-id",
                "idp-c", "--id-token-file", "/t") == OPTIONS_RUN);
    config_from_options(&o, &c);
    CHECK_STR(c.oauth.idp_issuer, "https://idp.example.com");
    CHECK_STR(c.oauth.idp_client_id, "idp-c");
    CHECK_STR(c.oauth.id_token_file, "/t");
    CHECK(c.oauth.id_token_env == NULL);
    options_free(&o);

    /* The ID token's source: at most one; none is a sign-in at the IdP, which
     * needs the issuer and the client there. */
    CHECK(PARSE(&o, err, URL, CLIENT, "--idp-issuer", "https://idp.example.com") == BRIDGE_EINVAL);
    CHECK(strstr(err, "--idp-client-id") != NULL);
    options_free(&o);
    CHECK(PARSE(&o, err, URL, CLIENT, "--idp-token-endpoint", "https://idp.example.com/token",
                "--idp-client-id", "idp-c") == BRIDGE_EINVAL);
    CHECK(strstr(err, "--idp-issuer") != NULL);
    options_free(&o);
    CHECK(PARSE(&o, err, URL, CLIENT, "--idp-issuer", "https://idp.example.com", "--idp-client-id",
                "idp-c") == OPTIONS_RUN);
    CHECK(o.id_token_file == NULL && o.id_token_env == NULL && o.id_token_command == NULL);
    options_free(&o);
    CHECK(PARSE(&o, err, URL, CLIENT, "--idp-token-endpoint", "https://idp.example.com/token",
                "--id-token-file", "/t", "--id-token-env", "T") == BRIDGE_EINVAL);
    options_free(&o);
    /* An IdP reached over plain http off loopback is refused. */
    CHECK(PARSE(&o, err, URL, CLIENT, "--idp-issuer", "http://idp.example.com", "--id-token-env",
                "T") == BRIDGE_EINVAL);
    CHECK(strstr(err, "https://") != NULL);
    options_free(&o);
    /* The IdP's options without an IdP. */
    CHECK(PARSE(&o, err, URL, CLIENT, "--id-token-file", "/t") == BRIDGE_EINVAL);
    options_free(&o);
    /* No client at the AS. */
    CHECK(PARSE(&o, err, URL, "--idp-issuer", "https://idp.example.com", "--id-token-env", "T") ==
          BRIDGE_EINVAL);
    options_free(&o);
}

static void workload_options(void)
{
    bridge_options_t o;
    bridge_config_t c;
    char err[512];
    CHECK(PARSE(&o, err, URL, CLIENT, "--workload-token-file", "/var/run/token") == OPTIONS_RUN);
    config_from_options(&o, &c);
    CHECK_STR(c.oauth.workload_token_file, "/var/run/token");
    options_free(&o);

    CHECK(PARSE(&o, err, URL, CLIENT, "--workload-token-file", "/t", "--workload-token-env", "T") ==
          BRIDGE_EINVAL);
    options_free(&o);
    /* Two ways to sign in at once. */
    CHECK(PARSE(&o, err, URL, CLIENT, "--workload-token-env", "T", "--client-credentials") ==
          BRIDGE_EINVAL);
    CHECK(strstr(err, "give one of them") != NULL);
    options_free(&o);
    CHECK(PARSE(&o, err, URL, CLIENT, "--workload-token-env", "T", "--idp-issuer",
                "https://idp.example.com", "--id-token-env", "I") == BRIDGE_EINVAL);
    options_free(&o);
    /* --client-credentials with --device-code stays as it was. */
    CHECK(PARSE(&o, err, URL, CLIENT, "--client-credentials", "--device-code") == OPTIONS_RUN);
    options_free(&o);
}

int main(void)
{
    private_key_options();
    enterprise_options();
    workload_options();
    return CHECK_DONE();
}
