/* Scope lists are small (at most OAUTH_SCOPE_MAX bytes), so de-duplication is a
 * linear search of the list built so far rather than a hash set. */
#include "oauth/scope.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"

#include <stdlib.h>
#include <string.h>

static int is_scope_char(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
}

static int is_sep(char c)
{
    return c == ' ' || c == '\t';
}

/* Is the n-byte token already in the space-separated list? */
static int list_has(const buf_t *list, const char *tok, size_t n)
{
    const char *p = list->data;
    const char *end = p ? p + list->len : NULL;
    while (p && p < end) {
        const char *e = memchr(p, ' ', (size_t)(end - p));
        if (!e) e = end;
        if ((size_t)(e - p) == n && memcmp(p, tok, n) == 0) return 1;
        p = e + 1;
    }
    return 0;
}

static int add_token(buf_t *list, const char *tok, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_scope_char((unsigned char)tok[i])) return BRIDGE_EINVAL;
    }
    if (list_has(list, tok, n)) return 0;
    int rc = list->len ? buf_append_byte(list, ' ') : 0;
    return rc ? rc : buf_append(list, tok, n);
}

/* Add every token of a space-separated string. */
static int add_string(buf_t *list, const char *s)
{
    if (!s) return 0;
    if (strnlen(s, OAUTH_SCOPE_MAX + 1) > OAUTH_SCOPE_MAX) return BRIDGE_ETOOBIG;
    while (*s) {
        while (is_sep(*s))
            s++;
        size_t n = 0;
        while (s[n] && !is_sep(s[n]))
            n++;
        if (n) {
            int rc = add_token(list, s, n);
            if (rc) return rc;
        }
        s += n;
    }
    return 0;
}

/* Add every string of a JSON array; each element must be one scope-token. */
static int add_array(buf_t *list, const json_t *arr)
{
    if (!arr) return 0;
    if (!json_is_array(arr)) return BRIDGE_EINVAL;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || json_string_length(v) == 0) return BRIDGE_EINVAL;
        size_t n = json_string_length(v);
        if (n > OAUTH_SCOPE_MAX) return BRIDGE_ETOOBIG;
        int rc = add_token(list, json_string_value(v), n);
        if (rc) return rc;
    }
    return 0;
}

/* Hand over the list, NULL when empty. */
static int finish(buf_t *list, int rc, char **out)
{
    if (rc || list->len == 0) {
        buf_free(list);
        return rc;
    }
    *out = buf_steal(list);
    return *out ? 0 : BRIDGE_ENOMEM;
}

int oauth_select_scope(const char *challenge_scope, const json_t *prm_scopes_supported,
                       const char *user_override, char **out)
{
    *out = NULL;
    buf_t list;
    buf_init(&list, OAUTH_SCOPE_MAX);
    int rc;
    if (user_override) {
        rc = add_string(&list, user_override);
    } else {
        rc = add_string(&list, challenge_scope);
        /* MCP 2025-11-25: the challenge is authoritative; scopes_supported only
         * fills in when it named none. */
        if (!rc && list.len == 0) rc = add_array(&list, prm_scopes_supported);
    }
    return finish(&list, rc, out);
}

int oauth_scope_union(const char *a, const char *b, char **out)
{
    *out = NULL;
    buf_t list;
    buf_init(&list, OAUTH_SCOPE_MAX);
    int rc = add_string(&list, a);
    if (!rc) rc = add_string(&list, b);
    return finish(&list, rc, out);
}

static int array_has(const json_t *arr, const char *s)
{
    if (!json_is_array(arr)) return 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *v = json_array_get(arr, i);
        if (json_is_string(v) && json_string_length(v) == strlen(s) &&
            memcmp(json_string_value(v), s, strlen(s)) == 0)
            return 1;
    }
    return 0;
}

int oauth_scope_add_offline_access(const char *scope, const json_t *as_scopes_supported, char **out)
{
    *out = NULL;
    buf_t list;
    buf_init(&list, OAUTH_SCOPE_MAX);
    int rc = add_string(&list, scope);
    if (!rc && list.len && array_has(as_scopes_supported, "offline_access"))
        rc = add_token(&list, "offline_access", strlen("offline_access"));
    return finish(&list, rc, out);
}

int oauth_scope_fallback(const char *client_scope, const char *registered_scope,
                         const json_t *as_scopes_supported, char **out)
{
    *out = NULL;
    buf_t list;
    buf_init(&list, OAUTH_SCOPE_MAX);
    int rc = add_string(&list, client_scope);
    if (!rc && list.len == 0) rc = add_string(&list, registered_scope);
    if (!rc && list.len == 0 && json_is_array(as_scopes_supported))
        rc = add_array(&list, as_scopes_supported);
    return finish(&list, rc, out);
}

int oauth_scope_has(const char *scope, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = scope; p && *p;) {
        while (is_sep(*p))
            p++;
        size_t len = 0;
        while (p[len] && !is_sep(p[len]))
            len++;
        if (len == n && memcmp(p, token, n) == 0) return 1;
        p += len;
    }
    return 0;
}

int oauth_scope_wants_consent(const char *scope, const json_t *as_scopes_supported)
{
    return oauth_scope_has(scope, "offline_access") &&
           array_has(as_scopes_supported, "offline_access");
}
