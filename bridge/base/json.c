/* Small readers of jansson values that several layers share. */
#include "bridge/base/json.h"

#include <string.h>

const char *json_str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

int json_array_has_str(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach (arr, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return 1;
    }
    return 0;
}

int json_text_mentions(const char *text, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (!k) return 1;
    for (const char *p = text, *end = text + n; (size_t)(end - p) >= k; p++) {
        p = memchr(p, needle[0], (size_t)(end - p) - k + 1);
        if (!p) return 0;
        if (!memcmp(p, needle, k)) return 1;
    }
    return 0;
}
