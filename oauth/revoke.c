/* Token revocation (RFC 7009) at the revocation endpoint of a stored sign-in,
 * authenticating as the client that obtained the token. */
#include "oauth/oauth.h"
#include "bridge/base/err.h"
#include "bridge/base/json.h"
#include "oauth/browser.h"
#include "oauth/client_auth.h"
#include "oauth/fetch.h"
#include "oauth/token.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define REVOKE_RESPONSE_MAX (64 * 1024)

typedef struct revoke {
    oauth_revoke_cb cb;
    void *ud;
} revoke_t;

static void on_revoked(void *ud, const oauth_fetch_result_t *res)
{
    revoke_t *r = ud;
    if (res->rc)
        r->cb(r->ud, res->rc, res->why);
    else if (res->status >= 200 && res->status < 300)
        r->cb(r->ud, 0, NULL);
    else
        r->cb(r->ud, BRIDGE_EHTTP, "the authorization server refused to revoke the token");
    free(r);
}

int oauth_revoke_record(http_client_t *http, const json_t *record, const char *token,
                        const char *hint, int allow_http, oauth_revoke_cb cb, void *ud)
{
    assert(http && hint && cb);
    const char *endpoint = json_str(record, "revocation_endpoint");
    if (!endpoint || !token || !json_str(record, "client_id")) return BRIDGE_EINVAL;
    if (!oauth_browser_url_ok(endpoint, allow_http)) return BRIDGE_EPROTO;
    revoke_t *r = malloc(sizeof *r);
    if (!r) return BRIDGE_ENOMEM;
    r->cb = cb;
    r->ud = ud;
    buf_t form;
    buf_init_secret(&form, 0);
    char *basic = NULL;
    int rc = oauth_form_add(&form, "token", token);
    if (!rc) rc = oauth_form_add(&form, "token_type_hint", hint);
    if (!rc)
        rc = oauth_token_client_auth(&form, json_str(record, "client_id"),
                                     json_str(record, "client_secret"),
                                     json_str(record, "token_endpoint_auth_method"), &basic);
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", basic, NULL};
    if (!rc)
        rc = oauth_fetch(http, "POST", endpoint, headers, form.data, REVOKE_RESPONSE_MAX,
                         on_revoked, r);
    if (basic) OPENSSL_cleanse(basic, strlen(basic));
    free(basic);
    buf_free_secret(&form);
    if (rc) free(r);
    return rc;
}
