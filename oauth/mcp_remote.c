/* mcp-remote's naming: MD5 over "url|resource|params JSON|headers JSON|..." and
 * a port of 3335 + (the hash's first 16 bits mod 45816). JSON here is what
 * JavaScript's JSON.stringify(obj, sortedKeys) writes: compact, keys sorted,
 * the last of repeated keys winning. */
#include "oauth/mcp_remote.h"
#include "bridge/base/b64url.h"
#include "bridge/base/err.h"

#include <jansson.h>
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {"k":"v",...} of "k<sep>v" items; NULL when there are none or on failure
 * (*failed says which). trim_key: mcp-remote trims authorize-param keys;
 * skip_ws: header values start after the colon's following whitespace. */
static char *sorted_json(char *const *items, size_t n, char sep, int trim_key, int skip_ws,
                         int *failed)
{
    *failed = 0;
    if (n == 0) return NULL;
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < n; i++) {
        const char *s = items[i], *at = strchr(s, sep);
        if (!at) continue;
        const char *kb = s, *ke = at;
        if (trim_key) {
            while (kb < ke && (*kb == ' ' || *kb == '\t'))
                kb++;
            while (ke > kb && (ke[-1] == ' ' || ke[-1] == '\t'))
                ke--;
        }
        const char *v = at + 1;
        if (skip_ws)
            while (*v == ' ' || *v == '\t')
                v++;
        char *key = strndup(kb, (size_t)(ke - kb));
        if (!key || json_object_set_new(obj, key, json_string(v)) != 0) {
            free(key);
            json_decref(obj);
            obj = NULL;
            break;
        }
        free(key);
    }
    char *text =
        obj && json_object_size(obj) ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!obj || (json_object_size(obj) && !text)) *failed = 1;
    json_decref(obj);
    return text;
}

int mcp_remote_hash(const mcp_remote_key_t *k, char out[MCP_REMOTE_HASH_LEN + 1])
{
    int failed_params = 0, failed_headers = 0;
    char *params =
        sorted_json(k->authorize_params, k->authorize_params_len, '=', 1, 0, &failed_params);
    char *headers = sorted_json(k->headers, k->headers_len, ':', 0, 1, &failed_headers);
    const char *parts[6];
    size_t np = 0;
    parts[np++] = k->server_url;
    if (k->resource && *k->resource) parts[np++] = k->resource;
    if (params) parts[np++] = params;
    if (headers) parts[np++] = headers;
    if (k->client_metadata_url) parts[np++] = k->client_metadata_url;
    if (k->token_endpoint) parts[np++] = k->token_endpoint;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && !failed_params && !failed_headers && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    for (size_t i = 0; ok && i < np; i++) {
        if (i) ok = EVP_DigestUpdate(ctx, "|", 1);
        if (ok) ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
    }
    if (ok) ok = EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 16;
    EVP_MD_CTX_free(ctx);
    free(params);
    free(headers);
    if (!ok) return BRIDGE_ENOMEM;
    for (unsigned i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int mcp_remote_port(const char *hash)
{
    unsigned v = 0;
    for (int i = 0; i < 4 && hash[i]; i++) {
        char c = hash[i];
        v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
    }
    return 3335 + (int)(v % 45816);
}

json_t *mcp_remote_token_audience(const char *token)
{
    const char *a = token ? strchr(token, '.') : NULL;
    const char *b = a ? strchr(a + 1, '.') : NULL;
    if (!b || b - a - 1 > 16384) return NULL;
    size_t n = (size_t)(b - a - 1);
    size_t len = 0;
    unsigned char *claims_text = n ? b64url_decode(a + 1, n, &len) : NULL;
    json_t *aud = NULL;
    if (claims_text && len > 0) {
        json_t *claims = json_loadb((const char *)claims_text, len, 0, NULL);
        json_t *v = json_object_get(claims, "aud");
        if (json_is_string(v) || json_is_array(v)) aud = json_incref(v);
        json_decref(claims);
    }
    free(claims_text);
    return aud;
}

const char *mcp_remote_default_host(void)
{
#ifdef _WIN32
    return "127.0.0.1";
#else
    return "localhost";
#endif
}
