/* libFuzzer target: importing a private DPoP JWK (kept in the keychain, so read
 * back like outside input). What is accepted must export and import again to
 * the same key and sign a proof. */
#include "oauth/dpop.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EVP_PKEY *key = NULL, *again = NULL;
    if (oauth_dpop_key_import((const char *)data, size, &key) != 0) {
        if (key) abort();
        return 0;
    }
    char *jwk = NULL, *proof = NULL;
    if (oauth_dpop_key_export(key, &jwk) != 0) abort();
    if (oauth_dpop_key_import(jwk, strlen(jwk), &again) != 0) abort();
    if (EVP_PKEY_eq(key, again) != 1) abort();
    if (oauth_dpop_proof(key, "POST", "https://as.example/token", "tok", "n", 1, &proof) != 0)
        abort();
    OPENSSL_cleanse(jwk, strlen(jwk));
    free(jwk);
    free(proof);
    EVP_PKEY_free(again);
    EVP_PKEY_free(key);
    return 0;
}
