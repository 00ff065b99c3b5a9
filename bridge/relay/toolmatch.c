/* --ignore-tool matching with mcp-remote's semantics, without a regex engine: the
 * literal parts between the stars are placed leftmost, one after the other, which
 * finds a match whenever one exists, in time linear in name x pattern. */
#include "bridge/relay/toolmatch.h"

#include <string.h>

static unsigned char fold(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

/* The `len` bytes of literal `lit` equal those at `s`, ASCII case folded. */
static bool literal_at(const char *s, const char *lit, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (fold((unsigned char)s[i]) != fold((unsigned char)lit[i])) return false;
    return true;
}

/* What a '*' may not cover: the line terminators of JavaScript's '.' (UTF-8). */
static bool has_line_terminator(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' || s[i] == '\r') return true;
        if (i + 2 < len && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
            return true;
    }
    return false;
}

bool toolmatch(const char *pattern, const char *name)
{
    if (!pattern || !name) return false;
    size_t plen = strlen(pattern), nlen = strlen(name);
    const char *star = memchr(pattern, '*', plen);
    if (!star) return plen == nlen && literal_at(name, pattern, plen);

    /* The part before the first star is anchored at the start, the part after the
     * last star at the end; they may not overlap. */
    size_t head = (size_t)(star - pattern);
    const char *last = strrchr(pattern, '*');
    size_t tail = plen - (size_t)(last - pattern) - 1;
    if (head + tail > nlen || !literal_at(name, pattern, head) ||
        !literal_at(name + nlen - tail, last + 1, tail))
        return false;

    /* Each middle part at its leftmost place: a later place would give the star before
     * it more to cover (which cannot help it) and the parts after it no more room. */
    size_t pos = head, end = nlen - tail;
    const char *p = star + 1;
    while (p <= last) {
        const char *next = memchr(p, '*', (size_t)(last - p) + 1);
        size_t len = (size_t)(next - p);
        if (len) {
            size_t at = pos;
            while (at + len <= end && !literal_at(name + at, p, len))
                at++;
            if (at + len > end || has_line_terminator(name + pos, at - pos)) return false;
            pos = at + len;
        }
        p = next + 1;
    }
    return !has_line_terminator(name + pos, end - pos);
}
