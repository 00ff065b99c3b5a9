/* DPoP nonces. oauth/www_auth.c keeps only the Bearer challenge, so the DPoP
 * challenge is scanned here for the one parameter a client acts on: error. */
#include "oauth/dpop_nonce.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "bridge/base/token.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int is_nqchar(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

int oauth_dpop_nonce_parse(const char *value, size_t len, char **out)
{
    *out = NULL;
    while (len && is_ows(*value))
        value++, len--;
    while (len && is_ows(value[len - 1]))
        len--;
    if (len == 0) return BRIDGE_EINVAL;
    if (len > OAUTH_DPOP_NONCE_MAX) return BRIDGE_ETOOBIG;
    for (size_t i = 0; i < len; i++)
        if (!is_nqchar((unsigned char)value[i])) return BRIDGE_EINVAL;
    *out = strndup(value, len);
    return *out ? 0 : BRIDGE_ENOMEM;
}

int oauth_dpop_error_wants_nonce(const json_t *resp)
{
    const char *error = json_str(resp, "error");
    return error && strcmp(error, "use_dpop_nonce") == 0;
}

static const char *skip_token(const char *p, const char *end)
{
    while (p < end && http_is_tchar((unsigned char)*p))
        p++;
    return p;
}

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && is_ows(*p))
        p++;
    return p;
}

/* A token68 (RFC 9110 §11.2) alone up to the end of the element at p: the
 * position after it, else p. */
static const char *skip_token68(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
                       (*q >= '0' && *q <= '9') || (*q && strchr("-._~+/", *q))))
        q++;
    if (q == p) return p;
    while (q < end && *q == '=')
        q++;
    q = skip_ows(q, end);
    return q == end || *q == ',' ? q : p;
}

/* Reads a parameter value (quoted-string or bare) at p, compares its content
 * with want, and returns the position after it (NULL when malformed). */
static const char *read_value(const char *p, const char *end, const char *want, int *equal)
{
    size_t n = 0, want_len = strlen(want);
    *equal = 0;
    if (p < end && *p == '"') {
        int same = 1;
        for (p++; p < end && *p != '"'; p++, n++) {
            if (*p == '\\' && ++p == end) return NULL;
            if ((unsigned char)*p < 0x20 && *p != '\t') return NULL;
            same = same && n < want_len && *p == want[n];
        }
        if (p == end) return NULL; /* unterminated */
        *equal = same && n == want_len;
        return p + 1;
    }
    /* Servers send bare URLs (resource_metadata=https://h/x) that the token
     * grammar forbids: any visible byte that cannot end or open a value goes. */
    const char *q = p;
    while (q < end && (unsigned char)*q > 0x20 && (unsigned char)*q < 0x7f && *q != ',' &&
           *q != '"')
        q++;
    *equal = (size_t)(q - p) == want_len && memcmp(p, want, want_len) == 0;
    return q; /* an empty value ("a=") is not ours to refuse */
}

int oauth_dpop_challenge_wants_nonce(const char *value, size_t len)
{
    if (!value || len > OAUTH_DPOP_CHALLENGE_MAX || memchr(value, '\0', len)) return 0;
    const char *p = value, *end = value + len;
    int in_dpop = 0;
    for (;;) {
        while (p < end && (is_ows(*p) || *p == ','))
            p++;
        if (p == end) return 0;
        const char *name = p, *q = skip_token(p, end);
        if (q == name) return 0;
        const char *r = skip_ows(q, end);
        if (r < end && *r == '=') { /* auth-param of the current challenge */
            int equal;
            p = read_value(skip_ows(r + 1, end), end, "use_dpop_nonce", &equal);
            if (!p) return 0;
            if (in_dpop && equal && q - name == 5 && strncasecmp(name, "error", 5) == 0) return 1;
            p = skip_ows(p, end);
            if (p < end && *p != ',') return 0;
        } else { /* a new challenge's auth-scheme */
            in_dpop = q - name == 4 && strncasecmp(name, "DPoP", 4) == 0;
            p = skip_token68(r, end);
        }
    }
}
