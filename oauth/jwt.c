/* JWS signing for client assertions and DPoP proofs: key loading with the checks
 * a private key file deserves, key type to JOSE algorithm, and the three
 * signatures in their JOSE form. */
#include "oauth/jwt.h"
#include "bridge/base/b64url.h"
#include "bridge/base/err.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ES256_HALF 32 /* bytes of r and of s */

const char *oauth_jwt_alg_name(oauth_jwt_alg_t alg)
{
    switch (alg) {
    case OAUTH_JWT_ES256:
        return "ES256";
    case OAUTH_JWT_RS256:
        return "RS256";
    case OAUTH_JWT_EDDSA:
        return "EdDSA";
    case OAUTH_JWT_ED25519:
        return "Ed25519";
    }
    return "?";
}

/* PEM passphrase callback: records that the key is encrypted and gives no
 * passphrase, so reading fails instead of prompting on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *asked)
{
    *(int *)asked = 1;
    return 0;
}

static int is_p256(EVP_PKEY *key)
{
    char group[64];
    size_t n = 0;
    return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                          &n) == 1 &&
           strcmp(group, "prime256v1") == 0;
}

int oauth_jwt_key_alg(EVP_PKEY *key, oauth_jwt_alg_t *alg)
{
    assert(key);
    if (EVP_PKEY_is_a(key, "EC") && is_p256(key))
        *alg = OAUTH_JWT_ES256;
    else if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048)
        *alg = OAUTH_JWT_RS256;
    else if (EVP_PKEY_is_a(key, "ED25519"))
        *alg = OAUTH_JWT_EDDSA;
    else
        return BRIDGE_EINVAL;
    return 0;
}

int oauth_jwt_key_from_pem(const char *pem, size_t len, EVP_PKEY **out, char *why, size_t whylen)
{
    *out = NULL;
    if (len > OAUTH_JWT_KEY_FILE_MAX) {
        snprintf(why, whylen, "the private key is longer than %d bytes", OAUTH_JWT_KEY_FILE_MAX);
        return BRIDGE_EINVAL;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) return BRIDGE_ENOMEM;
    int asked = 0;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked);
    BIO_free(bio);
    ERR_clear_error();
    oauth_jwt_alg_t alg;
    if (!key) {
        snprintf(why, whylen,
                 asked ? "the private key is encrypted; give it without a passphrase (for "
                         "example: openssl pkey -in KEY -out KEY.plain)"
                       : "no PEM private key (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY) "
                         "could be read");
        return BRIDGE_EINVAL;
    }
    if (oauth_jwt_key_alg(key, &alg) < 0) {
        EVP_PKEY_free(key);
        snprintf(why, whylen,
                 "the private key is not an EC P-256, RSA (2048 bits or more) or Ed25519 key");
        return BRIDGE_EINVAL;
    }
    *out = key;
    return 0;
}

int oauth_jwt_key_load_file(const char *path, EVP_PKEY **out, char *why, size_t whylen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "cannot open the private key file %s: %s", path, strerror(errno));
        return BRIDGE_EIO;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "the private key file %s is not a regular file", path);
        rc = BRIDGE_EIO;
    } else if (st.st_mode & 077) {
        snprintf(why, whylen,
                 "permissions %04o for the private key file %s are too open: it must not be "
                 "accessible by others; run: chmod 600 %s",
                 (unsigned)(st.st_mode & 07777), path, path);
        rc = BRIDGE_EINVAL;
    } else if (st.st_size > OAUTH_JWT_KEY_FILE_MAX) {
        snprintf(why, whylen, "the private key file %s is longer than %d bytes", path,
                 OAUTH_JWT_KEY_FILE_MAX);
        rc = BRIDGE_EINVAL;
    }
    if (rc) {
        close(fd);
        return rc;
    }
    char *text = malloc(OAUTH_JWT_KEY_FILE_MAX + 1);
    size_t len = 0;
    if (!text) rc = BRIDGE_ENOMEM;
    while (!rc && len <= OAUTH_JWT_KEY_FILE_MAX) {
        ssize_t n = read(fd, text + len, OAUTH_JWT_KEY_FILE_MAX + 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(why, whylen, "cannot read the private key file %s: %s", path, strerror(errno));
            rc = BRIDGE_EIO;
        }
        if (n <= 0) break;
        len += (size_t)n;
    }
    close(fd);
    if (!rc) {
        char inner[160];
        rc = oauth_jwt_key_from_pem(text, len, out, inner, sizeof inner);
        if (rc == BRIDGE_EINVAL) snprintf(why, whylen, "%s: %s", path, inner);
    }
    if (text) OPENSSL_cleanse(text, OAUTH_JWT_KEY_FILE_MAX + 1);
    free(text);
    return rc;
}

static int key_can(EVP_PKEY *key, oauth_jwt_alg_t want)
{
    oauth_jwt_alg_t own;
    if (oauth_jwt_key_alg(key, &own) < 0) return 0;
    if (own == OAUTH_JWT_EDDSA) return want == OAUTH_JWT_EDDSA || want == OAUTH_JWT_ED25519;
    return own == want;
}

int oauth_jwt_choose_alg(EVP_PKEY *key, const json_t *supported, oauth_jwt_alg_t *alg, char *why,
                         size_t whylen)
{
    if (oauth_jwt_key_alg(key, alg) < 0) {
        snprintf(why, whylen, "the private key cannot sign a JWT (EC P-256, RSA or Ed25519)");
        return BRIDGE_EINVAL;
    }
    if (!supported) return 0;
    static const oauth_jwt_alg_t order[] = {OAUTH_JWT_ES256, OAUTH_JWT_EDDSA, OAUTH_JWT_ED25519,
                                            OAUTH_JWT_RS256};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!key_can(key, order[i])) continue;
        size_t j;
        const json_t *v;
        json_array_foreach (supported, j, v) {
            if (json_is_string(v) &&
                strcmp(json_string_value(v), oauth_jwt_alg_name(order[i])) == 0) {
                *alg = order[i];
                return 0;
            }
        }
    }
    snprintf(why, whylen,
             "the authorization server accepts no signing algorithm this %s key can make "
             "(token_endpoint_auth_signing_alg_values_supported lacks %s)",
             *alg == OAUTH_JWT_ES256   ? "EC P-256"
             : *alg == OAUTH_JWT_RS256 ? "RSA"
                                       : "Ed25519",
             oauth_jwt_alg_name(*alg));
    return BRIDGE_EINVAL;
}

/* A DER ECDSA signature as the 64 bytes r||s that JWS uses (RFC 7518 §3.4). */
static int ecdsa_der_to_jose(const unsigned char *der, size_t len,
                             unsigned char out[2 * ES256_HALF])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (!sig) return BRIDGE_EIO;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    int ok = BN_bn2binpad(r, out, ES256_HALF) == ES256_HALF &&
             BN_bn2binpad(s, out + ES256_HALF, ES256_HALF) == ES256_HALF;
    ECDSA_SIG_free(sig);
    return ok ? 0 : BRIDGE_EIO;
}

