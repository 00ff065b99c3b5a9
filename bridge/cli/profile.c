/* Applying a profile (profile.h): finding it by name or by URL, resolving
 * env: and keychain: references, and applying each key through the option it
 * names. The file is read and checked in profile_file.c. */
#include "bridge/base/err.h"
#include "bridge/base/url.h"
#include "bridge/cli/profile.h"
#include "keychain/keychain.h"

#include <openssl/crypto.h>

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- applying a profile --------------------------------------------------------- */

typedef struct apply_ctx {
    bridge_options_t *o;
    const unsigned char *seen; /* the options the command line gave */
    const char *path, *profile;
    char source[160];  /* for profile_note: the profile "NAME" */
    keychain_t *store; /* opened on the first keychain: reference */
    char *err;
    size_t errlen;
} apply_ctx_t;

static int fail(apply_ctx_t *c, const char *key, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(apply_ctx_t *c, const char *key, int rc, const char *fmt, ...)
{
    char why[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: profile \"%s\": key \"%s\": %s", c->path, c->profile, key,
             why);
    return rc;
}

/* The value of `s` with an env:NAME or keychain:NAME reference resolved;
 * malloc'd into *out (the caller wipes and frees it). */
static int resolve(apply_ctx_t *c, const char *key, const char *s, char **out)
{
    if (!strncmp(s, "env:", 4)) {
        const char *v = getenv(s + 4);
        if (!v || !*v)
            return fail(c, key, BRIDGE_EUNSET, "environment variable %s is %s", s + 4,
                        v ? "empty" : "not set");
        return (*out = strdup(v)) ? 0 : BRIDGE_ENOMEM;
    }
    if (!strncmp(s, "keychain:", 9)) {
        char note[256];
        if (!c->store && keychain_open((keychain_backend_t)c->o->token_store, NULL, &c->store, note,
                                       sizeof note) != 0)
            return fail(c, key, BRIDGE_EIO, "the credential store is not available: %s", note);
        int rc = keychain_get(c->store, s + 9, out);
        if (rc == BRIDGE_EINVAL)
            return fail(c, key, rc,
                        "no secret named \"%s\" in %s; store it with: mcp-bridge config "
                        "set-secret %s",
                        s + 9, keychain_where(c->store), s + 9);
        if (rc) return fail(c, key, rc, "reading %s failed: %s", s, bridge_strerror(rc));
        return 0;
    }
    return (*out = strdup(s)) ? 0 : BRIDGE_ENOMEM;
}

static void free_secret(char *s)
{
    if (s) OPENSSL_cleanse(s, strlen(s));
    free(s);
}

/* Apply option `d` with the profile's text `val` (NULL for a flag). */
static int apply_one(apply_ctx_t *c, const char *key, const opt_def_t *d, const char *val)
{
    char *resolved = NULL;
    int rc = val ? resolve(c, key, val, &resolved) : 0;
    if (rc) return rc;
    char why[384] = "";
    rc = options_apply(c->o, d, resolved, why, sizeof why);
    free_secret(resolved);
    if (rc < 0) return fail(c, key, rc, "%s", why[0] ? why : bridge_strerror(rc));
    return profile_note(c->o, d->name, val ? val : "", c->source);
}

/* One header of a profile, unless the command line gave one of that name. */
static int apply_header(apply_ctx_t *c, const char *key, const char *name, size_t name_len,
                        const char *val)
{
    char hname[PROFILE_KEY_MAX + 1];
    if (name_len == 0 || name_len > PROFILE_KEY_MAX)
        return fail(c, key, BRIDGE_EINVAL, "expected \"Name: value\" with a header name");
    memcpy(hname, name, name_len);
    hname[name_len] = 0;
    if (header_list_get(&c->o->headers, hname)) return 0; /* the command line's wins */
    char *resolved = NULL;
    int rc = resolve(c, key, val, &resolved);
    if (rc) return rc;
    size_t n = name_len + strlen(resolved) + 3;
    char *line = malloc(n), why[384] = "";
    if (!line) {
        free_secret(resolved);
        return BRIDGE_ENOMEM;
    }
    snprintf(line, n, "%s: %s", hname, resolved);
    free_secret(resolved);
    rc = header_list_add(&c->o->headers, line, why, sizeof why);
    free_secret(line);
    if (rc) return fail(c, key, rc, "%s", why);
    char shown[PROFILE_KEY_MAX + 512];
    snprintf(shown, sizeof shown, "%s: %s", hname, val);
    return profile_note(c->o, "header", shown, c->source);
}

/* The option a profile key names: the long option name, '_' for '-' allowed,
 * and for an option given many times also its plural ("headers"). `norm` gets
 * the key with '-' for '_', or "" when it is too long to be an option's. */
static const opt_def_t *key_option(const char *key, char *norm, size_t normlen)
{
    assert(normlen > 0);
    size_t n = strlen(key);
    norm[0] = 0; /* read by the caller even when no option is found */
    if (n >= normlen) return NULL;
    for (size_t i = 0; i <= n; i++)
        norm[i] = key[i] == '_' ? '-' : key[i];
    const opt_def_t *d = options_find(norm, n);
    if (!d && n > 1 && norm[n - 1] == 's') {
        d = options_find(norm, n - 1);
        if (d && !d->repeatable) d = NULL;
    }
    return d;
}

/* A string for an option from a string or a whole number. */
static int scalar_text(json_t *v, char *num, size_t numlen, const char **out)
{
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return 0;
    }
    if (json_is_integer(v)) {
        snprintf(num, numlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *out = num;
        return 0;
    }
    return BRIDGE_EINVAL;
}

/* A client's information given as an object: its string members resolved,
 * then applied as JSON text. */
static int apply_client_object(apply_ctx_t *c, const char *key, const opt_def_t *d, json_t *v)
{
    json_t *copy = json_deep_copy(v), *shown = json_deep_copy(v);
    int rc = copy && shown ? 0 : BRIDGE_ENOMEM;
    const char *k;
    json_t *m;
    json_object_foreach (copy, k, m) {
        if (rc || !json_is_string(m)) continue;
        char *r = NULL, mkey[2 * PROFILE_KEY_MAX + 2];
        snprintf(mkey, sizeof mkey, "%s.%s", key, k);
        rc = resolve(c, mkey, json_string_value(m), &r);
        if (!rc) rc = json_string_set(m, r) ? BRIDGE_ENOMEM : 0;
        free_secret(r);
    }
    char *text = rc ? NULL : json_dumps(copy, JSON_COMPACT);
    char *shown_text = rc ? NULL : json_dumps(shown, JSON_COMPACT);
    json_decref(copy);
    json_decref(shown);
    if (!rc && (!text || !shown_text)) rc = BRIDGE_ENOMEM;
    char why[384] = "";
    if (!rc) {
        rc = options_apply(c->o, d, text, why, sizeof why);
        if (rc < 0) rc = fail(c, key, rc, "%s", why[0] ? why : bridge_strerror(rc));
    }
    if (!rc) rc = profile_note(c->o, d->name, shown_text, c->source);
    free_secret(text);
    free(shown_text);
    return rc;
}

/* An option given many times: a string, a number, an array of them, or for
 * --header and --authorize-param an object {NAME: VALUE}. */
static int apply_repeatable(apply_ctx_t *c, const char *key, const opt_def_t *d, json_t *v)
{
    int header = !strcmp(d->name, "header"), param = !strcmp(d->name, "authorize-param");
    if (json_is_object(v) && (header || param)) {
        const char *name;
        json_t *m;
        json_object_foreach (v, name, m) {
            char num[32], mkey[2 * PROFILE_KEY_MAX + 2];
            const char *val;
            snprintf(mkey, sizeof mkey, "%s.%s", key, name);
            if (scalar_text(m, num, sizeof num, &val))
                return fail(c, mkey, BRIDGE_EINVAL, "expected a string");
            int rc;
            if (header) {
                rc = apply_header(c, mkey, name, strlen(name), val);
            } else {
                int given = 0;
                for (size_t i = 0; i < c->o->authorize_params_len; i++) {
                    const char *p = c->o->authorize_params[i];
                    given |= !strncmp(p, name, strlen(name)) && p[strlen(name)] == '=';
                }
                if (given) continue; /* the command line's wins */
                size_t n = strlen(name) + strlen(val) + 2;
                char *kv = malloc(n);
                if (!kv) return BRIDGE_ENOMEM;
                snprintf(kv, n, "%s=%s", name, val);
                rc = apply_one(c, mkey, d, kv);
                free(kv);
            }
            if (rc) return rc;
        }
        return 0;
    }
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
        char num[32];
        const char *val;
        if (scalar_text(item, num, sizeof num, &val))
            return fail(c, key, BRIDGE_EINVAL, "expected a string%s",
                        header ? ", an array of "
                                 "strings or an object {\"Name\": \"value\"}"
                               : " or an array of strings");
        size_t name_len;
        const char *hv = header ? profile_header_split(val, &name_len) : NULL;
        if (header && !hv) return fail(c, key, BRIDGE_EINVAL, "expected \"Name: value\"");
        int rc = header ? apply_header(c, key, val, name_len, hv) : apply_one(c, key, d, val);
        if (rc) return rc;
    }
    return 0;
}

