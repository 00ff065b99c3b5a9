/* libFuzzer target: the token endpoint response validation, on arbitrary JSON. */
#include "oauth/token.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    oauth_token_t t;
    char why[256];
    if (oauth_token_parse(j, &t, why, sizeof why) == 0) {
        /* Whatever is accepted can go into a header line as it is. */
        for (const char *p = t.access_token; *p; p++)
            if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) abort();
        if (t.expires_in < 0) abort();
        oauth_token_free(&t);
    }
    json_decref(j);
    return 0;
}
