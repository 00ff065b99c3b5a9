/* The loopback redirect request parser. */
#include "oauth/callback_parse.h"
#include "bridge/base/err.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *oauth_form_decode(const char *src, size_t n)
{
    if (n > OAUTH_CALLBACK_MAX_VALUE * 3) return NULL;
    char *out = malloc(n + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n) goto bad;
            int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0) goto bad;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == 0) goto bad;
        *o++ = c;
    }
    *o = 0;
    if ((size_t)(o - out) > OAUTH_CALLBACK_MAX_VALUE) goto bad;
    return out;
bad:
    free(out);
    return NULL;
}

static void set_param(char **slot, const char *v, size_t n, int *bad)
{
    if (*slot) { /* a repeated parameter is an attack or a bug: refuse it */
        *bad = 1;
        return;
    }
    *slot = oauth_form_decode(v, n);
    if (!*slot) *bad = 1;
}

int oauth_callback_parse(const char *buf, size_t len, const char *path,
                         oauth_callback_params_t *out)
{
    memset(out, 0, sizeof *out);
    const char *end = NULL;
    for (size_t i = 0; i + 1 < len && !end; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n')
            end = buf + i;
        else if (i + 3 < len && !memcmp(buf + i, "\r\n\r\n", 4))
            end = buf + i;
    }
    if (!end) return len > OAUTH_CALLBACK_MAX_REQUEST ? BRIDGE_ETOOBIG : OAUTH_CALLBACK_NEED_MORE;
    if ((size_t)(end - buf) > OAUTH_CALLBACK_MAX_REQUEST) return BRIDGE_ETOOBIG;

    const char *line_end = memchr(buf, '\n', len);
    size_t line_len = (size_t)(line_end - buf);
    if (line_len && buf[line_len - 1] == '\r') line_len--;
    /* METHOD SP TARGET SP VERSION */
    const char *sp1 = memchr(buf, ' ', line_len);
    if (!sp1) return BRIDGE_EINVAL;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', line_len - (size_t)(target - buf));
    if (!sp2 || sp2 == target) return BRIDGE_EINVAL;
    size_t target_len = (size_t)(sp2 - target);
    if ((size_t)(buf + line_len - (sp2 + 1)) < 5 || memcmp(sp2 + 1, "HTTP/", 5) != 0)
        return BRIDGE_EINVAL;
    int is_get = (size_t)(sp1 - buf) == 3 && !memcmp(buf, "GET", 3);

    const char *q = memchr(target, '?', target_len);
    size_t path_len = q ? (size_t)(q - target) : target_len;
    out->path_ok = is_get && path_len == strlen(path) && !memcmp(target, path, path_len);
    if (!out->path_ok || !q) return 0;

    const char *p = q + 1, *qend = target + target_len;
    int bad = 0;
    while (p < qend && !bad) {
        const char *amp = memchr(p, '&', (size_t)(qend - p));
        const char *pe = amp ? amp : qend;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        if (eq) {
            size_t klen = (size_t)(eq - p), vlen = (size_t)(pe - eq - 1);
#define PARAM(name, slot)                                                                          \
    else if (klen == sizeof name - 1 && !memcmp(p, name, klen))                                    \
        set_param(&out->slot, eq + 1, vlen, &bad)
            if (0) {
            }
            PARAM("code", code);
            PARAM("state", state);
            PARAM("error", error);
            PARAM("error_description", error_description);
            PARAM("iss", iss);
#undef PARAM
        }
        p = pe + 1;
    }
    if (bad) {
        oauth_callback_params_free(out);
        return BRIDGE_EINVAL;
    }
    return 0;
}

void oauth_callback_params_free(oauth_callback_params_t *p)
{
    if (p->code) OPENSSL_cleanse(p->code, strlen(p->code));
    free(p->code);
    free(p->state);
    free(p->error);
    free(p->error_description);
    free(p->iss);
    memset(p, 0, sizeof *p);
}
