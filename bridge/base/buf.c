/* Bounded growable byte buffer. A secret buffer grows by copying into a fresh
 * allocation and wiping the old one, so it leaves no stale copies in freed
 * memory and buf_free_secret() really erases everything; others use realloc,
 * which large bodies need to stay cheap. */
#include "bridge/base/buf.h"
#include "bridge/base/err.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf_t *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->secret = 0;
}

void buf_init_secret(buf_t *b, size_t max)
{
    buf_init(b, max);
    b->secret = 1;
}

/* Make room for n more bytes plus the NUL terminator. */
static int buf_reserve(buf_t *b, size_t n)
{
    if (n > SIZE_MAX - 1 - b->len) return BRIDGE_ETOOBIG;
    size_t need = b->len + n;
    if (b->max && need > b->max) return BRIDGE_ETOOBIG;
    if (need + 1 <= b->cap) return 0;

    size_t cap = b->cap ? b->cap : 64;
    while (cap < need + 1)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (b->max && cap > b->max + 1) cap = b->max + 1;

    if (!b->secret) {
        char *p = realloc(b->data, cap);
        if (!p) return BRIDGE_ENOMEM;
        if (!b->data) p[0] = '\0';
        b->data = p;
        b->cap = cap;
        return 0;
    }
    char *p = malloc(cap);
    if (!p) return BRIDGE_ENOMEM;
    if (b->data) {
        memcpy(p, b->data, b->len + 1);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    } else {
        p[0] = '\0';
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_presize(buf_t *b, size_t total)
{
    if (total <= b->len) return 0;
    if (b->max && total > b->max) total = b->max;
    if (total + 1 <= b->cap) return 0;
    /* Reserve exactly: doubling past a known size wastes up to half of it. */
    size_t cap = total + 1;
    if (b->secret) return buf_reserve(b, total - b->len);
    char *p = realloc(b->data, cap);
    if (!p) return BRIDGE_ENOMEM;
    if (!b->data) p[0] = '\0';
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(buf_t *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_append_str(buf_t *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_append_byte(buf_t *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return BRIDGE_EINVAL;

    int rc = buf_reserve(b, (size_t)n);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void buf_consume(buf_t *b, size_t n)
{
    if (n >= b->len) {
        buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void buf_reset(buf_t *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

/* Returns NULL only when the buffer was never allocated and allocating "" fails;
 * an empty buffer yields "", so callers can tell success from failure. */
char *buf_steal(buf_t *b)
{
    char *p = b->data;
    if (!p) p = calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void buf_free(buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free_secret(buf_t *b)
{
    if (b->data) OPENSSL_cleanse(b->data, b->cap);
    buf_free(b);
}
