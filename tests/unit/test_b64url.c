/* bridge/base/b64url.c: RFC 4648 test vectors, round trips of every length,
 * and the inputs a strict decoder refuses. */
#include "bridge/base/b64url.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static void vector(const char *plain, const char *encoded)
{
    char out[64];
    size_t n = b64url_encode((const unsigned char *)plain, strlen(plain), out);
    CHECK_STR(out, encoded);
    CHECK(n == strlen(encoded));
    CHECK(n == B64URL_ENCODED_LEN(strlen(plain)));
    size_t m = 0;
    unsigned char *back = b64url_decode(encoded, strlen(encoded), &m);
    CHECK(back && m == strlen(plain) && memcmp(back, plain, m) == 0);
    free(back);
}

int main(void)
{
    vector("", "");
    vector("f", "Zg");
    vector("fo", "Zm8");
    vector("foo", "Zm9v");
    vector("foob", "Zm9vYg");
    vector("fooba", "Zm9vYmE");
    vector("foobar", "Zm9vYmFy");

    /* Both alphabet differences from plain base64. */
    const unsigned char hi[] = {0xfb, 0xff, 0xbf};
    char out[16];
    b64url_encode(hi, 3, out);
    CHECK_STR(out, "-_-_");

    unsigned char buf[300];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    int roundtrips = 1;
    for (size_t n = 0; n <= sizeof buf; n++) {
        char *e = b64url_encode_alloc(buf, n);
        size_t m = 0;
        unsigned char *d = e ? b64url_decode(e, strlen(e), &m) : NULL;
        if (!d || m != n || memcmp(d, buf, n) != 0) roundtrips = 0;
        free(e);
        free(d);
    }
    CHECK(roundtrips);

    size_t m = 0;
    unsigned char *d = b64url_decode("Zm9vYg==", 8, &m); /* padding tolerated */
    CHECK(d && m == 4 && memcmp(d, "foob", 4) == 0);
    free(d);
    CHECK(b64url_decode("Zm9v+g", 6, &m) == NULL); /* plain-base64 alphabet */
    CHECK(b64url_decode("Zm9v/g", 6, &m) == NULL);
    CHECK(b64url_decode("Z", 1, &m) == NULL); /* impossible length */
    CHECK(b64url_decode("Zm9vY", 5, &m) == NULL);
    CHECK(b64url_decode("Zh", 2, &m) == NULL); /* non-zero trailing bits */
    CHECK(b64url_decode("Zm9 v", 5, &m) == NULL);
    return CHECK_DONE();
}
