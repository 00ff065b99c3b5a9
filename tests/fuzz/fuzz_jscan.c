/* libFuzzer target: the one-pass scanner against jansson. Whatever jansson
 * decodes must scan as valid, and the skeleton must route like the full decode. */
#include "bridge/base/jscan.h"
#include "bridge/base/jsonrpc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    jscan_t sc;
    int scanned = jscan(s, size, &sc, NULL) == 0;
    /* jansson stops at a raw NUL byte and accepts what came before it: not a
     * difference worth asserting on. */
    if (memchr(s, 0, size)) return 0;
    json_t *full = json_loadb(s, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (full && !scanned) abort();
    if (full && json_is_object(full)) {
        char err[128];
        int skel = 0;
        json_t *fast = jr_decode_fast(s, size, &skel, err, sizeof err);
        json_t *strict = jr_decode(s, size, err, sizeof err);
        if (fast && strict) {
            json_t *id1 = NULL, *id2 = NULL;
            const char *m1 = NULL, *m2 = NULL;
            if (jr_classify(fast, &id1, &m1, NULL) != jr_classify(strict, &id2, &m2, NULL)) abort();
            char *a = id1 ? jr_id_key(id1) : NULL, *b = id2 ? jr_id_key(id2) : NULL;
            if ((a == NULL) != (b == NULL) || (a && strcmp(a, b))) abort();
            if ((m1 == NULL) != (m2 == NULL) || (m1 && strcmp(m1, m2))) abort();
            free(a);
            free(b);
        }
        json_decref(fast);
        json_decref(strict);
    }
    json_decref(full);
    return 0;
}
