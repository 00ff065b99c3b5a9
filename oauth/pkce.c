/* PKCE and state generation on OpenSSL: RAND_bytes for entropy, EVP for
 * SHA-256, base64url from bridge/base/b64url.c. */
#include "oauth/pkce.h"
#include "bridge/base/b64url.h"
#include "bridge/base/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

static int random_base64url(size_t nbytes, char *out)
{
    unsigned char raw[48];
    if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1) return BRIDGE_EIO;
    b64url_encode(raw, nbytes, out);
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

int oauth_pkce_verifier(char out[OAUTH_PKCE_VERIFIER_LEN + 1])
{
    /* 48 bytes encode to exactly 64 characters, all in the unreserved set. */
    return random_base64url(48, out);
}

int oauth_random_state(char out[OAUTH_STATE_LEN + 1])
{
    return random_base64url(32, out);
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int oauth_pkce_challenge_s256(const char *verifier, char out[OAUTH_PKCE_CHALLENGE_LEN + 1])
{
    out[0] = '\0';
    if (!verifier) return BRIDGE_EINVAL;
    size_t n = strnlen(verifier, 129);
    if (n < 43 || n > 128) return BRIDGE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!is_unreserved((unsigned char)verifier[i])) return BRIDGE_EINVAL;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(verifier, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return BRIDGE_EIO;
    b64url_encode(md, mdlen, out);
    return 0;
}

int oauth_consttime_equal(const char *a, const char *b)
{
    if (!a || !b) return 0;
    size_t n = strlen(a);
    if (strlen(b) != n) return 0;
    return CRYPTO_memcmp(a, b, n) == 0;
}
