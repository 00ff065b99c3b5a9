/* The configuration file itself (profile.h): where it is, reading it bounded,
 * checking its text apart from the reading (profile_parse, fuzzed),
 * refusing literal secrets in a file others may read, and the masked lines
 * `config check` shows. Applying a profile is profile.c. */
#include "bridge/base/buf.h"
#include "bridge/base/err.h"
#include "bridge/cli/options_values.h"
#include "bridge/cli/profile.h"

#include <openssl/crypto.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *profile_default_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    const char *base = xdg && xdg[0] == '/' ? xdg : home && *home ? home : NULL;
    if (!base) return NULL;
    const char *mid = base == xdg ? "" : "/.config";
    size_t n = strlen(base) + strlen(mid) + sizeof "/mcp-bridge/config.json";
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s/mcp-bridge/config.json", base, mid);
    return p;
}

int profile_is_reference(const char *s)
{
    return !strncmp(s, "env:", 4) || !strncmp(s, "keychain:", 9);
}

int profile_header_is_secret(const char *name, size_t len)
{
    static const char *const exact[] = {"authorization", "proxy-authorization", "cookie"};
    static const char *const parts[] = {"key",      "token",   "secret",    "auth",
                                        "password", "session", "credential"};
    char low[PROFILE_KEY_MAX + 1];
    if (len > PROFILE_KEY_MAX) len = PROFILE_KEY_MAX;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[len] = 0;
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (!strcmp(low, exact[i])) return 1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strstr(low, parts[i])) return 1;
    return 0;
}

/* A member of a client's information that is a secret. */
static int member_is_secret(const char *name)
{
    return strstr(name, "secret") || strstr(name, "password");
}

/* A header value in a profile that is a secret written out: a credential
 * header whose value is neither a reference nor ${VAR}. */
static int header_literal_secret(const char *name, size_t len, const char *value)
{
    return profile_header_is_secret(name, len) && !profile_is_reference(value) &&
           !strstr(value, "${");
}

/* "Name: value" split at its colon; NULL value when there is none. */
const char *profile_header_split(const char *line, size_t *name_len)
{
    const char *colon = strchr(line, ':');
    if (!colon) return NULL;
    *name_len = (size_t)(colon - line);
    while (*name_len && (line[*name_len - 1] == ' ' || line[*name_len - 1] == '\t'))
        (*name_len)--;
    colon++;
    while (*colon == ' ' || *colon == '\t')
        colon++;
    return colon;
}

/* A client's information (an object, or JSON text; @FILE is read elsewhere)
 * with a secret written out: the name of that member, or NULL. */
static const char *client_info_literal_secret(json_t *v)
{
    json_t *obj = v;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (s[0] == '@') return NULL;
        obj = json_loads(s, 0, NULL);
        if (!obj) return NULL;
    }
    const char *found = NULL, *k;
    json_t *m;
    json_object_foreach (obj, k, m) {
        const char *s = json_string_value(m);
        if (s && member_is_secret(k) && !profile_is_reference(s) && !strstr(s, "${")) {
            found = k;
            break;
        }
    }
    if (obj != v) {
        /* The key found lives in obj: name it by a static string instead. */
        found = found ? "client_secret" : NULL;
        json_decref(obj);
    }
    return found;
}

/* The first literal secret of a profile: its key into `key`, or 0. */
static int profile_literal_secret(json_t *prof, char *key, size_t keylen)
{
    const char *k;
    json_t *v;
    json_object_foreach (prof, k, v) {
        if (!strcmp(k, "headers") || !strcmp(k, "header")) {
            if (json_is_object(v)) {
                const char *name;
                json_t *hv;
                json_object_foreach (v, name, hv) {
                    if (json_is_string(hv) &&
                        header_literal_secret(name, strlen(name), json_string_value(hv))) {
                        snprintf(key, keylen, "%s.%s", k, name);
                        return 1;
                    }
                }
                continue;
            }
            size_t i, n = json_is_array(v) ? json_array_size(v) : 1;
            for (i = 0; i < n; i++) {
                json_t *line = json_is_array(v) ? json_array_get(v, i) : v;
                size_t len;
                const char *val = json_is_string(line)
                                      ? profile_header_split(json_string_value(line), &len)
                                      : NULL;
                if (val && header_literal_secret(json_string_value(line), len, val)) {
                    snprintf(key, keylen, "%s", k);
                    return 1;
                }
            }
        } else if (!strncmp(k, "static-oauth-client-info", 24) ||
                   !strncmp(k, "static_oauth_client_info", 24)) {
            const char *m = client_info_literal_secret(v);
            if (m) {
                snprintf(key, keylen, "%s.%s", k, m);
                return 1;
            }
        } else if ((!strcmp(k, "client-secret") || !strcmp(k, "client_secret")) &&
                   json_is_string(v) && !profile_is_reference(json_string_value(v))) {
            snprintf(key, keylen, "%s", k);
            return 1;
        }
    }
    return 0;
}

