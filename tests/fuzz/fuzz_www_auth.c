/* libFuzzer target for WWW-Authenticate parsing. The input is split at '\n'
 * into header values fed one by one. Checks: no crash, only the documented
 * errors, outputs NUL-terminated, shorter than the input and free of control
 * characters, and what was kept parses back to the same values when quoted. */
#include "oauth/www_auth.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NFIELDS 5

static void fields(const oauth_challenge_t *c, const char *v[NFIELDS])
{
    v[0] = c->resource_metadata;
    v[1] = c->scope;
    v[2] = c->error;
    v[3] = c->error_description;
    v[4] = c->realm;
}

static void check_output(oauth_challenge_t *c, size_t size)
{
    const char *f[NFIELDS];
    fields(c, f);
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *s = f[i];
        if (!s) continue;
        if (!c->bearer && !c->dpop) abort(); /* values come from a Bearer or a DPoP challenge */
        size_t len = strnlen(s, size + 1);
        if (len >= size) abort(); /* also proves the NUL is there */
        for (const char *p = s; *p; p++) {
            unsigned char ch = (unsigned char)*p;
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f) abort();
        }
    }
}

/* Quote the kept values back into one challenge of the scheme they came from
 * (Bearer, else DPoP); it must parse to the same values. */
static void check_round_trip(oauth_challenge_t *c)
{
    static const char *names[NFIELDS] = {"resource_metadata", "scope", "error", "error_description",
                                         "realm"};
    const char *f[NFIELDS], *g[NFIELDS];
    fields(c, f);
    buf_t b;
    buf_init(&b, 0);
    if (buf_append_str(&b, c->bearer ? "Bearer" : "DPoP")) abort();
    int first = 1;
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *s = f[i];
        if (!s) continue;
        if (buf_printf(&b, "%s %s=\"", first ? "" : ",", names[i])) abort();
        first = 0;
        for (const char *p = s; *p; p++) {
            if ((*p == '"' || *p == '\\') && buf_append_byte(&b, '\\')) abort();
            if (buf_append_byte(&b, *p)) abort();
        }
        if (buf_append_byte(&b, '"')) abort();
    }
    oauth_challenge_t again;
    oauth_challenge_init(&again);
    int rc = oauth_www_auth_parse(&again, b.data, b.len);
    /* Escaping can grow the text past the limit; otherwise it must parse. */
    if (rc == BRIDGE_ETOOBIG && b.len > OAUTH_WWW_AUTH_MAX_BYTES) goto done;
    if (rc != 0 || (c->bearer ? !again.bearer : !again.dpop || again.bearer)) abort();
    fields(&again, g);
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *x = f[i], *y = g[i];
        if (!x != !y || (x && strcmp(x, y) != 0)) abort();
    }
done:
    oauth_challenge_free(&again);
    buf_free(&b);
}

static int same(const oauth_challenge_t *a, const oauth_challenge_t *b)
{
    const char *f[NFIELDS], *g[NFIELDS];
    fields(a, f);
    fields(b, g);
    for (size_t i = 0; i < NFIELDS; i++) {
        if (f[i] != g[i]) return 0;
    }
    return a->bearer == b->bearer && a->dpop == b->dpop && a->bytes_seen == b->bytes_seen &&
           a->params_seen == b->params_seen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    oauth_challenge_t c;
    oauth_challenge_init(&c);
    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        oauth_challenge_t before = c;
        int rc = oauth_www_auth_parse(&c, p, (size_t)(stop - p));
        if (rc != 0 && rc != BRIDGE_EINVAL && rc != BRIDGE_ETOOBIG && rc != BRIDGE_ENOMEM) abort();
        if (rc != 0 && !same(&before, &c)) abort(); /* no partial effect */
        if (c.bytes_seen > OAUTH_WWW_AUTH_MAX_BYTES || c.params_seen > OAUTH_WWW_AUTH_MAX_PARAMS)
            abort();
        if (!nl) break;
        p = nl + 1;
    }
    check_output(&c, size);
    if (c.bearer || c.dpop) check_round_trip(&c);
    oauth_challenge_free(&c);
    return 0;
}
