/* Token exchange for an ID-JAG and the jwt-bearer grant: the form bodies and the
 * checks on the IdP's answer. The answer's access_token is the ID-JAG, which is
 * not an access token, hence token_type N_A. */
#include "oauth/token_exchange.h"
#include "oauth/token.h"
#include "bridge/base/err.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int present(const char *s)
{
    return s && *s;
}

int oauth_token_exchange_form(buf_t *form, const char *id_token, const char *audience,
                              const char *resource, const char *scope)
{
    if (!present(id_token) || !present(audience) || !present(resource)) return BRIDGE_EINVAL;
    int rc = oauth_form_add(form, "grant_type", OAUTH_GRANT_TOKEN_EXCHANGE);
    if (!rc) rc = oauth_form_add(form, "subject_token", id_token);
    if (!rc) rc = oauth_form_add(form, "subject_token_type", OAUTH_TOKEN_TYPE_ID_TOKEN);
    if (!rc) rc = oauth_form_add(form, "requested_token_type", OAUTH_TOKEN_TYPE_ID_JAG);
    if (!rc) rc = oauth_form_add(form, "audience", audience);
    if (!rc) rc = oauth_form_add(form, "resource", resource);
    if (!rc && present(scope)) rc = oauth_form_add(form, "scope", scope);
    return rc;
}

int oauth_jwt_bearer_form(buf_t *form, const char *assertion, const char *scope,
                          const char *resource)
{
    if (!present(assertion)) return BRIDGE_EINVAL;
    int rc = oauth_form_add(form, "grant_type", OAUTH_GRANT_JWT_BEARER);
    if (!rc) rc = oauth_form_add(form, "assertion", assertion);
    if (!rc && present(scope)) rc = oauth_form_add(form, "scope", scope);
    if (!rc && present(resource)) rc = oauth_form_add(form, "resource", resource);
    return rc;
}

int oauth_token_exchange_parse(const json_t *resp, oauth_id_jag_t *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(resp)) {
        snprintf(why, whylen, "a token-exchange answer that is not a JSON object");
        return BRIDGE_EPROTO;
    }
    const json_t *at = json_object_get(resp, "access_token");
    if (!json_is_string(at) || !oauth_token_printable(json_string_value(at)) ||
        strlen(json_string_value(at)) != json_string_length(at)) {
        snprintf(why, whylen,
                 at ? "an access_token (the ID-JAG) that is not a printable string of at most "
                      "%d bytes"
                    : "no access_token (the ID-JAG)",
                 OAUTH_TOKEN_MAX);
        return BRIDGE_EPROTO;
    }
    const json_t *issued = json_object_get(resp, "issued_token_type");
    if (!json_is_string(issued) || strcmp(json_string_value(issued), OAUTH_TOKEN_TYPE_ID_JAG)) {
        snprintf(why, whylen, "issued_token_type \"%.80s\" where %s was requested",
                 json_is_string(issued) ? json_string_value(issued) : "(none)",
                 OAUTH_TOKEN_TYPE_ID_JAG);
        return BRIDGE_EPROTO;
    }
    const json_t *type = json_object_get(resp, "token_type");
    if (type && (!json_is_string(type) || (strcasecmp(json_string_value(type), "N_A") &&
                                           strcasecmp(json_string_value(type), "Bearer")))) {
        snprintf(why, whylen, "token_type \"%.40s\" (N_A expected for an ID-JAG)",
                 json_is_string(type) ? json_string_value(type) : "?");
        return BRIDGE_EPROTO;
    }
    const json_t *exp = json_object_get(resp, "expires_in");
    if (exp && (!json_is_number(exp) || !(json_number_value(exp) >= 1) ||
                json_number_value(exp) > 10.0 * 365 * 24 * 3600)) {
        snprintf(why, whylen, "expires_in that is not a positive number of seconds");
        return BRIDGE_EPROTO;
    }
    const json_t *scope = json_object_get(resp, "scope");
    out->assertion = strdup(json_string_value(at));
    out->scope = json_is_string(scope) && json_string_length(scope) &&
                         strlen(json_string_value(scope)) == json_string_length(scope)
                     ? strdup(json_string_value(scope))
                     : NULL;
    out->expires_in = exp ? (long)json_number_value(exp) : 0;
    if (!out->assertion) {
        oauth_token_exchange_free(out);
        snprintf(why, whylen, "out of memory");
        return BRIDGE_ENOMEM;
    }
    return 0;
}

void oauth_token_exchange_free(oauth_id_jag_t *jag)
{
    if (jag->assertion) OPENSSL_cleanse(jag->assertion, strlen(jag->assertion));
    free(jag->assertion);
    free(jag->scope);
    memset(jag, 0, sizeof *jag);
}
