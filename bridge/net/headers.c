/* --header / --header-file: validate "Name: value", expand ${VAR} in the value,
 * and keep the result for curl. Values may be secrets: errors never show an
 * expanded value, header files are never echoed, and memory is wiped on free. */
#include "bridge/net/headers.h"
#include "bridge/base/buf.h"
#include "bridge/base/envsubst.h"
#include "bridge/base/err.h"
#include "bridge/base/token.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest line accepted from a header file; guards against reading e.g. /dev/zero. */
#define HEADER_FILE_MAX_LINE 65536

/* Headers the transport sets itself; letting the user override them would break
 * the protocol (or, for Host, point the request somewhere else). */
static const char *const managed_headers[] = {
    "Content-Type",         "Accept",        "Content-Length", "Mcp-Session-Id",
    "MCP-Protocol-Version", "Last-Event-ID", "Host",           "Transfer-Encoding",
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Append s (n bytes) so that the message stays on one printable line. */
static int append_escaped(buf_t *b, const char *s, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            rc = buf_append_str(b, "\\n");
        else if (c == '\r')
            rc = buf_append_str(b, "\\r");
        else if (c == '\t')
            rc = buf_append_str(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            rc = buf_printf(b, "\\x%02x", c);
        else
            rc = buf_append_byte(b, (char)c);
    }
    return rc;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static const char *managed_header(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(managed_headers) / sizeof(managed_headers[0]); i++) {
        if (strlen(managed_headers[i]) == n && strncasecmp(managed_headers[i], name, n) == 0)
            return managed_headers[i];
    }
    return NULL;
}

static int push_line(header_list_t *hl, char *line)
{
    char **lines = realloc(hl->lines, (hl->count + 1) * sizeof(*lines));
    if (!lines) return BRIDGE_ENOMEM;
    hl->lines = lines;
    hl->lines[hl->count++] = line;
    return 0;
}

static void free_line(char *line)
{
    OPENSSL_cleanse(line, strlen(line));
    free(line);
}

/* The common path of both entry points. `where` names the source for messages,
 * e.g. `--header "X: y"` or `--header-file f line 3`. Header files exist to keep
 * secrets off the command line, so their text is never quoted (!may_echo). */
static int add_header(header_list_t *hl, const char *text, size_t len, const char *where,
                      int may_echo, char *err, size_t errlen)
{
    while (len && is_ows(*text)) {
        text++;
        len--;
    }
    while (len && is_ows(text[len - 1]))
        len--;

    const char *colon = memchr(text, ':', len);
    if (!colon) {
        set_err(err, errlen, "%s: expected \"Name: value\"", where);
        return BRIDGE_EINVAL;
    }
    size_t name_len = (size_t)(colon - text);
    if (name_len == 0) {
        set_err(err, errlen, "%s: the header name is empty", where);
        return BRIDGE_EINVAL;
    }
    for (size_t i = 0; i < name_len; i++) {
        if (!http_is_tchar((unsigned char)text[i]) && !may_echo) {
            set_err(err, errlen,
                    "%s: the header name has a character that HTTP does not allow in names "
                    "(column %zu)",
                    where, i + 1);
            return BRIDGE_EINVAL;
        }
        if (!http_is_tchar((unsigned char)text[i])) {
            buf_t q;
            buf_init(&q, 0);
            int rc = append_escaped(&q, text, name_len);
            set_err(err, errlen, "%s: \"%s\" is not a valid header name", where,
                    rc == 0 && q.data ? q.data : "");
            buf_free(&q);
            return BRIDGE_EINVAL;
        }
    }
    const char *managed = managed_header(text, name_len);
    if (managed) {
        set_err(err, errlen, "%s: the bridge sets %s itself; it cannot be overridden", where,
                managed);
        return BRIDGE_EINVAL;
    }

    const char *v = colon + 1;
    size_t vlen = len - name_len - 1;
    while (vlen && is_ows(*v)) {
        v++;
        vlen--;
    }

    buf_t raw, line;
    buf_init(&raw, 0);
    buf_init(&line, 0);
    char *value = NULL;
    char bad_name[128];
    int rc = buf_append(&raw, v, vlen);
    if (rc == 0 && memchr(v, '\0', vlen)) {
        set_err(err, errlen, "%s: the value contains a NUL byte", where);
        rc = BRIDGE_EINVAL;
        goto out;
    }
    if (rc == 0) rc = envsubst(raw.data ? raw.data : "", &value, bad_name, sizeof(bad_name), NULL);
    if (rc == BRIDGE_EUNSET) {
        set_err(err, errlen, "environment variable %s is not set (used in %s)", bad_name, where);
        goto out;
    }
    if (rc == BRIDGE_EINVAL) {
        set_err(err, errlen,
                "%s: \"${\" must be followed by a variable name ([A-Za-z_][A-Za-z0-9_]*) and "
                "\"}\"",
                where);
        goto out;
    }
    if (rc) goto out;

    /* CR or LF would let a value inject further headers; other controls are
     * not valid in a field value either (RFC 9110, section 5.5). */
    for (const char *c = value; *c; c++) {
        if ((unsigned char)*c >= 0x20 || *c == '\t') continue;
        int substituted = strcmp(raw.data ? raw.data : "", value) != 0;
        set_err(err, errlen, "%s: the value contains %s%s", where,
                *c == '\r' || *c == '\n' ? "a line break (CR or LF)" : "a control character",
                substituted ? " once environment variables are substituted" : "");
        rc = BRIDGE_EINVAL;
        goto out;
    }

    rc = buf_append(&line, text, name_len);
    if (rc == 0) rc = buf_append_str(&line, ": ");
    if (rc == 0) rc = buf_append_str(&line, value);
    if (rc == 0) {
        char *s = buf_steal(&line);
        rc = s ? push_line(hl, s) : BRIDGE_ENOMEM;
        if (rc && s) free_line(s);
    }

out:
    if (rc == BRIDGE_ENOMEM) set_err(err, errlen, "%s: out of memory", where);
    if (value) free_line(value);
    buf_free_secret(&raw);
    buf_free_secret(&line);
    return rc;
}

int header_list_add(header_list_t *hl, const char *arg, char *err, size_t errlen)
{
    buf_t where;
    buf_init(&where, 0);
    int rc = buf_append_str(&where, "--header \"");
    if (rc == 0) rc = append_escaped(&where, arg, strlen(arg));
    if (rc == 0) rc = buf_append_byte(&where, '"');
    if (rc) {
        set_err(err, errlen, "--header: out of memory");
        buf_free_secret(&where);
        return rc;
    }
    rc = add_header(hl, arg, strlen(arg), where.data, 1, err, errlen);
    buf_free_secret(&where);
    return rc;
}

/* Reads one line into b without its LF (a CR before it is trimmed by the caller). Returns 1 for a
 * line, 0 at EOF, or a negative error. */
static int read_line(FILE *f, buf_t *b)
{
    buf_reset(b);
    int c, got = 0;
    while ((c = getc(f)) != EOF) {
        got = 1;
        if (c == '\n') break;
        int rc = buf_append_byte(b, (char)c);
        if (rc) return rc;
    }
    if (ferror(f)) return BRIDGE_EIO;
    return got;
}

static void drop_from(header_list_t *hl, size_t count)
{
    while (hl->count > count)
        free_line(hl->lines[--hl->count]);
}

/* All or nothing: on error the headers added from this file are removed again. */
int header_list_add_file(header_list_t *hl, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "--header-file %s: cannot open it: %s", path, strerror(errno));
        return BRIDGE_EIO;
    }

    size_t first = hl->count;
    buf_t line, where;
    buf_init(&line, HEADER_FILE_MAX_LINE);
    buf_init(&where, 0);
    int rc = 0;
    for (unsigned long lineno = 1;; lineno++) {
        rc = read_line(f, &line);
        if (rc == 0) break;
        if (rc == BRIDGE_ETOOBIG) {
            set_err(err, errlen, "--header-file %s line %lu: longer than %d bytes", path, lineno,
                    HEADER_FILE_MAX_LINE);
            break;
        }
        if (rc == BRIDGE_EIO) {
            set_err(err, errlen, "--header-file %s: reading failed: %s", path, strerror(errno));
            break;
        }
        if (rc < 0) {
            set_err(err, errlen, "--header-file %s: out of memory", path);
            break;
        }

        const char *s = line.data ? line.data : "";
        size_t n = line.len;
        /* Editors on Windows like to start a UTF-8 file with a byte order mark. */
        if (lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
        while (n && (is_ows(*s) || *s == '\r')) {
            s++;
            n--;
        }
        while (n && (is_ows(s[n - 1]) || s[n - 1] == '\r'))
            n--;
        if (n == 0 || s[0] == '#') continue;

        buf_reset(&where);
        rc = buf_printf(&where, "--header-file %s line %lu", path, lineno);
        if (rc) {
            set_err(err, errlen, "--header-file %s: out of memory", path);
            break;
        }
        rc = add_header(hl, s, n, where.data, 0, err, errlen);
        if (rc) break;
    }
    fclose(f);
    buf_free_secret(&line);
    buf_free(&where);
    if (rc) drop_from(hl, first);
    return rc;
}

const char *header_list_get(const header_list_t *hl, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < hl->count; i++) {
        const char *line = hl->lines[i];
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') return line + n + 2;
    }
    return NULL;
}

void header_list_free(header_list_t *hl)
{
    drop_from(hl, 0);
    free(hl->lines);
    hl->lines = NULL;
    hl->count = 0;
}