/* Two options that set the same thing: given one on the command line, the
 * profile's other is left out too. */
static int command_line_set(const apply_ctx_t *c, const opt_def_t *d)
{
    static const char *const pairs[][2] = {{"debug", "silent"},
                                           {"resource", "disable-resource-parameter"}};
    if (c->seen[d - options_table]) return 1;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        for (int j = 0; j < 2; j++) {
            if (strcmp(d->name, pairs[i][j])) continue;
            const opt_def_t *other = options_find(pairs[i][!j], strlen(pairs[i][!j]));
            if (other && c->seen[other - options_table]) return 1;
        }
    }
    return 0;
}

static int apply_key(apply_ctx_t *c, const char *key, json_t *v, unsigned char *done)
{
    char norm[PROFILE_KEY_MAX + 1];
    const opt_def_t *d = key_option(key, norm, sizeof norm);
    if (!strcmp(norm, "url") || !strcmp(norm, "client-id") || !strcmp(norm, "client-secret"))
        return 0; /* handled by the caller */
    if (!d)
        return fail(c, key, BRIDGE_EINVAL,
                    "no such option; a profile's keys are the long option names "
                    "(mcp-bridge help options), and url");
    if (!strcmp(d->name, "config") || !strcmp(d->name, "profile") || !strcmp(d->name, "help") ||
        !strcmp(d->name, "version"))
        return fail(c, key, BRIDGE_EINVAL, "not an option a profile can hold");
    size_t idx = (size_t)(d - options_table);
    if (done[idx] && !d->repeatable)
        return fail(c, key, BRIDGE_EINVAL, "--%s is given twice in this profile", d->name);
    done[idx] = 1;
    if (d->repeatable) return apply_repeatable(c, key, d, v);
    if (command_line_set(c, d)) return 0;
    if (!d->arg) {
        if (!json_is_boolean(v)) return fail(c, key, BRIDGE_EINVAL, "expected true or false");
        return json_is_true(v) ? apply_one(c, key, d, NULL) : 0;
    }
    if (json_is_object(v) && !strncmp(d->name, "static-oauth-client-", 20))
        return apply_client_object(c, key, d, v);
    char num[32];
    const char *val;
    if (scalar_text(v, num, sizeof num, &val))
        return fail(c, key, BRIDGE_EINVAL, "expected a string%s",
                    !strncmp(d->name, "static-oauth-client-", 20) ? " or an object" : "");
    return apply_one(c, key, d, val);
}

