/* ${VAR} expansion for --header values. Values are often secrets (API keys),
 * so every intermediate buffer is wiped before it is freed. */
#include "bridge/base/envsubst.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"

#include <stdlib.h>
#include <string.h>

static const char *system_getenv(const char *name)
{
    return getenv(name);
}

static int is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static void report_name(char *bad_name, size_t bad_name_len, const char *name, size_t n)
{
    if (!bad_name || bad_name_len == 0) return;
    if (n > bad_name_len - 1) n = bad_name_len - 1;
    memcpy(bad_name, name, n);
    bad_name[n] = '\0';
}

int envsubst(const char *in, char **out, char *bad_name, size_t bad_name_len,
             const char *(*getenv_fn)(const char *name))
{
    if (!getenv_fn) getenv_fn = system_getenv;
    report_name(bad_name, bad_name_len, "", 0);
    *out = NULL;

    buf_t b, name;
    buf_init(&b, 0);
    buf_init(&name, 0);
    int rc = 0;
    const char *s = in;
    while (*s && rc == 0) {
        const char *dollar = strstr(s, "${");
        if (!dollar) {
            rc = buf_append_str(&b, s);
            break;
        }
        rc = buf_append(&b, s, (size_t)(dollar - s));
        if (rc) break;

        const char *start = dollar + 2, *end = start;
        if (!is_name_start(*end)) {
            rc = BRIDGE_EINVAL;
            break;
        }
        while (is_name_char(*end))
            end++;
        if (*end != '}') {
            rc = BRIDGE_EINVAL;
            break;
        }

        buf_reset(&name);
        rc = buf_append(&name, start, (size_t)(end - start));
        if (rc) break;
        const char *value = getenv_fn(name.data);
        if (!value) {
            report_name(bad_name, bad_name_len, name.data, name.len);
            rc = BRIDGE_EUNSET;
            break;
        }
        rc = buf_append_str(&b, value);
        s = end + 1;
    }
    buf_free(&name);

    if (rc) {
        buf_free_secret(&b);
        return rc;
    }
    *out = buf_steal(&b);
    return *out ? 0 : BRIDGE_ENOMEM;
}
