/* WWW-Authenticate parsing. The grammar is ambiguous at first sight because one
 * comma list carries both challenges and their parameters; an element that reads
 * `token =` is a parameter of the current challenge, any other token starts a new
 * challenge. Only the first Bearer challenge's values are copied out, or without
 * one, the first DPoP challenge's (RFC 9449 §7.1: a DPoP-only resource server). */
#include "oauth/www_auth.h"
#include "bridge/base/err.h"
#include "bridge/base/token.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parse {
    const char *p, *end;
    oauth_challenge_t found; /* the first Bearer challenge of this value */
    int capture;             /* the current challenge is the one being kept */
    int dpop_wanted;         /* no challenge is kept yet: a DPoP one would do */
    int have_challenge;
    size_t params;
    size_t params_left;
} parse_t;

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static int is_token68_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("-._~+/", c));
}

/* Servers send URLs unquoted (resource_metadata=https://h/x), which the token
 * grammar forbids; accept any visible byte that cannot end or open a value. */
static int is_bare_value_char(unsigned char c)
{
    return !is_ctl(c) && c != ' ' && c != ',' && c != '"';
}

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && is_ows(*p))
        p++;
    return p;
}

static const char *skip_token(const char *p, const char *end)
{
    while (p < end && http_is_tchar((unsigned char)*p))
        p++;
    return p;
}

/* After a value: only OWS, then a comma or the end, may follow. */
static int at_element_end(parse_t *ps)
{
    ps->p = skip_ows(ps->p, ps->end);
    return ps->p == ps->end || *ps->p == ',';
}

/* `token BWS "="` ahead? */
static int looks_like_param(const char *p, const char *end)
{
    const char *q = skip_token(p, end);
    if (q == p) return 0;
    q = skip_ows(q, end);
    return q < end && *q == '=';
}

/* token68 alone up to the end of the element? Then skip it. */
static int skip_token68(parse_t *ps)
{
    const char *q = ps->p;
    while (q < ps->end && is_token68_char((unsigned char)*q))
        q++;
    if (q == ps->p) return 0;
    while (q < ps->end && *q == '=')
        q++;
    q = skip_ows(q, ps->end);
    if (q != ps->end && *q != ',') return 0;
    ps->p = q;
    return 1;
}

/* Scan a quoted-string starting at the opening quote. With dst, the unescaped
 * content is written there (it is never longer than the raw span). Returns the
 * position after the closing quote or NULL when malformed. */
static const char *scan_quoted(const char *p, const char *end, char *dst, size_t *dst_len)
{
    size_t n = 0;
    for (p++; p < end; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"') {
            if (dst) dst[n] = '\0';
            if (dst_len) *dst_len = n;
            return p + 1;
        }
        if (ch == '\\') {
            if (++p == end) return NULL;
            ch = (unsigned char)*p;
        }
        if (is_ctl(ch) && ch != '\t') return NULL;
        if (dst) dst[n] = (char)ch;
        n++;
    }
    return NULL; /* unterminated */
}

static char **slot_for(oauth_challenge_t *c, const char *name, size_t len)
{
    static const struct {
        const char *name;
        size_t offset;
    } known[] = {
        {"resource_metadata", offsetof(oauth_challenge_t, resource_metadata)},
        {"scope", offsetof(oauth_challenge_t, scope)},
        {"error", offsetof(oauth_challenge_t, error)},
        {"error_description", offsetof(oauth_challenge_t, error_description)},
        {"realm", offsetof(oauth_challenge_t, realm)},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strlen(known[i].name) == len && strncasecmp(known[i].name, name, len) == 0)
            return (char **)((char *)c + known[i].offset);
    }
    return NULL;
}

static int count_param(parse_t *ps)
{
    if (++ps->params > ps->params_left) return BRIDGE_ETOOBIG;
    return 0;
}

/* auth-param = token BWS "=" BWS ( token / quoted-string ), then the element end. */
static int parse_param(parse_t *ps)
{
    const char *name = ps->p;
    ps->p = skip_token(ps->p, ps->end);
    size_t name_len = (size_t)(ps->p - name);
    if (name_len == 0) return BRIDGE_EINVAL;
    ps->p = skip_ows(ps->p, ps->end);
    if (ps->p == ps->end || *ps->p != '=') return BRIDGE_EINVAL;
    ps->p = skip_ows(ps->p + 1, ps->end);
    if (ps->p == ps->end) return BRIDGE_EINVAL;

    const char *raw = ps->p;
    int quoted = *raw == '"';
    if (quoted) {
        ps->p = scan_quoted(raw, ps->end, NULL, NULL);
        if (!ps->p) return BRIDGE_EINVAL;
    } else {
        while (ps->p < ps->end && is_bare_value_char((unsigned char)*ps->p))
            ps->p++;
        if (ps->p == raw) return BRIDGE_EINVAL;
    }
    const char *raw_end = ps->p;
    if (!at_element_end(ps)) return BRIDGE_EINVAL;
    int rc = count_param(ps);
    if (rc) return rc;

    char **slot = ps->capture ? slot_for(&ps->found, name, name_len) : NULL;
    if (!slot) return 0;
    if (*slot) return BRIDGE_EINVAL; /* RFC 6750 §3: each at most once; fail closed */
    size_t raw_len = (size_t)(raw_end - raw);
    char *v = malloc(raw_len + 1);
    if (!v) return BRIDGE_ENOMEM;
    if (quoted) {
        scan_quoted(raw, raw_end, v, NULL);
    } else {
        memcpy(v, raw, raw_len);
        v[raw_len] = '\0';
    }
    *slot = v;
    return 0;
}

