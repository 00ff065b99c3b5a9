/* Option values checked and converted: numbers with their bounds, sizes with
 * units, ports, JSON given inline or as @FILE, secrets read from a file. */
#include "bridge/cli/options_values.h"
#include "bridge/base/buf.h"
#include "bridge/base/envsubst.h"
#include "bridge/base/err.h"

#include <jansson.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int opt_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) return BRIDGE_EINVAL;
    *out = v;
    return 0;
}

int opt_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-') return BRIDGE_EINVAL;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    if (*end || v == 0 || v > (1ull << 31) / mul) return BRIDGE_EINVAL;
    *out = (size_t)(v * mul);
    return 0;
}

int opt_push_string(char ***arr, size_t *len, const char *s)
{
    char **n = realloc(*arr, (*len + 1) * sizeof **arr);
    if (!n) return BRIDGE_ENOMEM;
    *arr = n;
    if (!(n[*len] = strdup(s))) return BRIDGE_ENOMEM;
    (*len)++;
    return 0;
}

int opt_add_warning(bridge_options_t *o, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return opt_push_string(&o->warnings, &o->warnings_len, line);
}

const char *opt_authorize_param_reserved(const char *key, size_t len)
{
    static const char *const reserved[] = {"client_id", "redirect_uri",   "response_type",
                                           "state",     "code_challenge", "code_challenge_method"};
    while (len && (*key == ' ' || *key == '\t'))
        key++, len--;
    while (len && (key[len - 1] == ' ' || key[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == len && !strncmp(key, reserved[i], len)) return reserved[i];
    return NULL;
}

int opt_set_string(char **slot, const char *v)
{
    free(*slot);
    return (*slot = strdup(v)) ? 0 : BRIDGE_ENOMEM;
}

int opt_parse_port(const char *val, int *port, char *err, size_t errlen)
{
    long v;
    if (opt_parse_long(val, 1, 65535, &v) == 0) {
        *port = (int)v;
        return 0;
    }
    snprintf(err, errlen, "\"%s\" is not a port number (1-65535)", val);
    return BRIDGE_EINVAL;
}

/* JSON given inline or as @FILE, with ${VAR} substituted. */
int opt_load_json(const char *name, const char *val, char **slot, char *err, size_t errlen)
{
    char *text = NULL;
    if (val[0] == '@') {
        FILE *f = fopen(val + 1, "re");
        if (!f) {
            snprintf(err, errlen, "--%s: cannot read %s", name, val + 1);
            return BRIDGE_EIO;
        }
        buf_t b;
        buf_init(&b, 1024 * 1024);
        char chunk[4096];
        size_t n;
        int rc = 0;
        while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            rc = buf_append(&b, chunk, n);
        fclose(f);
        if (rc) {
            buf_free(&b);
            snprintf(err, errlen, "--%s: %s is too large", name, val + 1);
            return rc;
        }
        text = buf_steal(&b);
    } else {
        text = strdup(val);
    }
    if (!text) return BRIDGE_ENOMEM;
    char bad[128], *out = NULL;
    int rc = envsubst(text, &out, bad, sizeof bad, NULL);
    free(text);
    if (rc == BRIDGE_EUNSET) {
        snprintf(err, errlen, "--%s: environment variable %s is not set", name, bad);
        return rc;
    }
    if (rc) {
        snprintf(err, errlen, "--%s: malformed ${VAR} reference", name);
        return rc;
    }
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "--%s: not a JSON object (%s)", name,
                 j ? "another JSON value" : je.text);
        json_decref(j);
        free(out);
        return BRIDGE_EINVAL;
    }
    json_decref(j);
    free(*slot);
    *slot = out;
    return 0;
}

/* A secret kept in a file: the first line, without surrounding white space. */
int opt_read_secret_file(const char *path, char **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "cannot read %s", path);
        return BRIDGE_EIO;
    }
    char line[16384];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    char *p = line, *e;
    if (ok) {
        while (*p == ' ' || *p == '\t')
            p++;
        e = p + strlen(p);
        while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            *--e = 0;
    }
    if (!ok || !*p) {
        snprintf(err, errlen, "%s holds no refresh token", path);
        return BRIDGE_EINVAL;
    }
    free(*out);
    *out = strdup(p);
    OPENSSL_cleanse(line, sizeof line);
    return *out ? 0 : BRIDGE_ENOMEM;
}
