/* JWS compact serialization (RFC 7515) signed with a private key from a PEM file
 * or PEM text: ES256, RS256 and EdDSA (Ed25519), and the choice of one of them
 * from an authorization server's list. Pure apart from reading the key file. */
#ifndef MCP_BRIDGE_OAUTH_JWT_H
#define MCP_BRIDGE_OAUTH_JWT_H

#include <jansson.h>
#include <openssl/types.h>
#include <stddef.h>

#define OAUTH_JWT_KEY_FILE_MAX (64 * 1024) /* longest PEM file read */
#define OAUTH_JWT_MAX (64 * 1024)          /* longest JWT produced */

typedef enum oauth_jwt_alg {
    OAUTH_JWT_ES256,   /* ECDSA P-256 + SHA-256, signature r||s (RFC 7518 §3.4) */
    OAUTH_JWT_RS256,   /* RSASSA-PKCS1-v1_5 + SHA-256 */
    OAUTH_JWT_EDDSA,   /* Ed25519 under the name "EdDSA" (RFC 8037) */
    OAUTH_JWT_ED25519, /* the same signature under its fully-specified name "Ed25519" */
} oauth_jwt_alg_t;

/* "ES256", "RS256", "EdDSA" or "Ed25519". */
const char *oauth_jwt_alg_name(oauth_jwt_alg_t alg);

/* Reads a private key from PEM text of len bytes: PKCS#8 ("PRIVATE KEY"),
 * "EC PRIVATE KEY" or "RSA PRIVATE KEY". Only EC P-256, RSA of 2048 bits or more
 * and Ed25519 keys are accepted; an encrypted key is refused (we never ask for a
 * passphrase). On success *out is a new key (EVP_PKEY_free() it). On failure
 * writes a sentence to why (never key material) and returns BRIDGE_EINVAL or
 * BRIDGE_ENOMEM. */
int oauth_jwt_key_from_pem(const char *pem, size_t len, EVP_PKEY **out, char *why, size_t whylen);

/* The same from a file, which must be a regular file of at most
 * OAUTH_JWT_KEY_FILE_MAX bytes that neither group nor others can read or write
 * (as OpenSSH demands of its keys); the sentence names the path and the chmod to
 * run. BRIDGE_EIO when it cannot be read. The bytes read are wiped. */
int oauth_jwt_key_load_file(const char *path, EVP_PKEY **out, char *why, size_t whylen);

/* The algorithm a key signs with when the server names none: ES256 for EC
 * P-256, RS256 for RSA, EdDSA for Ed25519. BRIDGE_EINVAL for other keys. */
int oauth_jwt_key_alg(EVP_PKEY *key, oauth_jwt_alg_t *alg);

/* Picks the algorithm for key from a server's
 * token_endpoint_auth_signing_alg_values_supported (an array of strings, or NULL
 * when the metadata has none: then the key's own algorithm). A list that holds
 * no algorithm this key can make writes a sentence and returns BRIDGE_EINVAL. */
int oauth_jwt_choose_alg(EVP_PKEY *key, const json_t *supported, oauth_jwt_alg_t *alg, char *why,
                         size_t whylen);

/* Signs len bytes of signing input (ASCII "header.payload") and returns the
 * base64url signature in *sig_b64 (malloc'd). BRIDGE_EINVAL when the key cannot
 * make alg, BRIDGE_EIO when OpenSSL fails, BRIDGE_ENOMEM. */
int oauth_jws_sign_input(EVP_PKEY *key, oauth_jwt_alg_t alg, const char *input, size_t len,
                         char **sig_b64);

/* A compact JWS of the JSON object claims with the protected header `header`
 * (an object, or NULL for none) plus "alg", which is set here. *out is a
 * malloc'd NUL-terminated string. Same errors as oauth_jws_sign_input, and
 * BRIDGE_ETOOBIG over OAUTH_JWT_MAX. */
int oauth_jwt_sign(EVP_PKEY *key, oauth_jwt_alg_t alg, const json_t *header, const json_t *claims,
                   char **out);

#endif
