/* One-pass JSON validation with a note of the top-level members. Recursive
 * descent bounded by JSCAN_MAX_DEPTH; strings are checked to be UTF-8 without
 * raw control characters; numbers follow the RFC 8259 grammar. */
#include "bridge/base/jscan.h"
#include "bridge/base/err.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct scanner {
    const unsigned char *p, *end, *start;
    int depth;
} scanner_t;

static void skip_ws(scanner_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One UTF-8 sequence starting at a byte >= 0x80 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static int utf8_seq(scanner_t *s)
{
    const unsigned char *p = s->p;
    size_t left = (size_t)(s->end - p);
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return -1;
    }
    if (left < n) return -1;
    if (p[1] < lo || p[1] > hi) return -1;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return -1;
    s->p += n;
    return 0;
}

/* Skip bytes that need no closer look in a string: no quote, backslash, control
 * character or non-ASCII byte. Sixteen at a time with SSE2 (a signed compare
 * catches both the control characters and the bytes >= 0x80), then eight at a
 * time with word arithmetic whose tests can err only towards "look closer": a
 * hit just falls back to the byte loop. Large results are mostly such bytes. */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                         _mm_cmplt_epi8(v, space));
        if (_mm_movemask_epi8(hit)) break;
        p += 16;
    }
#endif
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        uint64_t hit = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x;
        if (hit & highs) break;
        p += 8;
    }
    return p;
}

/* At the opening quote. */
static int scan_string(scanner_t *s, jscan_member_t *m)
{
    s->p++;
    const unsigned char *begin = s->p;
    int escaped = 0;
    for (;;) {
        s->p = skip_plain(s->p, s->end);
        while (s->p < s->end && *s->p >= 0x20 && *s->p < 0x80 && *s->p != '"' && *s->p != '\\')
            s->p++;
        if (s->p >= s->end) return -1;
        unsigned char c = *s->p;
        if (c == '"') break;
        if (c < 0x20) return -1;
        if (c == '\\') {
            escaped = 1;
            if (s->end - s->p < 2) return -1;
            unsigned char e = s->p[1];
            if (e == 'u') {
                if (s->end - s->p < 6 || !is_hex(s->p[2]) || !is_hex(s->p[3]) || !is_hex(s->p[4]) ||
                    !is_hex(s->p[5]))
                    return -1;
                s->p += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                s->p += 2;
            } else {
                return -1;
            }
            continue;
        }
        if (utf8_seq(s) != 0) return -1;
    }
    if (m) {
        m->type = JSCAN_STRING;
        m->at = (const char *)begin;
        m->len = (size_t)(s->p - begin);
        m->escaped = escaped;
    }
    s->p++; /* the closing quote */
    return 0;
}

static int digits(scanner_t *s)
{
    const unsigned char *b = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > b ? 0 : -1;
}

static int scan_number(scanner_t *s, jscan_member_t *m)
{
    const unsigned char *b = s->p;
    int integer = 1;
    if (*s->p == '-') s->p++;
    if (s->p >= s->end) return -1;
    if (*s->p == '0') {
        s->p++;
    } else if (digits(s) != 0) {
        return -1;
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        integer = 0;
        if (digits(s) != 0) return -1;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        integer = 0;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (digits(s) != 0) return -1;
    }
    if (m) {
        m->type = integer ? JSCAN_INTEGER : JSCAN_NUMBER;
        m->at = (const char *)b;
        m->len = (size_t)(s->p - b);
        m->escaped = 0;
    }
    return 0;
}

static int scan_literal(scanner_t *s, const char *word, jscan_type_t type, jscan_member_t *m)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return -1;
    if (m) {
        m->type = type;
        m->at = (const char *)s->p;
        m->len = n;
        m->escaped = 0;
    }
    s->p += n;
    return 0;
}

static int scan_value(scanner_t *s, jscan_member_t *m, jscan_t *top);

