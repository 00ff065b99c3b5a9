/* Base64url (RFC 4648 §5) without padding, the encoding of PKCE, JWTs and
 * JWKs. OpenSSL offers only padded base64 with the other alphabet. */
#ifndef BRIDGE_B64URL_H
#define BRIDGE_B64URL_H

#include <stddef.h>

/* Characters b64url_encode writes for n bytes, without the terminating NUL. */
#define B64URL_ENCODED_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* Encodes n bytes into out, which holds B64URL_ENCODED_LEN(n) + 1; returns the
 * length written (out is NUL-terminated). */
size_t b64url_encode(const unsigned char *in, size_t n, char *out);

/* Encodes into a new string (free() it); NULL when out of memory. */
char *b64url_encode_alloc(const unsigned char *in, size_t n);

/* Decodes len characters of unpadded base64url (a trailing '=' padding is
 * tolerated) into a new buffer of *outlen bytes, NUL-terminated for
 * convenience. NULL on a character outside the alphabet, an impossible length,
 * non-zero trailing bits, or out of memory. */
unsigned char *b64url_decode(const char *in, size_t len, size_t *outlen);

#endif