/* "client_id" and "client_secret" in a profile: --static-oauth-client-info
 * written as two keys. */
static int apply_client_keys(apply_ctx_t *c, json_t *prof, unsigned char *done)
{
    json_t *id = json_object_get(prof, "client-id"),
           *secret = json_object_get(prof, "client-secret");
    if (!id) id = json_object_get(prof, "client_id");
    if (!secret) secret = json_object_get(prof, "client_secret");
    if (!id && !secret) return 0;
    const opt_def_t *d = options_find("static-oauth-client-info", 24);
    assert(d);
    if (done[d - options_table])
        return fail(c, "client_id", BRIDGE_EINVAL,
                    "give client_id and client_secret, or static-oauth-client-info, not both");
    if (!json_is_string(id))
        return fail(c, "client_id", BRIDGE_EINVAL, "expected a string%s",
                    id ? "" : " (client_secret goes with client_id)");
    if (secret && !json_is_string(secret))
        return fail(c, "client_secret", BRIDGE_EINVAL, "expected a string");
    if (command_line_set(c, d)) return 0;
    json_t *info = json_pack("{s:O, s:O*}", "client_id", id, "client_secret", secret);
    if (!info) return BRIDGE_ENOMEM;
    int rc = apply_client_object(c, "client_id", d, info);
    json_decref(info);
    return rc;
}

static int apply_profile(apply_ctx_t *c, json_t *prof)
{
    unsigned char done[OPTIONS_TABLE_MAX] = {0};
    /* The credential store first: keychain: references are read from it. */
    json_t *store = json_object_get(prof, "token-store");
    const char *k;
    json_t *v;
    int rc = store ? apply_key(c, "token-store", store, done) : 0;
    json_object_foreach (prof, k, v) {
        if (rc) break;
        if (strcmp(k, "token-store") != 0) rc = apply_key(c, k, v, done);
    }
    if (!rc) rc = apply_client_keys(c, prof, done);
    json_t *url = json_object_get(prof, "url");
    if (!rc && url && !json_is_string(url))
        rc = fail(c, "url", BRIDGE_EINVAL, "expected the server URL as a string");
    if (!rc && url && !c->o->url) {
        rc = resolve(c, "url", json_string_value(url), &c->o->url);
        if (!rc) rc = profile_note(c->o, "url", json_string_value(url), c->source);
    }
    return rc;
}