/* The members of the top-level object are noted in `top` (NULL deeper down). */
static jscan_member_t *member_slot(jscan_t *top, const jscan_member_t *key)
{
    if (!top || key->escaped) return NULL;
#define KEY(name, field)                                                                           \
    if (key->len == sizeof name - 1 && !memcmp(key->at, name, key->len)) return &top->field
    KEY("jsonrpc", jsonrpc);
    KEY("id", id);
    KEY("method", method);
    KEY("params", params);
    KEY("result", result);
    KEY("error", error);
#undef KEY
    return NULL;
}

static int scan_object(scanner_t *s, jscan_member_t *m, jscan_t *top)
{
    const unsigned char *b = s->p;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
    } else {
        for (;;) {
            skip_ws(s);
            if (s->p >= s->end || *s->p != '"') return -1;
            jscan_member_t key = {0};
            if (scan_string(s, &key) != 0) return -1;
            if (top && key.escaped) top->odd_keys = 1;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') return -1;
            s->p++;
            skip_ws(s);
            jscan_member_t *slot = member_slot(top, &key);
            if (scan_value(s, slot, NULL) != 0) return -1;
            skip_ws(s);
            if (s->p >= s->end) return -1;
            if (*s->p == ',') {
                s->p++;
                continue;
            }
            if (*s->p != '}') return -1;
            s->p++;
            break;
        }
    }
    if (m) {
        m->type = JSCAN_OBJECT;
        m->at = (const char *)b;
        m->len = (size_t)(s->p - b);
        m->escaped = 0;
    }
    return 0;
}

static int scan_array(scanner_t *s, jscan_member_t *m)
{
    const unsigned char *b = s->p;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
    } else {
        for (;;) {
            skip_ws(s);
            if (scan_value(s, NULL, NULL) != 0) return -1;
            skip_ws(s);
            if (s->p >= s->end) return -1;
            if (*s->p == ',') {
                s->p++;
                continue;
            }
            if (*s->p != ']') return -1;
            s->p++;
            break;
        }
    }
    if (m) {
        m->type = JSCAN_ARRAY;
        m->at = (const char *)b;
        m->len = (size_t)(s->p - b);
        m->escaped = 0;
    }
    return 0;
}

static int scan_value(scanner_t *s, jscan_member_t *m, jscan_t *top)
{
    if (s->p >= s->end) return -1;
    int rc;
    switch (*s->p) {
    case '{':
        if (++s->depth > JSCAN_MAX_DEPTH) return -1;
        rc = scan_object(s, m, top);
        s->depth--;
        return rc;
    case '[':
        if (++s->depth > JSCAN_MAX_DEPTH) return -1;
        rc = scan_array(s, m);
        s->depth--;
        return rc;
    case '"':
        return scan_string(s, m);
    case 't':
        return scan_literal(s, "true", JSCAN_TRUE, m);
    case 'f':
        return scan_literal(s, "false", JSCAN_FALSE, m);
    case 'n':
        return scan_literal(s, "null", JSCAN_NULL, m);
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) return scan_number(s, m);
        return -1;
    }
}

int jscan(const char *buf, size_t len, jscan_t *out, size_t *err_offset)
{
    memset(out, 0, sizeof *out);
    scanner_t s = {(const unsigned char *)buf, (const unsigned char *)buf + len,
                   (const unsigned char *)buf, 0};
    skip_ws(&s);
    jscan_member_t whole = {0};
    int rc = scan_value(&s, &whole, s.p < s.end && *s.p == '{' ? out : NULL);
    if (rc == 0) {
        skip_ws(&s);
        if (s.p != s.end) rc = -1;
    }
    if (rc != 0) {
        if (err_offset) *err_offset = (size_t)(s.p - s.start);
        memset(out, 0, sizeof *out);
        return BRIDGE_EINVAL;
    }
    out->top = whole.type;
    return 0;
}
