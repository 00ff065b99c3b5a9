/* Token endpoint forms and response validation (client authentication is in
 * oauth/client_auth.c). */
#include "oauth/token.h"
#include "bridge/base/err.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int oauth_form_add(buf_t *form, const char *key, const char *value)
{
    char *k = curl_easy_escape(NULL, key, 0), *v = curl_easy_escape(NULL, value, 0);
    int rc = (k && v) ? 0 : BRIDGE_ENOMEM;
    if (!rc && form->len) rc = buf_append_byte(form, '&');
    if (!rc) rc = buf_append_str(form, k);
    if (!rc) rc = buf_append_byte(form, '=');
    if (!rc) rc = buf_append_str(form, v);
    if (v) OPENSSL_cleanse(v, strlen(v));
    curl_free(k);
    curl_free(v);
    return rc;
}

static int printable_token(const char *s, size_t n)
{
    if (n == 0 || n > OAUTH_TOKEN_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) return 0;
    return 1;
}

int oauth_token_printable(const char *s)
{
    return s && printable_token(s, strnlen(s, OAUTH_TOKEN_MAX + 1));
}

int oauth_token_parse(const json_t *resp, oauth_token_t *out, char *why, size_t whylen)
{
    return oauth_token_parse_after_proof(resp, 0, out, why, whylen);
}

int oauth_token_parse_after_proof(const json_t *resp, int dpop_proof_sent, oauth_token_t *out,
                                  char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(resp)) {
        snprintf(why, whylen, "a response that is not a JSON object");
        return BRIDGE_EPROTO;
    }
    const json_t *at = json_object_get(resp, "access_token");
    if (!json_is_string(at) || !printable_token(json_string_value(at), json_string_length(at))) {
        snprintf(why, whylen,
                 at ? "an access_token that is not a printable string of at most %d bytes"
                    : "no access_token",
                 OAUTH_TOKEN_MAX);
        return BRIDGE_EPROTO;
    }
    const json_t *type = json_object_get(resp, "token_type");
    int dpop =
        dpop_proof_sent && json_is_string(type) && strcasecmp(json_string_value(type), "DPoP") == 0;
    if (type && !dpop &&
        (!json_is_string(type) || strcasecmp(json_string_value(type), "bearer") != 0)) {
        snprintf(why, whylen,
                 "token_type \"%.40s\" (only Bearer, or DPoP after a proof, is supported)",
                 json_is_string(type) ? json_string_value(type) : "?");
        return BRIDGE_EPROTO;
    }
    const json_t *exp = json_object_get(resp, "expires_in");
    long expires_in = 0;
    if (exp) {
        double v = json_is_number(exp)   ? json_number_value(exp)
                   : json_is_string(exp) ? strtod(json_string_value(exp), NULL)
                                         : -1;
        if (!(v > 0) || v > 10.0 * 365 * 24 * 3600) {
            snprintf(why, whylen, "expires_in that is not a positive number of seconds");
            return BRIDGE_EPROTO;
        }
        expires_in = (long)v;
        if (expires_in == 0) expires_in = 1;
    }
    const json_t *rt = json_object_get(resp, "refresh_token");
    if (rt && !json_is_null(rt) &&
        (!json_is_string(rt) || !printable_token(json_string_value(rt), json_string_length(rt)))) {
        snprintf(why, whylen, "a refresh_token that is not a printable string");
        return BRIDGE_EPROTO;
    }
    const json_t *scope = json_object_get(resp, "scope");
    const json_t *idt = json_object_get(resp, "id_token");
    if (idt && !json_is_null(idt) &&
        (!json_is_string(idt) ||
         !printable_token(json_string_value(idt), json_string_length(idt)))) {
        snprintf(why, whylen, "an id_token that is not a printable string");
        return BRIDGE_EPROTO;
    }
    out->id_token = json_is_string(idt) ? strdup(json_string_value(idt)) : NULL;
    out->access_token = strdup(json_string_value(at));
    out->refresh_token = json_is_string(rt) ? strdup(json_string_value(rt)) : NULL;
    out->scope = json_is_string(scope) && json_string_length(scope)
                     ? strdup(json_string_value(scope))
                     : NULL;
    out->expires_in = expires_in;
    out->dpop = dpop;
    if (!out->access_token) {
        oauth_token_free(out);
        snprintf(why, whylen, "out of memory");
        return BRIDGE_ENOMEM;
    }
    return 0;
}

void oauth_token_free(oauth_token_t *t)
{
    if (t->access_token) OPENSSL_cleanse(t->access_token, strlen(t->access_token));
    if (t->refresh_token) OPENSSL_cleanse(t->refresh_token, strlen(t->refresh_token));
    if (t->id_token) OPENSSL_cleanse(t->id_token, strlen(t->id_token));
    free(t->access_token);
    free(t->refresh_token);
    free(t->scope);
    free(t->id_token);
    memset(t, 0, sizeof *t);
}
