/* text/event-stream parser following WHATWG HTML "Parsing an event stream".
 * Each fed byte is scanned once: complete lines that lie inside one chunk are
 * interpreted in place, and only a line split across chunks is copied into the
 * line buffer, so a huge event fed in small chunks costs linear time. A split
 * data: line goes straight to the data buffer once its field name is known, so a
 * large message is held once, not twice. */
#include "bridge/net/sse.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

struct sse_parser {
    size_t max;
    sse_event_cb cb;
    void *ud;

    buf_t line;    /* the start of a line whose end has not arrived yet */
    buf_t data;    /* the data buffer */
    buf_t type;    /* the event type buffer */
    buf_t id;      /* the last event ID buffer: what id: fields set */
    buf_t last_id; /* the last event ID string: the buffer as of the last blank line */
    int id_dirty;  /* id differs from last_id */

    long retry_ms;
    int failed;           /* sticky BRIDGE_ETOOBIG or BRIDGE_ENOMEM */
    int bom_matched;      /* bytes of a leading BOM seen so far; -1 once past the start */
    int skip_lf;          /* the previous line ended with CR: an LF next is part of that end */
    int field_seen;       /* a field line arrived since the last blank line */
    int in_data;          /* the rest of the current data: line goes to the data buffer */
    int in_callback;      /* the event callback is running: the parser must not be freed */
    size_t data_line_len; /* then: the length of that line so far (bounded like any line) */
};

sse_parser_t *sse_parser_new(size_t max_event_bytes, sse_event_cb cb, void *ud)
{
    sse_parser_t *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->max = max_event_bytes;
    p->cb = cb;
    p->ud = ud;
    buf_init(&p->line, max_event_bytes);
    buf_init(&p->data, max_event_bytes);
    buf_init(&p->type, max_event_bytes);
    buf_init(&p->id, max_event_bytes);
    buf_init(&p->last_id, max_event_bytes);
    p->retry_ms = -1;
    return p;
}

void sse_parser_free(sse_parser_t *p)
{
    if (!p) return;
    assert(!p->in_callback); /* see sse.h: never from inside the event callback */
    buf_free(&p->line);
    buf_free(&p->data);
    buf_free(&p->type);
    buf_free(&p->id);
    buf_free(&p->last_id);
    free(p);
}

static int set_buf(buf_t *b, const char *s, size_t n)
{
    buf_reset(b);
    return buf_append(b, s, n);
}

/* Only all-digit values count; one that does not fit a long is ignored rather
 * than wrapped or clamped, as a nonsense value. */
static void set_retry(sse_parser_t *p, const char *v, size_t n)
{
    long ms = 0;
    if (n == 0) return;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return;
        int d = v[i] - '0';
        if (ms > (LONG_MAX - d) / 10) return;
        ms = ms * 10 + d;
    }
    p->retry_ms = ms;
}

/* Internal failures are returned; the callback's verdict goes to *cb_rc, so a
 * callback that happens to return a BRIDGE_E* value is not mistaken for one. */
static int dispatch(sse_parser_t *p, int *cb_rc)
{
    p->field_seen = 0;
    if (p->id_dirty) {
        int rc = set_buf(&p->last_id, p->id.data ? p->id.data : "", p->id.len);
        if (rc) return rc;
        p->id_dirty = 0;
    }
    if (p->data.len == 0) {
        buf_reset(&p->type);
        return 0;
    }
    if (p->data.data[p->data.len - 1] == '\n') p->data.data[--p->data.len] = '\0';

    sse_event_t ev;
    if (p->type.len) {
        ev.type = p->type.data;
        ev.type_len = p->type.len;
    } else {
        ev.type = "message";
        ev.type_len = strlen("message");
    }
    ev.data = p->data.data;
    ev.data_len = p->data.len;
    ev.id = p->last_id.data ? p->last_id.data : "";
    ev.id_len = p->last_id.len;

    p->in_callback = 1;
    *cb_rc = p->cb ? p->cb(p->ud, &ev) : 0;
    p->in_callback = 0;
    buf_reset(&p->data);
    buf_reset(&p->type);
    return 0;
}

static int field_is(const char *name, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(name, want, n) == 0;
}

static int process_line(sse_parser_t *p, const char *s, size_t n, int *cb_rc)
{
    if (n == 0) return dispatch(p, cb_rc);
    if (s[0] == ':') return 0;

    p->field_seen = 1;
    const char *colon = memchr(s, ':', n);
    size_t name_len = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vlen = n - (size_t)(v - s);
    if (vlen && v[0] == ' ') {
        v++;
        vlen--;
    }

    if (field_is(s, name_len, "event")) return set_buf(&p->type, v, vlen);
    if (field_is(s, name_len, "data")) {
        int rc = buf_append(&p->data, v, vlen);
        return rc ? rc : buf_append_byte(&p->data, '\n');
    }
    if (field_is(s, name_len, "id")) {
        if (memchr(v, '\0', vlen)) return 0;
        p->id_dirty = 1;
        return set_buf(&p->id, v, vlen);
    }
    if (field_is(s, name_len, "retry")) set_retry(p, v, vlen);
    return 0;
}

