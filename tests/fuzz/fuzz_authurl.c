/* libFuzzer target for the check that guards every OAuth endpoint and the URL
 * handed to the browser (oauth_browser_url_ok, oauth/browser.c; flow.c's
 * endpoint_ok() is the same call), and for the PRM resource match. Nothing
 * that is not http(s), nothing with a control character or a space, and no
 * plain http off loopback (unless allowed) may pass. The input, cut at the
 * first NUL: a URL, or two separated by '\n' (PRM resource, MCP URL). */
#include "oauth/browser.h"
#include "oauth/wellknown.h"
#include "bridge/base/log.h"
#include "bridge/base/url.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void check_one(const char *s)
{
    int strict = oauth_browser_url_ok(s, 0), lax = oauth_browser_url_ok(s, 1);
    if (strict && !lax) abort();
    if (!lax) return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f) abort();
    /* The scheme, as a browser reads it: everything up to the first ':'. */
    const char *colon = strchr(s, ':');
    if (!colon) abort();
    size_t n = (size_t)(colon - s);
    int https = n == 5 && !strncasecmp(s, "https", 5), http = n == 4 && !strncasecmp(s, "http", 4);
    if (!https && !http) abort();
    url_t u;
    char err[256];
    if (url_parse(s, &u, err, sizeof err) != 0) abort();
    if (strict && !strcmp(u.scheme, "http") && !url_host_is_loopback(u.host)) abort();
    url_free(&u);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_init(LOG_LEVEL_SILENT, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char *nl = strchr(s, '\n');
    if (nl) *nl = '\0';
    check_one(s);
    /* Dangerous schemes in front of whatever the fuzzer made never pass. */
    static const char *bad[] = {"javascript:", "data:", "file:", "vbscript:", "JavaScript:",
                                " https:", "\thttps:", "blob:https:"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t m = strlen(bad[i]) + strlen(s) + 1;
        char *t = malloc(m);
        snprintf(t, m, "%s%s", bad[i], s);
        if (oauth_browser_url_ok(t, 1)) abort();
        free(t);
    }
    if (nl) {
        const char *b = nl + 1;
        check_one(b);
        if (oauth_prm_resource_matches(s, b)) {
            url_t ua, ub;
            char err[256];
            if (url_parse(s, &ua, err, sizeof err) != 0) abort();
            if (url_parse(b, &ub, err, sizeof err) != 0) abort();
            if (!url_same_origin(s, b)) abort();
            /* The MCP path continues the resource path at a "/" boundary. */
            size_t rl = strlen(ua.path);
            while (rl > 1 && ua.path[rl - 1] == '/') rl--;
            if (strncmp(ua.path, ub.path, rl) != 0) abort();
            if (rl > 1 && ub.path[rl] != '\0' && ub.path[rl] != '/') abort();
            url_free(&ua);
            url_free(&ub);
        }
    }
    free(s);
    return 0;
}
