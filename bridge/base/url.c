/* URL handling through curl_url(): no hand-written URL grammar. */
#include "bridge/base/url.h"
#include "bridge/base/err.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *part(CURLU *h, CURLUPart what, unsigned flags)
{
    char *v = NULL;
    if (curl_url_get(h, what, &v, flags) != CURLUE_OK) return NULL;
    char *copy = strdup(v);
    curl_free(v);
    return copy;
}

/* A control character (DEL included) has no place in a URL: libcurl versions
 * differ on which of them they refuse, so the bridge refuses them all itself. */
static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) return 1;
    return 0;
}

static void lower(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Whether a lower-cased host reads the same when parsed again: libcurl 8
 * takes "127.0.0x1" as an IPv4 address (hex) but "127.0.0X1" as a name, so
 * lower-casing could change which host is meant. */
static int host_stable(const char *host)
{
    size_t n = strlen(host) + sizeof "http:///";
    char *url = malloc(n);
    CURLU *h = url ? curl_url() : NULL;
    char *again = NULL;
    if (h) {
        snprintf(url, n, "http://%s/", host);
        if (curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK) again = part(h, CURLUPART_HOST, 0);
    }
    lower(again);
    int same = again && strcmp(again, host) == 0;
    free(again);
    curl_url_cleanup(h);
    free(url);
    return same;
}

/* A percent sign in the authority: a host that decodes to something else (or
 * to a numeric shorthand) reads differently each time a URL is rebuilt. */
static int pct_in_authority(const char *s)
{
    const char *c = s;
    while (isalnum((unsigned char)*c) || *c == '+' || *c == '-' || *c == '.')
        c++;
    const char *auth;
    if (*c == ':' && c > s) {
        auth = c + 1; /* curl takes "http:/host" and "http:///host" too */
    } else if (s[0] == '/' && s[1] == '/') {
        auth = s;
    } else {
        return 0; /* a relative reference without authority */
    }
    while (*auth == '/')
        auth++;
    size_t len = strcspn(auth, "/?#");
    /* Only the host (and port) matter: user information, which may well be
     * percent-encoded, ends at the last '@'. */
    for (size_t i = len; i > 0; i--) {
        if (auth[i - 1] == '@') {
            auth += i;
            len -= i;
            break;
        }
    }
    return memchr(auth, '%', len) != NULL;
}

/* Whether the text has a query or a fragment, empty ones included. libcurl's
 * answer for an empty one ("https://h/?", "https://h/#") changed between
 * versions (7.88 reports an empty query but no empty fragment; 8.x neither,
 * unless asked with a flag 7.88 lacks), so the bridge reads the text itself:
 * by RFC 3986 the first '#' starts the fragment, and a '?' before it the query. */
static int has_fragment_text(const char *s)
{
    return strchr(s, '#') != NULL;
}

static int has_query_text(const char *s)
{
    return strcspn(s, "?#") < strcspn(s, "#");
}

int url_parse(const char *s, url_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (has_control(s)) {
        snprintf(err, errlen, "the URL has a control character in it");
        return BRIDGE_EINVAL;
    }
    CURLU *h = curl_url();
    if (!h) return BRIDGE_ENOMEM;
    int rc = BRIDGE_EINVAL;
    CURLUcode uc = curl_url_set(h, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
        snprintf(err, errlen, "\"%s\" is not a valid URL (%s)", s, curl_url_strerror(uc));
        goto done;
    }
    out->scheme = part(h, CURLUPART_SCHEME, 0);
    lower(out->scheme);
    if (!out->scheme || (strcmp(out->scheme, "http") != 0 && strcmp(out->scheme, "https") != 0)) {
        snprintf(err, errlen, "\"%s\" is not an http:// or https:// URL", s);
        goto done;
    }
    char *frag = part(h, CURLUPART_FRAGMENT, 0);
    if (frag || has_fragment_text(s)) {
        free(frag);
        snprintf(err, errlen, "\"%s\" has a #fragment, which an MCP server URL cannot have", s);
        goto done;
    }
    char *user = part(h, CURLUPART_USER, 0);
    if (user) {
        free(user);
        snprintf(err, errlen, "\"%s\" has credentials in it; pass them with --header instead", s);
        goto done;
    }
    /* A percent-encoded host would be decoded once here and again by whoever
     * rebuilds a URL from it: refuse it rather than risk two readings. */
    if (pct_in_authority(s)) {
        snprintf(err, errlen, "\"%s\" has a percent-encoded host name, which is refused", s);
        goto done;
    }
    out->host = part(h, CURLUPART_HOST, 0);
    lower(out->host);
    if (out->host && !host_stable(out->host)) {
        snprintf(err, errlen, "\"%s\" has a host name that reads differently in lower case", s);
        goto done;
    }
    out->port = part(h, CURLUPART_PORT, 0);
    out->path = part(h, CURLUPART_PATH, 0);
    out->query = part(h, CURLUPART_QUERY, 0);
    if (!out->query && has_query_text(s) && !(out->query = strdup(""))) {
        rc = BRIDGE_ENOMEM;
        goto done;
    }
    out->href = part(h, CURLUPART_URL, 0);
    if (!out->host || !*out->host || !out->path || !out->href) {
        snprintf(err, errlen, "\"%s\" has no host", s);
        goto done;
    }
    rc = 0;
done:
    curl_url_cleanup(h);
    if (rc) url_free(out);
    return rc;
}

void url_free(url_t *u)
{
    free(u->href);
    free(u->scheme);
    free(u->host);
    free(u->port);
    free(u->path);
    free(u->query);
    memset(u, 0, sizeof *u);
}

int url_resolve(const char *base, const char *ref, char **out)
{
    *out = NULL;
    if (pct_in_authority(base) || pct_in_authority(ref)) return BRIDGE_EINVAL;
    if (has_control(base) || has_control(ref)) return BRIDGE_EINVAL;
    CURLU *h = curl_url();
    if (!h) return BRIDGE_ENOMEM;
    int rc = BRIDGE_EINVAL;
    if (curl_url_set(h, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(h, CURLUPART_URL, ref, 0) == CURLUE_OK) {
        *out = part(h, CURLUPART_URL, 0);
        rc = *out ? 0 : BRIDGE_ENOMEM;
        if (*out && has_control(*out)) { /* made of bytes one libcurl let through */
            free(*out);
            *out = NULL;
            rc = BRIDGE_EINVAL;
        }
    }
    curl_url_cleanup(h);
    return rc;
}

static int origin_parts(const char *s, char **scheme, char **host, char **port)
{
    CURLU *h = curl_url();
    if (!h) return BRIDGE_ENOMEM;
    int rc = BRIDGE_EINVAL;
    if (curl_url_set(h, CURLUPART_URL, s, 0) == CURLUE_OK) {
        *scheme = part(h, CURLUPART_SCHEME, 0);
        *host = part(h, CURLUPART_HOST, 0);
        *port = part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT);
        lower(*scheme);
        lower(*host);
        rc = (*scheme && *host && *port) ? 0 : BRIDGE_EINVAL;
    }
    curl_url_cleanup(h);
    return rc;
}

int url_same_origin(const char *a, const char *b)
{
    if (pct_in_authority(a) || pct_in_authority(b)) return 0;
    char *sa = NULL, *ha = NULL, *pa = NULL, *sb = NULL, *hb = NULL, *pb = NULL;
    int same = origin_parts(a, &sa, &ha, &pa) == 0 && origin_parts(b, &sb, &hb, &pb) == 0 &&
               strcmp(sa, sb) == 0 && strcmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
    free(sa);
    free(ha);
    free(pa);
    free(sb);
    free(hb);
    free(pb);
    return same;
}

int url_host_is_loopback(const char *host)
{
    if (!host) return 0;
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
        strcmp(host, "::1") == 0)
        return 1;
    /* 127.0.0.0/8 as a dotted quad: all digits and dots, first octet 127. */
    if (strncmp(host, "127.", 4) != 0) return 0;
    int dots = 0;
    for (const char *p = host; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!isdigit((unsigned char)*p))
            return 0;
    }
    return dots == 3;
}

char *url_origin(const url_t *u)
{
    size_t n = strlen(u->scheme) + strlen(u->host) + (u->port ? strlen(u->port) + 1 : 0) + 4;
    char *s = malloc(n);
    if (!s) return NULL;
    if (u->port)
        snprintf(s, n, "%s://%s:%s", u->scheme, u->host, u->port);
    else
        snprintf(s, n, "%s://%s", u->scheme, u->host);
    return s;
}