static void free_strings(oauth_challenge_t *c);

/* Forget the kept values (a Bearer challenge replaces a DPoP one). */
static void release_values(oauth_challenge_t *c)
{
    free_strings(c);
    c->resource_metadata = c->scope = c->error = c->error_description = c->realm = NULL;
    c->dpop = 0;
}

/* challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]; the list of
 * auth-params continues in the following comma-separated elements. */
static int parse_challenge(parse_t *ps, int first_bearer_wanted)
{
    const char *scheme = ps->p;
    ps->p = skip_token(ps->p, ps->end);
    size_t scheme_len = (size_t)(ps->p - scheme);
    if (scheme_len == 0) return BRIDGE_EINVAL;

    ps->have_challenge = 1;
    ps->capture = 0;
    if (scheme_len == 6 && strncasecmp(scheme, "Bearer", 6) == 0 && first_bearer_wanted &&
        !ps->found.bearer) {
        if (ps->found.dpop) release_values(&ps->found); /* Bearer comes first */
        ps->found.bearer = 1;
        ps->capture = 1;
    } else if (scheme_len == 4 && strncasecmp(scheme, "DPoP", 4) == 0 && ps->dpop_wanted &&
               !ps->found.bearer && !ps->found.dpop) {
        ps->found.dpop = 1;
        ps->capture = 1;
    }
    if (ps->p == ps->end || *ps->p == ',') return 0;
    if (!is_ows(*ps->p)) return BRIDGE_EINVAL;
    ps->p = skip_ows(ps->p, ps->end);
    if (ps->p == ps->end || *ps->p == ',') return 0;
    if (skip_token68(ps)) return count_param(ps); /* e.g. Negotiate; nothing to keep */
    return parse_param(ps);
}

static int parse_value(parse_t *ps, int first_bearer_wanted)
{
    for (;;) {
        ps->p = skip_ows(ps->p, ps->end);
        if (ps->p == ps->end) return 0;
        if (*ps->p == ',') { /* empty list elements are allowed */
            ps->p++;
            continue;
        }
        int rc;
        if (looks_like_param(ps->p, ps->end)) {
            if (!ps->have_challenge) return BRIDGE_EINVAL;
            rc = parse_param(ps);
        } else {
            rc = parse_challenge(ps, first_bearer_wanted);
        }
        if (rc) return rc;
    }
}

void oauth_challenge_init(oauth_challenge_t *c)
{
    memset(c, 0, sizeof *c);
}

static void free_strings(oauth_challenge_t *c)
{
    free(c->resource_metadata);
    free(c->scope);
    free(c->error);
    free(c->error_description);
    free(c->realm);
}

void oauth_challenge_free(oauth_challenge_t *c)
{
    free_strings(c);
    oauth_challenge_init(c);
}

int oauth_www_auth_parse(oauth_challenge_t *c, const char *value, size_t len)
{
    if (!value && len) return BRIDGE_EINVAL;
    if (c->bytes_seen > OAUTH_WWW_AUTH_MAX_BYTES || len > OAUTH_WWW_AUTH_MAX_BYTES - c->bytes_seen)
        return BRIDGE_ETOOBIG;
    if (c->params_seen > OAUTH_WWW_AUTH_MAX_PARAMS) return BRIDGE_ETOOBIG;

    parse_t ps;
    memset(&ps, 0, sizeof ps);
    ps.p = value;
    ps.end = value + len;
    /* A line terminator left on by the caller's header split is harmless. */
    while (ps.end > ps.p && (ps.end[-1] == '\n' || ps.end[-1] == '\r'))
        ps.end--;
    ps.params_left = OAUTH_WWW_AUTH_MAX_PARAMS - c->params_seen;
    ps.dpop_wanted = !c->bearer && !c->dpop;

    int rc = parse_value(&ps, !c->bearer);
    if (rc) {
        free_strings(&ps.found);
        return rc;
    }
    if (ps.found.bearer && c->dpop) release_values(c);
    if (ps.found.bearer || ps.found.dpop) {
        c->bearer = ps.found.bearer;
        c->dpop = ps.found.dpop;
        c->resource_metadata = ps.found.resource_metadata;
        c->scope = ps.found.scope;
        c->error = ps.found.error;
        c->error_description = ps.found.error_description;
        c->realm = ps.found.realm;
    }
    c->bytes_seen += len;
    c->params_seen += ps.params;
    return 0;
}

int oauth_www_auth_parse_all(oauth_challenge_t *c, const char *const *values, size_t n)
{
    int first = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = values[i] ? oauth_www_auth_parse(c, values[i], strlen(values[i])) : 0;
        if (rc && !first) first = rc;
    }
    return first;
}
