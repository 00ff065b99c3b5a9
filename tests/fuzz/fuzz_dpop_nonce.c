/* libFuzzer target: the DPoP-Nonce header value and the use_dpop_nonce
 * recognisers (WWW-Authenticate DPoP challenge, token endpoint JSON error). */
#include "oauth/dpop_nonce.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *nonce = NULL;
    if (oauth_dpop_nonce_parse((const char *)data, size, &nonce) == 0) {
        /* An accepted nonce is safe to put into a JWT claim and a log line. */
        size_t n = strlen(nonce);
        if (n == 0 || n > OAUTH_DPOP_NONCE_MAX) abort();
        for (size_t i = 0; i < n; i++)
            if (nonce[i] < 0x21 || nonce[i] > 0x7e || nonce[i] == '"' || nonce[i] == '\\') abort();
        free(nonce);
    } else if (nonce) {
        abort();
    }
    int wants = oauth_dpop_challenge_wants_nonce((const char *)data, size);
    if (wants != 0 && wants != 1) abort();
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    wants = oauth_dpop_error_wants_nonce(j);
    if (wants != 0 && wants != 1) abort();
    json_decref(j);
    return 0;
}
