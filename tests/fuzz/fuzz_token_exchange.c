/* libFuzzer target: the token-exchange (ID-JAG) answer validation, on
 * arbitrary JSON. */
#include "oauth/token.h"
#include "oauth/token_exchange.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    oauth_id_jag_t jag;
    char why[256];
    if (oauth_token_exchange_parse(j, &jag, why, sizeof why) == 0) {
        /* The ID-JAG goes into a form as it is: printable, bounded. */
        if (!oauth_token_printable(jag.assertion)) abort();
        if (jag.expires_in < 0) abort();
        oauth_token_exchange_free(&jag);
    } else if (jag.assertion || jag.scope) {
        abort();
    }
    json_decref(j);
    return 0;
}