static const char *effective_port(const url_t *u)
{
    return u->port ? u->port : !strcmp(u->scheme, "https") ? "443" : "80";
}

/* The same server URL as url_parse() normalises it: scheme and host in lower
 * case, the default port written or not, an empty path as "/". */
static int same_url(const url_t *a, const url_t *b)
{
    return !strcmp(a->scheme, b->scheme) && !strcmp(a->host, b->host) &&
           !strcmp(effective_port(a), effective_port(b)) && !strcmp(a->path, b->path) &&
           !a->query == !b->query && (!a->query || !strcmp(a->query, b->query));
}

/* The profile whose url is `url` once both are normalised: 0 with *name NULL
 * when none is. */
static int find_by_url(apply_ctx_t *c, json_t *profiles, const char *url, const char **name)
{
    *name = NULL;
    url_t want, u;
    char why[256];
    if (url_parse(url, &want, why, sizeof why) != 0) return 0; /* reported later */
    const char *k;
    json_t *prof;
    int rc = 0;
    json_object_foreach (profiles, k, prof) {
        const char *pu = json_string_value(json_object_get(prof, "url"));
        if (!pu || profile_is_reference(pu)) continue;
        c->profile = k;
        if (url_parse(pu, &u, why, sizeof why) != 0) {
            rc = fail(c, "url", BRIDGE_EINVAL, "%s", why);
            break;
        }
        int same = same_url(&u, &want);
        url_free(&u);
        if (same && *name) {
            snprintf(c->err, c->errlen,
                     "%s: profiles \"%s\" and \"%s\" both have the url %s; choose one with "
                     "--profile NAME",
                     c->path, *name, k, url);
            rc = BRIDGE_EINVAL;
            break;
        }
        if (same) *name = k;
    }
    c->profile = NULL;
    url_free(&want);
    return rc;
}

int profile_apply(bridge_options_t *o, const unsigned char *seen, char *err, size_t errlen)
{
    assert(o && seen);
    if (!o->profile && !o->url) return 0;
    char *path = o->config_file ? strdup(o->config_file) : profile_default_path();
    if (!path) {
        if (!o->profile) return 0;
        snprintf(err, errlen, "--profile %s: no configuration file (set HOME, or give --config)",
                 o->profile);
        return BRIDGE_EINVAL;
    }
    struct stat sb;
    if (!o->config_file && !o->profile && stat(path, &sb) != 0 && errno == ENOENT) {
        free(path);
        return 0; /* no file, no profiles */
    }
    json_t *doc = NULL;
    int rc = profile_load(path, &doc, err, errlen);
    if (!rc) rc = profile_apply_doc(o, seen, doc, path, err, errlen);
    json_decref(doc);
    free(path);
    return rc;
}

int profile_apply_doc(bridge_options_t *o, const unsigned char *seen, json_t *doc, const char *path,
                      char *err, size_t errlen)
{
    assert(o && seen && doc && path);
    assert(path != o->config_file);
    if (!o->profile && !o->url) return 0;
    apply_ctx_t c = {.o = o, .seen = seen, .path = path, .err = err, .errlen = errlen};
    json_t *profiles = json_object_get(doc, "profiles");
    const char *name = o->profile;
    int rc = name ? 0 : find_by_url(&c, profiles, o->url, &name);
    json_t *prof = !rc && name ? json_object_get(profiles, name) : NULL;
    if (!rc && name && !prof) {
        size_t n = (size_t)snprintf(err, errlen, "%s has no profile \"%s\"; it has:", path, name);
        const char *k;
        json_t *v;
        json_object_foreach (profiles, k, v) {
            if (n < errlen) n += (size_t)snprintf(err + n, errlen - n, " %s", k);
        }
        rc = BRIDGE_EINVAL;
    }
    if (!rc && prof) {
        c.profile = name;
        snprintf(c.source, sizeof c.source, "profile \"%s\"", name);
        rc = apply_profile(&c, prof);
        if (!rc && !o->profile && !(o->profile = strdup(name))) rc = BRIDGE_ENOMEM;
    }
    if (!rc && prof) {
        char *used = strdup(path);
        if (used) {
            free(o->config_file);
            o->config_file = used;
        } else {
            rc = BRIDGE_ENOMEM;
        }
    }
    if (c.store) keychain_close(c.store);
    return rc;
}
