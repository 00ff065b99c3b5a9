/* Client keys kept in the credential store (--client-private-key keychain:NAME,
 * `mcp-bridge key`): the names a key may have, a key stored only once it
 * parses, and the options of the `key` subcommand. */
#include "check.h"
#include "bridge/base/err.h"
#include "bridge/cli/config.h"
#include "bridge/cli/options.h"
#include "keychain/keychain.h"
#include "oauth/oauth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#define ARGV(...) ((char *[]){"mcp-bridge", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"mcp-bridge", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...) options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof err)

static void store_names(void)
{
    char out[OAUTH_CLIENT_KEY_NAME_MAX + 8];
    CHECK(oauth_client_key_store_name("prod.key_1-a", out, sizeof out) == 0);
    CHECK_STR(out, "key-prod.key_1-a");
    char longest[OAUTH_CLIENT_KEY_NAME_MAX + 2];
    memset(longest, 'k', sizeof longest - 1);
    longest[OAUTH_CLIENT_KEY_NAME_MAX] = 0;
    CHECK(oauth_client_key_store_name(longest, out, sizeof out) == 0);
    CHECK(strlen(out) == 4 + OAUTH_CLIENT_KEY_NAME_MAX);
    longest[OAUTH_CLIENT_KEY_NAME_MAX] = 'k';
    longest[OAUTH_CLIENT_KEY_NAME_MAX + 1] = 0;
    CHECK(oauth_client_key_store_name(longest, out, sizeof out) == BRIDGE_EINVAL && !out[0]);
    const char *bad[] = {"", "a/b", "../x", "a b", "a:b", "é", "a\nb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(oauth_client_key_store_name(bad[i], out, sizeof out) == BRIDGE_EINVAL);
    CHECK(oauth_client_key_store_name(NULL, out, sizeof out) == BRIDGE_EINVAL);
}

static char *pem_of(EVP_PKEY *key, const EVP_CIPHER *cipher)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, key, cipher, (unsigned char *)"pw", cipher ? 2 : 0, NULL, NULL);
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

static void store_checks_the_key(void)
{
    keychain_t *k = NULL;
    CHECK(keychain_open(KEYCHAIN_MEMORY, NULL, &k, NULL, 0) == 0);
    EVP_PKEY *ec = EVP_EC_gen("P-256"), *small = EVP_RSA_gen(1024);
    char *pem = pem_of(ec, NULL), *encrypted = pem_of(ec, EVP_aes_128_cbc());
    char *weak = pem_of(small, NULL);
    char why[400], *got = NULL;

    CHECK(oauth_client_key_store(k, "m1", pem, why, sizeof why) == 0);
    CHECK(keychain_get(k, "key-m1", &got) == 0 && got && !strcmp(got, pem));
    free(got);

    /* Refused with a sentence and nothing stored: not a key, an encrypted
     * key, a key too weak to sign with, a bad name. */
    why[0] = 0;
    CHECK(oauth_client_key_store(k, "m2", "not a key", why, sizeof why) == BRIDGE_EINVAL);
    CHECK(strstr(why, "nothing stored") != NULL);
    CHECK(oauth_client_key_store(k, "m2", encrypted, why, sizeof why) == BRIDGE_EINVAL);
    CHECK(strstr(why, "encrypted") != NULL);
    CHECK(oauth_client_key_store(k, "m2", weak, why, sizeof why) == BRIDGE_EINVAL);
    CHECK(keychain_get(k, "key-m2", &got) == BRIDGE_EINVAL && !got);
    CHECK(oauth_client_key_store(k, "m/2", pem, why, sizeof why) == BRIDGE_EINVAL);
    CHECK(strstr(why, "cannot name a key") != NULL);
    CHECK(strstr(why, "PRIVATE") == NULL); /* never key material */

    free(pem);
    free(encrypted);
    free(weak);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(small);
    keychain_close(k);
}

static void key_command_options(void)
{
    bridge_options_t o;
    char err[512];
    CHECK(PARSE(&o, err, "key", "store", "prod", "--from", "/k.pem") == OPTIONS_RUN);
    CHECK(o.command == COMMAND_KEY);
    CHECK_STR(o.key_action, "store");
    CHECK_STR(o.key_name, "prod");
    CHECK_STR(o.key_from, "/k.pem");
    options_free(&o);
    CHECK(PARSE(&o, err, "key", "store", "prod") == OPTIONS_RUN && !o.key_from);
    options_free(&o);
    CHECK(PARSE(&o, err, "key", "delete", "prod", "--token-store", "file") == OPTIONS_RUN);
    options_free(&o);
    CHECK(PARSE(&o, err, "key", "list") == OPTIONS_RUN && !o.key_name);
    options_free(&o);

    struct {
        char *argv[6];
        const char *says;
    } refused[] = {
        {{"key"}, "usage"},
        {{"key", "frob"}, "unknown action"},
        {{"key", "store"}, "needs the key's NAME"},
        {{"key", "list", "x"}, "takes no NAME"},
        {{"key", "store", "a/b"}, "cannot name a key"},
        {{"key", "store", "a", "b"}, "unexpected argument"},
        {{"key", "delete", "a", "--from", "/f"}, "--from goes with"},
        {{"login", "https://mcp.example.com/", "--from", "/f"}, "--from goes with"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int argc = 1;
        char *argv[8] = {"mcp-bridge"};
        for (size_t j = 0; refused[i].argv[j]; j++)
            argv[argc++] = refused[i].argv[j];
        err[0] = 0;
        CHECK(options_parse(argc, argv, &o, err, sizeof err) == BRIDGE_EINVAL);
        CHECK(strstr(err, refused[i].says) != NULL);
        options_free(&o);
    }
}

static void keychain_key_option(void)
{
    bridge_options_t o;
    bridge_config_t c;
    char err[512];
    /* No pre-registered client needed: one may be registered with the key. */
    CHECK(PARSE(&o, err, "https://mcp.example.com/mcp", "--client-private-key", "keychain:prod") ==
          OPTIONS_RUN);
    config_from_options(&o, &c);
    CHECK_STR(c.oauth.client_private_key, "keychain:prod");
    options_free(&o);
    char *bad[] = {"keychain:", "keychain:a/b", "keychain:a b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(PARSE(&o, err, "https://mcp.example.com/mcp", "--client-private-key", bad[i]) ==
              BRIDGE_EINVAL);
        CHECK(strstr(err, "keychain:") != NULL);
        options_free(&o);
    }
}

int main(void)
{
    store_names();
    store_checks_the_key();
    key_command_options();
    keychain_key_option();
    return CHECK_DONE();
}
