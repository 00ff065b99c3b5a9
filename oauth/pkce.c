/* PKCE and state generation on OpenSSL: RAND_bytes for entropy, EVP for
 * SHA-256. Base64url is done here because OpenSSL only offers padded base64. */
#include "oauth/pkce.h"
#include "bridge/base/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

/* Base64url without padding of n bytes into out, which holds 4*ceil(n/3)+1. */
static void base64url(const unsigned char *in, size_t n, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16;
        size_t left = n - i;
        if (left > 1) v |= (unsigned long)in[i + 1] << 8;
        if (left > 2) v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (left > 1) out[o++] = alphabet[(v >> 6) & 63];
        if (left > 2) out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
}

static int random_base64url(size_t nbytes, char *out)
{
    unsigned char raw[48];
    if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1) return BRIDGE_EIO;
    base64url(raw, nbytes, out);
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
    base64url(md, mdlen, out);
    return 0;
}

int oauth_consttime_equal(const char *a, const char *b)
{
    if (!a || !b) return 0;
    size_t n = strlen(a);
    if (strlen(b) != n) return 0;
    return CRYPTO_memcmp(a, b, n) == 0;
}