static int read_bounded(int fd, const char *path, buf_t *b, char *err, size_t errlen)
{
    char chunk[4096];
    int rc = 0;
    ssize_t n;
    while (!rc && (n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        rc = n < 0 ? BRIDGE_EIO : buf_append(b, chunk, (size_t)n);
    }
    OPENSSL_cleanse(chunk, sizeof chunk);
    if (rc == BRIDGE_ETOOBIG)
        snprintf(err, errlen, "%s: larger than %d bytes; is it the configuration file?", path,
                 PROFILE_FILE_MAX);
    else if (rc)
        snprintf(err, errlen, "%s: cannot be read (%s)", path, strerror(errno));
    return rc;
}

int profile_load(const char *path, json_t **doc, char *err, size_t errlen)
{
    assert(path && doc);
    *doc = NULL;
    /* O_NONBLOCK: a FIFO put there must not hang the start. A symbolic link is
     * followed: dotfile managers link configuration files into place. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot be read (%s)", path, strerror(e));
        errno = e;
        return BRIDGE_EIO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        errno = EINVAL;
        return BRIDGE_EIO;
    }
    buf_t b;
    buf_init_secret(&b, PROFILE_FILE_MAX);
    int rc = read_bounded(fd, path, &b, err, errlen);
    close(fd);
    if (!rc) {
        int others_may_read = (sb.st_mode & (S_IRGRP | S_IROTH)) != 0;
        rc = profile_parse(b.data ? b.data : "", b.len, path, others_may_read, doc, err, errlen);
    }
    buf_free_secret(&b);
    return rc;
}

int profile_parse(const char *text, size_t len, const char *path, int others_may_read, json_t **doc,
                  char *err, size_t errlen)
{
    assert(text && path && doc);
    *doc = NULL;
    if (len > PROFILE_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes; is it the configuration file?", path,
                 PROFILE_FILE_MAX);
        return BRIDGE_ETOOBIG;
    }
    json_error_t je;
    json_t *d = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!d) {
        snprintf(err, errlen, "%s: line %d, column %d: %s", path, je.line, je.column, je.text);
        return BRIDGE_EINVAL;
    }
    json_t *profiles = json_object_get(d, "profiles");
    if (!json_is_object(d) || !json_is_object(profiles)) {
        snprintf(err, errlen, "%s: expected {\"profiles\": {\"NAME\": {...}, ...}}", path);
        json_decref(d);
        return BRIDGE_EINVAL;
    }
    const char *name;
    json_t *prof;
    json_object_foreach (profiles, name, prof) {
        char key[2 * PROFILE_KEY_MAX + 2];
        if (!json_is_object(prof)) {
            snprintf(err, errlen, "%s: profile \"%s\": expected an object of options", path, name);
            json_decref(d);
            return BRIDGE_EINVAL;
        }
        if (others_may_read && profile_literal_secret(prof, key, sizeof key)) {
            snprintf(err, errlen,
                     "%s: profile \"%s\": key \"%s\" holds a secret and others may read the "
                     "file; run: chmod 600 %s (or use env:NAME or keychain:NAME)",
                     path, name, key, path);
            json_decref(d);
            return BRIDGE_EINVAL;
        }
    }
    *doc = d;
    return 0;
}

/* ---- what `config check` shows -------------------------------------------------- */

/* `val` as shown: a credential header's or a client secret's literal value
 * masked. malloc'd. */
static char *masked(const char *name, const char *val)
{
    size_t len;
    const char *hv = !strcmp(name, "header") ? profile_header_split(val, &len) : NULL;
    if (hv && header_literal_secret(val, len, hv)) {
        char *out = malloc(len + 8);
        if (out) snprintf(out, len + 8, "%.*s: ****", (int)len, val);
        return out;
    }
    if (!strncmp(name, "static-oauth-client-", 20) && val[0] != '@') {
        json_t *j = json_loads(val, 0, NULL);
        const char *k;
        json_t *m;
        json_object_foreach (j, k, m) {
            const char *s = json_string_value(m);
            if (s && member_is_secret(k) && !profile_is_reference(s)) json_string_set(m, "****");
        }
        char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (out || !j) return out ? out : strdup("(not JSON)");
    }
    return strdup(val);
}

int profile_note(bridge_options_t *o, const char *name, const char *val, const char *source)
{
    char *shown = masked(name, val);
    if (!shown) return BRIDGE_ENOMEM;
    size_t n = strlen(name) + strlen(shown) + strlen(source) + 16;
    char *line = malloc(n);
    int rc = BRIDGE_ENOMEM;
    if (line) {
        int quote = strchr(shown, ' ') != NULL;
        snprintf(line, n, "%s%s%s%s%s%s  (%s)", strcmp(name, "url") ? "--" : "", name,
                 *shown ? " " : "", quote ? "'" : "", shown, quote ? "'" : "", source);
        rc = opt_push_string(&o->settings, &o->settings_len, line);
        free(line);
    }
    free(shown);
    return rc;
}
