/* `mcp-bridge key store|delete|list`: client private keys (PEM) kept in the
 * credential store under "key-NAME", for --client-private-key keychain:NAME.
 * A key is refused unless it parses; it is never printed, and wiped after use. */
#include "bridge/cli/cmd.h"
#include "bridge/cli/session.h"
#include "bridge/base/err.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key_store(cli_session_t *c, const bridge_options_t *o)
{
    char *pem = NULL;
    char why[600] = "";
    int rc = oauth_read_secret_input(o->key_from, "private key", &pem, why, sizeof why);
    if (!rc) {
        rc = oauth_client_key_store(c->store, o->key_name, pem, why, sizeof why);
        OPENSSL_cleanse(pem, strlen(pem));
        free(pem);
    }
    if (rc) {
        fprintf(stderr, "mcp-bridge: key store %s: %s\n", o->key_name,
                why[0] ? why : bridge_strerror(rc));
        return 1;
    }
    printf("Stored the private key %s in %s; use it with --client-private-key keychain:%s\n",
           o->key_name, keychain_where(c->store), o->key_name);
    return 0;
}

static int key_delete(cli_session_t *c, const char *name)
{
    char stored[OAUTH_CLIENT_KEY_NAME_MAX + 8];
    if (oauth_client_key_store_name(name, stored, sizeof stored) != 0)
        return 2; /* options_parse refuses such a name */
    char *pem = NULL;
    if (keychain_get(c->store, stored, &pem) != 0) {
        printf("No key named %s in %s.\n", name, keychain_where(c->store));
        return 1;
    }
    OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
    if (keychain_delete(c->store, stored) != 0) {
        fprintf(stderr, "mcp-bridge: could not delete the key %s from %s\n", name,
                keychain_where(c->store));
        return 1;
    }
    printf("Deleted the private key %s from %s.\n", name, keychain_where(c->store));
    return 0;
}

static int key_list(cli_session_t *c)
{
    char **names = NULL;
    size_t n = 0;
    if (keychain_list(c->store, &names, &n) != 0) {
        fprintf(stderr, "mcp-bridge: cannot list %s\n", keychain_where(c->store));
        return 1;
    }
    size_t prefix = strlen(OAUTH_CLIENT_KEY_STORE_PREFIX), shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(names[i], OAUTH_CLIENT_KEY_STORE_PREFIX, prefix) != 0) continue;
        if (!shown++) printf("Private keys in %s:\n", keychain_where(c->store));
        printf("  %s\n", names[i] + prefix);
    }
    if (!shown) printf("No private keys stored (looked in %s).\n", keychain_where(c->store));
    keychain_free_list(names, n);
    return 0;
}

int cmd_key(const bridge_options_t *o)
{
    assert(o->key_action);
    cli_session_t c;
    if (cli_session_open(&c, o, 0)) return 1;
    int code = !strcmp(o->key_action, "store")    ? key_store(&c, o)
               : !strcmp(o->key_action, "delete") ? key_delete(&c, o->key_name)
                                                  : key_list(&c);
    cli_session_close(&c);
    return code;
}
