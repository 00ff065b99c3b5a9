/* Base64url without padding: encoding and strict decoding. */
#include "bridge/base/b64url.h"

#include <stdlib.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t b64url_encode(const unsigned char *in, size_t n, char *out)
{
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
    return o;
}

char *b64url_encode_alloc(const unsigned char *in, size_t n)
{
    char *out = malloc(B64URL_ENCODED_LEN(n) + 1);
    if (out) b64url_encode(in, n, out);
    return out;
}

static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

unsigned char *b64url_decode(const char *in, size_t len, size_t *outlen)
{
    while (len > 0 && in[len - 1] == '=')
        len--;
    if (len % 4 == 1) return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 3);
    if (!out) return NULL;
    size_t o = 0;
    unsigned long acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int s = sextet((unsigned char)in[i]);
        if (s < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned long)s;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1UL << bits) - 1;
        }
    }
    if (acc != 0) { /* the unused low bits of the last character must be zero */
        free(out);
        return NULL;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}
