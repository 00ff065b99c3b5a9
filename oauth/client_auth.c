/* Client authentication of the POSTs to the token endpoint: choosing the method
 * and adding it to a request (form fields or a Basic header). */
#include "oauth/client_auth.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "oauth/token.h"

#include <assert.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One way for the client to authenticate with what it holds (an id, a secret):
 * what it adds to the form, or the header line it sets. Adding such a method is
 * one more of these and one line in `auth_methods` below; private_key_jwt, which
 * signs with a key for the AS's issuer, is oauth/client_auth_jwt.c. */
typedef struct client_auth_method {
    const char *name;
    int needs_secret; /* without a client secret the client is public ("none") */
    int (*apply)(buf_t *form, const char *client_id, const char *client_secret, char **header);
} client_auth_method_t;

/* A public client: client_id only. */
static int apply_none(buf_t *form, const char *client_id, const char *client_secret, char **header)
{
    return oauth_form_add(form, "client_id", client_id);
}

static int apply_secret_post(buf_t *form, const char *client_id, const char *client_secret,
                             char **header)
{
    assert(client_secret);
    int rc = oauth_form_add(form, "client_id", client_id);
    return rc ? rc : oauth_form_add(form, "client_secret", client_secret);
}

static int apply_secret_basic(buf_t *form, const char *client_id, const char *client_secret,
                              char **header)
{
    assert(client_secret);
    char *id = curl_easy_escape(NULL, client_id, 0),
         *sec = curl_easy_escape(NULL, client_secret, 0);
    int rc = BRIDGE_ENOMEM;
    if (id && sec) {
        size_t plain_len = strlen(id) + strlen(sec) + 1;
        char *plain = malloc(plain_len + 1);
        size_t enc_cap = 4 * ((plain_len + 2) / 3) + 1;
        char *hdr = malloc(enc_cap + sizeof "Authorization: Basic ");
        if (plain && hdr) {
            snprintf(plain, plain_len + 1, "%s:%s", id, sec);
            int w = sprintf(hdr, "Authorization: Basic ");
            EVP_EncodeBlock((unsigned char *)hdr + w, (unsigned char *)plain, (int)plain_len);
            *header = hdr;
            hdr = NULL;
            rc = 0;
        }
        if (plain) OPENSSL_cleanse(plain, plain_len);
        free(plain);
        free(hdr);
    }
    if (sec) OPENSSL_cleanse(sec, strlen(sec));
    curl_free(id);
    curl_free(sec);
    return rc;
}

static const client_auth_method_t auth_methods[] = {
    {"client_secret_post", 1, apply_secret_post},
    {"client_secret_basic", 1, apply_secret_basic},
    {"none", 0, apply_none},
};

int oauth_token_client_auth(buf_t *form, const char *client_id, const char *client_secret,
                            const char *method, char **basic_header)
{
    *basic_header = NULL;
    if (!client_id) return BRIDGE_EINVAL;
    if (!method) method = client_secret ? "client_secret_basic" : "none";
    for (size_t i = 0; i < sizeof auth_methods / sizeof auth_methods[0]; i++) {
        const client_auth_method_t *m = &auth_methods[i];
        if (!strcmp(method, m->name) && (client_secret || !m->needs_secret))
            return m->apply(form, client_id, client_secret, basic_header);
    }
    /* A method we do not know, or cannot do without a secret: a public client. */
    return apply_none(form, client_id, client_secret, basic_header);
}

const char *oauth_client_auth_choose(const json_t *as_meta, int have_secret)
{
    const json_t *m = json_object_get(as_meta, "token_endpoint_auth_methods_supported");
    if (!have_secret) return "none";
    if (!json_is_array(m) || json_array_has_str(m, "client_secret_basic"))
        return "client_secret_basic";
    if (json_array_has_str(m, "client_secret_post")) return "client_secret_post";
    return "client_secret_basic";
}

const char *oauth_client_auth_for_registration(const json_t *as_meta)
{
    const json_t *methods = json_object_get(as_meta, "token_endpoint_auth_methods_supported");
    if (!json_is_array(methods) || json_array_has_str(methods, "none")) return "none";
    return json_array_has_str(methods, "client_secret_post") &&
                   !json_array_has_str(methods, "client_secret_basic")
               ? "client_secret_post"
               : "client_secret_basic";
}