/* Consume a leading UTF-8 BOM, even one split across chunks. Returns how many
 * bytes of buf it used; bytes that turn out not to be a BOM go to the line. */
static size_t skip_bom(sse_parser_t *p, const char *buf, size_t len)
{
    size_t i = 0;
    while (p->bom_matched >= 0 && i < len) {
        if ((unsigned char)buf[i] == utf8_bom[p->bom_matched]) {
            i++;
            if (++p->bom_matched == 3) p->bom_matched = -1;
            continue;
        }
        /* Neither 0xEF nor 0xBB is a line end, so they simply start the line. */
        int rc = buf_append(&p->line, utf8_bom, (size_t)p->bom_matched);
        p->bom_matched = -1;
        if (rc) {
            p->failed = rc;
            return len;
        }
    }
    return i;
}

/* The line buffer holds the start of a line: once it is known to be a data:
 * field (and whether one space follows the colon), move its value to the data
 * buffer, where the rest of the line will go too. */
static int maybe_stream_data(sse_parser_t *p)
{
    if (p->line.len < 6 || memcmp(p->line.data, "data:", 5) != 0) return 0;
    size_t skip = p->line.data[5] == ' ' ? 6 : 5;
    p->field_seen = 1;
    p->in_data = 1;
    p->data_line_len = p->line.len;
    int rc = buf_append(&p->data, p->line.data + skip, p->line.len - skip);
    buf_reset(&p->line);
    return rc;
}

int sse_parser_feed(sse_parser_t *p, const char *buf, size_t len)
{
    if (p->failed) return p->failed;

    size_t i = skip_bom(p, buf, len);
    if (p->failed) return p->failed;

    while (i < len) {
        if (p->skip_lf) {
            p->skip_lf = 0;
            if (buf[i] == '\n') {
                i++;
                continue;
            }
        }

        size_t j = i;
        while (j < len && buf[j] != '\n' && buf[j] != '\r')
            j++;

        int rc;
        if (j == len) {
            if (p->in_data) {
                p->data_line_len += len - i;
                rc = p->max && p->data_line_len > p->max ? BRIDGE_ETOOBIG
                                                         : buf_append(&p->data, buf + i, len - i);
            } else {
                rc = buf_append(&p->line, buf + i, len - i);
                if (!rc) rc = maybe_stream_data(p);
            }
            if (rc) p->failed = rc;
            return rc;
        }
        if (p->in_data) { /* the end of a data: line that began in earlier chunks */
            p->in_data = 0;
            p->skip_lf = buf[j] == '\r';
            p->data_line_len += j - i;
            rc = p->max && p->data_line_len > p->max ? BRIDGE_ETOOBIG
                                                     : buf_append(&p->data, buf + i, j - i);
            if (!rc) rc = buf_append_byte(&p->data, '\n');
            if (rc) {
                p->failed = rc;
                return rc;
            }
            i = j + 1;
            continue;
        }

        const char *line;
        size_t n;
        if (p->line.len == 0) {
            line = buf + i;
            n = j - i;
            if (p->max && n > p->max) {
                p->failed = BRIDGE_ETOOBIG;
                return p->failed;
            }
        } else {
            rc = buf_append(&p->line, buf + i, j - i);
            if (rc) {
                p->failed = rc;
                return rc;
            }
            line = p->line.data;
            n = p->line.len;
        }
        p->skip_lf = buf[j] == '\r';
        i = j + 1;

        int cb_rc = 0;
        rc = process_line(p, line, n, &cb_rc);
        buf_reset(&p->line);
        if (rc) {
            p->failed = rc;
            return rc;
        }
        /* The rest of this chunk is dropped: the caller is abandoning the stream. */
        if (cb_rc) return cb_rc;
    }
    return 0;
}

char *sse_parser_take_data(sse_parser_t *p)
{
    assert(p->in_callback);
    return buf_steal(&p->data);
}

const char *sse_parser_last_event_id(const sse_parser_t *p)
{
    return p->last_id.data ? p->last_id.data : "";
}

long sse_parser_retry_ms(const sse_parser_t *p)
{
    return p->retry_ms;
}

int sse_parser_in_event(const sse_parser_t *p)
{
    return p->line.len > 0 || p->field_seen || p->bom_matched > 0;
}
