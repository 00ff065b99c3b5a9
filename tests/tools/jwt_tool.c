/* Prints what oauth/ signs, for tests/integration/jwt-jose.test.mjs to verify
 * with an independent JOSE library:
 *   jwt_tool assertion KEY_FILE CLIENT_ID ISSUER [ALGS_JSON]  -> a client assertion
 *   jwt_tool dpop-key                                         -> a new private DPoP JWK
 *   jwt_tool dpop JWK_FILE METHOD URL [TOKEN [NONCE]]         -> a proof, then the jkt
 * Errors go to stderr with exit status 1. */
#include "oauth/client_assertion.h"
#include "oauth/dpop.h"
#include "oauth/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int assertion(int argc, char **argv)
{
    char why[512] = "";
    EVP_PKEY *key = NULL;
    json_t *algs = argc > 5 ? json_loads(argv[5], 0, NULL) : NULL;
    oauth_jwt_alg_t alg;
    char *jwt = NULL;
    int rc = oauth_jwt_key_load_file(argv[2], &key, why, sizeof why);
    if (!rc) rc = oauth_jwt_choose_alg(key, algs, &alg, why, sizeof why);
    if (!rc) rc = oauth_client_assertion(key, alg, argv[3], argv[4], NULL, time(NULL), &jwt);
    if (rc)
        fprintf(stderr, "jwt_tool: %s (%d)\n", why, rc);
    else
        printf("%s\n", jwt);
    free(jwt);
    json_decref(algs);
    EVP_PKEY_free(key);
    return rc ? 1 : 0;
}

static int dpop_key(void)
{
    EVP_PKEY *key = NULL;
    char *jwk = NULL;
    int rc = oauth_dpop_key_generate(&key);
    if (!rc) rc = oauth_dpop_key_export(key, &jwk);
    if (!rc) printf("%s\n", jwk);
    if (jwk) OPENSSL_cleanse(jwk, strlen(jwk));
    free(jwk);
    EVP_PKEY_free(key);
    return rc ? 1 : 0;
}

static int dpop(int argc, char **argv)
{
    char text[OAUTH_DPOP_JWK_MAX + 2], jkt[OAUTH_JWK_THUMBPRINT_LEN + 1];
    FILE *f = fopen(argv[2], "r");
    size_t n = f ? fread(text, 1, sizeof text, f) : 0;
    if (f) fclose(f);
    EVP_PKEY *key = NULL;
    char *proof = NULL;
    int rc = oauth_dpop_key_import(text, n, &key);
    if (!rc)
        rc = oauth_dpop_proof(key, argv[3], argv[4], argc > 5 ? argv[5] : NULL,
                              argc > 6 ? argv[6] : NULL, time(NULL), &proof);
    if (!rc) rc = oauth_dpop_jkt(key, jkt);
    if (rc)
        fprintf(stderr, "jwt_tool: DPoP failed (%d)\n", rc);
    else
        printf("%s\n%s\n", proof, jkt);
    OPENSSL_cleanse(text, sizeof text);
    free(proof);
    EVP_PKEY_free(key);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "assertion")) return assertion(argc, argv);
    if (argc == 2 && !strcmp(argv[1], "dpop-key")) return dpop_key();
    if (argc >= 5 && !strcmp(argv[1], "dpop")) return dpop(argc, argv);
    fprintf(stderr, "usage: jwt_tool assertion KEY_FILE CLIENT_ID ISSUER [ALGS_JSON]\n"
                    "       jwt_tool dpop-key\n"
                    "       jwt_tool dpop JWK_FILE METHOD URL [TOKEN [NONCE]]\n");
    return 2;
}