int oauth_jws_sign_input(EVP_PKEY *key, oauth_jwt_alg_t alg, const char *input, size_t len,
                         char **sig_b64)
{
    *sig_b64 = NULL;
    if (!key_can(key, alg)) return BRIDGE_EINVAL;
    int eddsa = alg == OAUTH_JWT_EDDSA || alg == OAUTH_JWT_ED25519;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t siglen = 0;
    int rc = BRIDGE_EIO;
    if (!ctx) return BRIDGE_ENOMEM;
    if (EVP_DigestSignInit(ctx, NULL, eddsa ? NULL : EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, len) == 1 &&
        (sig = malloc(siglen)) &&
        EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, len) == 1) {
        rc = 0;
        if (alg == OAUTH_JWT_ES256) {
            unsigned char rs[2 * ES256_HALF];
            rc = ecdsa_der_to_jose(sig, siglen, rs);
            /* sig has room for the longest DER form (72 bytes), more than 64. */
            if (!rc) memcpy(sig, rs, siglen = sizeof rs);
        }
        if (!rc && !(*sig_b64 = b64url_encode_alloc(sig, siglen))) rc = BRIDGE_ENOMEM;
    } else if (siglen && !sig) {
        rc = BRIDGE_ENOMEM;
    }
    ERR_clear_error();
    free(sig);
    EVP_MD_CTX_free(ctx);
    return rc;
}

static char *b64url_json(const json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    if (!text) return NULL;
    char *enc = b64url_encode_alloc((const unsigned char *)text, strlen(text));
    free(text);
    return enc;
}

int oauth_jwt_sign(EVP_PKEY *key, oauth_jwt_alg_t alg, const json_t *header, const json_t *claims,
                   char **out)
{
    assert(json_is_object(claims));
    *out = NULL;
    json_t *hdr = header ? json_copy((json_t *)header) : json_object();
    if (!hdr || json_object_set_new(hdr, "alg", json_string(oauth_jwt_alg_name(alg))) < 0) {
        json_decref(hdr);
        return BRIDGE_ENOMEM;
    }
    char *h = b64url_json(hdr), *c = b64url_json(claims), *jwt = NULL, *sig = NULL;
    json_decref(hdr);
    int rc = h && c ? 0 : BRIDGE_ENOMEM;
    size_t input_len = rc ? 0 : strlen(h) + 1 + strlen(c);
    if (!rc && input_len > OAUTH_JWT_MAX) rc = BRIDGE_ETOOBIG;
    if (!rc && !(jwt = malloc(input_len + 1))) rc = BRIDGE_ENOMEM;
    if (!rc) {
        snprintf(jwt, input_len + 1, "%s.%s", h, c);
        rc = oauth_jws_sign_input(key, alg, jwt, input_len, &sig);
    }
    if (!rc) {
        size_t total = input_len + 1 + strlen(sig);
        char *full = total <= OAUTH_JWT_MAX ? realloc(jwt, total + 1) : NULL;
        if (!full)
            rc = total > OAUTH_JWT_MAX ? BRIDGE_ETOOBIG : BRIDGE_ENOMEM;
        else {
            snprintf(full + input_len, total + 1 - input_len, ".%s", sig);
            *out = full;
            jwt = NULL;
        }
    }
    free(h);
    free(c);
    free(sig);
    free(jwt);
    return rc;
}
