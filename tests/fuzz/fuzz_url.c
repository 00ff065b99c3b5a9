/* libFuzzer target for bridge/base/url.c: parsing, resolution of a reference
 * against a base (the legacy SSE endpoint event, metadata hints), origin
 * comparison and the loopback test. The input, cut at the first NUL, is a base
 * URL, then '\n', then a reference (or a second URL). */
#include "bridge/base/url.h"
#include "bridge/base/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) return 1;
    return 0;
}

/* What parses is normalised once and for all (a percent-encoded host, which
 * would read differently when parsed again, is refused). */
static void check_parsed(const char *s)
{
    url_t u;
    char err[256];
    memset(err, 'Z', sizeof err);
    int rc = url_parse(s, &u, err, sizeof err);
    if (rc) {
        if (rc != BRIDGE_EINVAL && rc != BRIDGE_ENOMEM) abort();
        if (!memchr(err, '\0', sizeof err)) abort();
        if (u.href || u.host || u.scheme) abort(); /* nothing left allocated */
        return;
    }
    if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0) abort();
    if (!*u.host || u.path[0] != '/') abort();
    for (const char *c = u.host; *c; c++)
        if (*c >= 'A' && *c <= 'Z') abort();
    if (strchr(u.href, '#') || has_ctl(u.href) || strchr(u.href, ' ')) abort();
    /* The normalised form is a fixed point and keeps the origin. */
    url_t again;
    if (url_parse(u.href, &again, err, sizeof err) != 0) abort();
    if (strcmp(again.href, u.href) != 0) abort();
    url_free(&again);
    if (!url_same_origin(s, u.href)) abort();
    char *origin = url_origin(&u);
    if (!origin) abort();
    if (!url_same_origin(origin, s)) abort();
    /* What the origin says about the host must be what url_parse says. */
    url_t o;
    if (url_parse(origin, &o, err, sizeof err) != 0 || strcmp(o.host, u.host) != 0) abort();
    if (url_host_is_loopback(o.host) != url_host_is_loopback(u.host)) abort();
    url_free(&o);
    free(origin);
    url_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char *nl = strchr(s, '\n');
    const char *base = s, *ref = "";
    if (nl) {
        *nl = '\0';
        ref = nl + 1;
    }

    check_parsed(base);
    check_parsed(ref);

    /* Origin comparison is reflexive on what parses, and symmetric. */
    url_t u;
    char err[256];
    if (url_parse(base, &u, err, sizeof err) == 0) {
        if (!url_same_origin(base, base)) abort();
        url_free(&u);
    }
    if (url_same_origin(base, ref) != url_same_origin(ref, base)) abort();

    char *out = NULL;
    int rc = url_resolve(base, ref, &out);
    if (rc) {
        if (out || (rc != BRIDGE_EINVAL && rc != BRIDGE_ENOMEM)) abort();
    } else {
        if (!out || has_ctl(out)) abort();
        /* A resolved URL is absolute: resolving it again against anything
         * (here the base) gives it back unchanged. */
        char *again = NULL;
        if (url_resolve(base, out, &again) != 0 || strcmp(again, out) != 0) abort();
        free(again);
        /* A reference that is an absolute http(s) URL keeps its own origin; a
         * relative one (no scheme, no "//") keeps the base's. */
        url_t r;
        if (url_parse(ref, &r, err, sizeof err) == 0) {
            if (!url_same_origin(out, ref)) abort();
            url_free(&r);
        } else if (ref[0] == '/' && ref[1] != '/' && ref[1] != '\\' && !strchr(ref, '\\') &&
                   url_parse(base, &r, err, sizeof err) == 0) {
            url_t o;
            if (url_parse(out, &o, err, sizeof err) == 0) {
                if (!url_same_origin(out, base)) abort();
                url_free(&o);
            }
            url_free(&r);
        }
        free(out);
    }
    free(s);
    return 0;
}
