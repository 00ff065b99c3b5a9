/* libFuzzer target for discovery URL construction. The input, cut at the first
 * NUL, is one URL, or two separated by '\n' for the resource match. Whatever a
 * builder returns must parse as an http(s) URL with the input's origin. */
#include "oauth/wellknown.h"
#include "bridge/base/err.h"
#include "bridge/base/url.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_rc(int rc)
{
    if (rc != 0 && rc != BRIDGE_EINVAL && rc != BRIDGE_ENOMEM) abort();
}

/* out parses, keeps the origin of `in`, and starts with `prefix` if given. */
static void check_url(const char *in, const char *out, const char *prefix)
{
    url_t u;
    char err[512];
    if (!out || url_parse(out, &u, err, sizeof err) != 0) abort();
    if (!url_same_origin(in, out)) abort();
    if (prefix && strncmp(out, prefix, strlen(prefix)) != 0) abort();
    url_free(&u);
}

static void one_url(const char *s)
{
    char *base = NULL;
    int rc = oauth_legacy_base(s, &base);
    check_rc(rc);
    if (rc) {
        if (base) abort();
    } else {
        check_url(s, base, NULL);
        if (strchr(base + strlen("https://"), '/')) abort(); /* origin only */
        /* A URL stands for itself. */
        if (!oauth_prm_resource_matches(s, s)) abort();
    }

    char *prm[OAUTH_PRM_URLS_MAX];
    size_t n = 0;
    rc = oauth_prm_urls(s, prm, &n);
    check_rc(rc);
    if ((rc == 0) != (base != NULL)) abort(); /* same acceptance as the base */
    if (rc == 0 && (n < 1 || n > OAUTH_PRM_URLS_MAX)) abort();
    for (size_t i = 0; i < n; i++) {
        char prefix[8192];
        snprintf(prefix, sizeof prefix, "%s/.well-known/oauth-protected-resource", base);
        check_url(s, prm[i], prefix);
        if (i + 1 == n && strcmp(prm[i], prefix) != 0) abort(); /* root one last */
        free(prm[i]);
    }

    char *as[OAUTH_AS_METADATA_URLS_MAX];
    rc = oauth_as_metadata_urls(s, as, &n);
    check_rc(rc);
    if (rc == 0 && n != 2 && n != 3) abort();
    for (size_t i = 0; i < n; i++) {
        check_url(s, as[i], base);
        if (!strstr(as[i], "/.well-known/")) abort();
        free(as[i]);
    }

    static const char *which[] = {"authorize", "token", "register"};
    for (size_t i = 0; i < 3; i++) {
        char *e = NULL;
        rc = oauth_legacy_default_endpoint(s, which[i], &e);
        check_rc(rc);
        if (rc == 0) {
            check_url(s, e, base);
            free(e);
        }
    }

    char *res = NULL;
    rc = oauth_canonical_resource(s, &res);
    check_rc(rc);
    if (rc == 0) {
        if (strchr(res, '#')) abort();
        check_url(s, res, NULL);
        if (base && strncmp(res, base, strlen(base)) != 0) abort();
        /* The resource we send must be accepted back from a PRM document. */
        if (!strchr(s, '#') && !oauth_prm_resource_matches(res, s)) abort();
        /* Canonical is a fixed point. */
        char *again = NULL;
        if (oauth_canonical_resource(res, &again) != 0 || strcmp(again, res) != 0) abort();
        free(again);
        free(res);
    }
    free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0; /* URLs, not megabytes */
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        const char *a = s, *b = nl + 1;
        if (oauth_prm_resource_matches(a, b) && !url_same_origin(a, b)) abort();
        one_url(a);
        one_url(b);
    } else {
        one_url(s);
    }
    free(s);
    return 0;
}
