/* libFuzzer target for ${VAR} substitution (bridge/base/envsubst.c), checked
 * against a straightforward model. fuzz_headers reaches envsubst through the
 * header parser with a few fixed variables; this target feeds it arbitrary
 * text and a lookup that knows any name, so every path is reachable: set,
 * unset, empty, values that themselves look like "${...}" (never expanded
 * twice), and long names (the bad-name report is truncated, never overrun). */
#include "bridge/base/envsubst.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Names starting with 'U' are unset; others map to one of a few values. */
static const char *fake_getenv(const char *name)
{
    static const char *values[] = {"", "v", "${A}", "$", "}", "${", "a\nb", "x${U}y"};
    if (name[0] == 'U') return NULL;
    return values[strlen(name) % (sizeof values / sizeof values[0])];
}

static int is_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_char(char c)
{
    return is_start(c) || (c >= '0' && c <= '9');
}

/* The model: returns the code and fills *out (or the unset name). */
static int model(const char *in, buf_t *out, buf_t *unset)
{
    for (const char *s = in; *s;) {
        if (s[0] == '$' && s[1] == '{') {
            const char *n = s + 2, *e = n;
            if (!is_start(*e)) return BRIDGE_EINVAL;
            while (is_char(*e))
                e++;
            if (*e != '}') return BRIDGE_EINVAL;
            char *name = strndup(n, (size_t)(e - n));
            const char *v = fake_getenv(name);
            if (!v) {
                buf_append_str(unset, name);
                free(name);
                return BRIDGE_EUNSET;
            }
            free(name);
            buf_append_str(out, v);
            s = e + 1;
        } else {
            buf_append_byte(out, *s++);
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192) return 0;
    size_t bad_len = data[0] % 40; /* 0 is allowed: no report */
    char *in = malloc(size);
    if (!in) return 0;
    memcpy(in, data + 1, size - 1);
    in[size - 1] = '\0';

    char *bad = bad_len ? malloc(bad_len + 1) : NULL;
    if (bad) memset(bad, 'Z', bad_len + 1); /* the byte past the end must stay 'Z' */
    char *out = (char *)1;
    int rc = envsubst(in, &out, bad, bad_len, fake_getenv);

    buf_t want, unset;
    buf_init(&want, 0);
    buf_init(&unset, 0);
    int want_rc = model(in, &want, &unset);
    if (rc != want_rc) abort();
    if (rc == 0) {
        if (!out || strcmp(out, want.data ? want.data : "") != 0) abort();
        free(out);
    } else if (out) {
        abort();
    }
    if (bad) {
        if (bad[bad_len] != 'Z' || !memchr(bad, '\0', bad_len)) abort();
        const char *name = unset.data ? unset.data : "";
        if (rc == BRIDGE_EUNSET) {
            if (strncmp(bad, name, bad_len - 1) != 0) abort();
        } else if (bad[0] != '\0') {
            abort();
        }
        free(bad);
    }
    buf_free(&want);
    buf_free(&unset);
    free(in);
    return 0;
}
