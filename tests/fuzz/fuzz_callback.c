/* libFuzzer target: the loopback redirect request parser, on arbitrary bytes. */
#include "bridge/base/err.h"
#include "oauth/callback_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oauth_callback_params_t p;
    int rc = oauth_callback_parse((const char *)data, size, "/oauth/callback", &p);
    if (rc == 0) {
        /* Decoded values are NUL-terminated, bounded and free of NUL bytes. */
        const char *vals[] = {p.code, p.state, p.error, p.error_description, p.iss};
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
            if (vals[i] && strlen(vals[i]) > OAUTH_CALLBACK_MAX_VALUE) abort();
        oauth_callback_params_free(&p);
    } else if (rc != OAUTH_CALLBACK_NEED_MORE && rc != BRIDGE_EINVAL && rc != BRIDGE_ETOOBIG) {
        abort();
    }
    return 0;
}
