/* libFuzzer target: an ID token from the enterprise IdP (oauth/id_token.c),
 * checked against a JWK Set. The input is the JWK Set's JSON on its first line
 * and the token after it, both outside input. Whatever the input: a defined
 * answer, a reason that is a sentence (never the token), and a token that
 * passes against a key set fails once its signature is changed. (Without a key
 * set the signature is not checked: the token came from the IdP's token
 * endpoint over TLS, OpenID Connect Core §3.1.3.7.) */
#include "bridge/base/err.h"
#include "oauth/id_token.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) abort();                                                                         \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t jwks_len = nl ? (size_t)(nl - text) : 0;
    json_t *jwks = jwks_len ? json_loadb(text, jwks_len, 0, NULL) : NULL;
    size_t tok_len = nl ? size - jwks_len - 1 : size;
    char *token = malloc(tok_len + 1);
    REQUIRE(token);
    memcpy(token, nl ? nl + 1 : text, tok_len);
    token[tok_len] = 0;

    oauth_id_token_expect_t want = {
        .issuer = "https://idp.example",
        .client_id = "mcp-bridge",
        .nonce = "n-0S6_WzA2Mj",
        .jwks = json_is_object(jwks) ? jwks : NULL,
        .now = 1700000000,
    };
    char why[256];
    memset(why, 'x', sizeof why);
    time_t exp = 0;
    int rc = oauth_id_token_check(token, &want, &exp, why, sizeof why);
    REQUIRE(rc == 0 || rc == BRIDGE_EPROTO || rc == BRIDGE_ENOMEM || rc == BRIDGE_EIO);
    if (rc == 0) {
        REQUIRE(exp > want.now);
        if (want.jwks) {
            /* The signature was checked: a changed one fails. */
            char *sig = strrchr(token, '.');
            size_t n = sig ? strlen(sig + 1) : 0;
            if (n > 8) {
                char *c = sig + 1 + n / 2;
                *c = *c == 'A' ? 'B' : 'A';
                REQUIRE(oauth_id_token_check(token, &want, NULL, why, sizeof why) != 0);
            }
        }
    } else {
        REQUIRE(memchr(why, 0, sizeof why) != NULL); /* a terminated sentence */
        REQUIRE(why[0] != 0);
        if (strlen(token) >= 16) REQUIRE(!strstr(why, token)); /* never the token itself */
    }
    free(token);
    json_decref(jwks);
    return 0;
}
