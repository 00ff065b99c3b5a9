/* stdin line framing with a bound, and a stdout write queue that never blocks
 * the loop. stdin/stdout may be pipes or sockets (how hosts spawn us), a TTY
 * (a person trying it), or regular files (scripts). */
#include "bridge/relay/stdio.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

/* One write of one or more messages, each followed by "\n". */
typedef struct write_req {
    uv_write_t req;
    stdio_chan_t *s;
    size_t n, bytes;
    struct stdio_pending msgs[]; /* n */
} write_req_t;

static void deliver_lines(stdio_chan_t *s, const char *p, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (s->discarding) {
            s->discarding += take;
        } else if (s->line.len + take > s->max_line) {
            s->discarding = s->line.len + take;
            buf_reset(&s->line);
        } else if (buf_append(&s->line, p, take) != 0) {
            s->discarding = s->line.len + take;
            buf_reset(&s->line);
        }
        if (!nl) return;
        p += take + 1;
        n -= take + 1;
        if (s->discarding) {
            size_t dropped = s->discarding;
            s->discarding = 0;
            if (s->cbs.on_oversize) s->cbs.on_oversize(s->ud, dropped);
            continue;
        }
        size_t len = s->line.len;
        if (len && s->line.data[len - 1] == '\r') len--;
        if (len) {
            s->line.data[len] = 0;
            s->cbs.on_line(s->ud, s->line.data, len);
        }
        buf_reset(&s->line);
        if (s->in_eof || !s->in_reading) return; /* the relay stopped reading */
    }
}

static void finish_input(stdio_chan_t *s)
{
    if (s->in_eof) return;
    s->in_eof = 1;
    /* A last line without a newline still counts. */
    if (s->discarding) {
        if (s->cbs.on_oversize) s->cbs.on_oversize(s->ud, s->discarding);
        s->discarding = 0;
    } else if (s->line.len) {
        size_t len = s->line.len;
        if (s->line.data[len - 1] == '\r') len--;
        s->line.data[len] = 0;
        if (len) s->cbs.on_line(s->ud, s->line.data, len);
    }
    buf_reset(&s->line);
    s->cbs.on_eof(s->ud);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    stdio_chan_t *s = h->data;
    b->base = s->in_chunk;
    b->len = READ_CHUNK;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    stdio_chan_t *s = st->data;
    if (n > 0) {
        deliver_lines(s, b->base, (size_t)n);
    } else if (n < 0) {
        if (n != UV_EOF) log_error("reading stdin failed: %s", uv_strerror((int)n));
        uv_read_stop(st);
        s->in_reading = 0;
        finish_input(s);
    }
}

static void on_file_read(uv_fs_t *req);

/* The next chunk of a stdin that is a file (uv_fs_read: it cannot be polled). */
static int read_file(stdio_chan_t *s)
{
    uv_buf_t b = uv_buf_init(s->in_chunk, READ_CHUNK);
    int rc = uv_fs_read(s->loop, &s->in_fs, 0, &b, 1, -1, on_file_read);
    if (rc == 0) s->in_fs_busy = 1;
    return rc;
}

static void on_file_read(uv_fs_t *req)
{
    stdio_chan_t *s = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    s->in_fs_busy = 0;
    if (s->in_closed) { /* closed while this read was in flight */
        free(s->in_chunk);
        s->in_chunk = NULL;
        return;
    }
    if (n > 0) {
        deliver_lines(s, s->in_chunk, (size_t)n);
        if (s->in_reading && !s->in_eof) read_file(s);
        return;
    }
    if (n < 0) log_error("reading stdin failed: %s", uv_strerror((int)n));
    s->in_reading = 0;
    finish_input(s);
}

static int open_stream(uv_loop_t *loop, int fd, int kind, void *h, int readable)
{
    switch (kind) {
    case UV_TTY:
        return uv_tty_init(loop, h, fd, readable);
    case UV_TCP: {
        int rc = uv_tcp_init(loop, h);
        return rc ? rc : uv_tcp_open(h, fd);
    }
    case UV_NAMED_PIPE: {
        int rc = uv_pipe_init(loop, h, 0);
        return rc ? rc : uv_pipe_open(h, fd);
    }
    default:
        return UV_EINVAL;
    }
}

int stdio_start(stdio_chan_t *s, uv_loop_t *loop, size_t max_line, const stdio_callbacks_t *cbs,
                void *ud)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->cbs = *cbs;
    s->ud = ud;
    s->max_line = max_line;
    buf_init(&s->line, 0);
    s->in_chunk = malloc(READ_CHUNK);
    if (!s->in_chunk) return BRIDGE_ENOMEM;

    s->out_kind = uv_guess_handle(1);
    if (s->out_kind != UV_FILE && open_stream(loop, 1, s->out_kind, &s->out, 0) != 0)
        s->out_kind = UV_FILE; /* fall back to blocking writes */
    if (s->out_kind != UV_FILE) {
        s->out.pipe.data = s;
        uv_check_init(loop, &s->flush_check);
        uv_idle_init(loop, &s->flush_idle);
        s->flush_check.data = s->flush_idle.data = s;
    }

    s->in_kind = uv_guess_handle(0);
    s->in_reading = 1;
    if (s->in_kind == UV_FILE) {
        s->in_fs.data = s;
        return read_file(s) ? BRIDGE_EIO : 0;
    }
    if (open_stream(loop, 0, s->in_kind, &s->in, 1) != 0) {
        log_error("stdin is neither a pipe, a socket, a terminal nor a file");
        return BRIDGE_EIO;
    }
    s->in.pipe.data = s;
    return uv_read_start((uv_stream_t *)&s->in, on_alloc, on_read) ? BRIDGE_EIO : 0;
}

static void maybe_drained(stdio_chan_t *s)
{
    if (s->congested && s->queued < STDIO_LOW_WATER) {
        s->congested = 0;
        if (s->cbs.on_backpressure) s->cbs.on_backpressure(s->ud, 0);
    }
    if (s->queued == 0 && s->drained_cb) {
        void (*cb)(void *) = s->drained_cb;
        s->drained_cb = NULL;
        cb(s->ud);
    }
}

static void on_written(uv_write_t *req, int status)
{
    write_req_t *w = (write_req_t *)req;
    stdio_chan_t *s = w->s;
    s->queued -= w->bytes;
    for (size_t i = 0; i < w->n; i++)
        free(w->msgs[i].msg);
    free(w);
    if (status < 0 && !s->out_failed) {
        s->out_failed = 1;
        if (s->cbs.on_write_error) s->cbs.on_write_error(s->ud, uv_strerror(status));
    }
    maybe_drained(s);
}

static void write_failed(stdio_chan_t *s, const char *why)
{
    if (s->out_failed) return;
    s->out_failed = 1;
    if (s->cbs.on_write_error) s->cbs.on_write_error(s->ud, why);
}

static void drop_pending(stdio_chan_t *s)
{
    for (size_t i = 0; i < s->pending_len; i++) {
        s->queued -= s->pending[i].len + 1;
        free(s->pending[i].msg);
    }
    s->pending_len = 0;
}

/* Hand every pending message to libuv in one write. They stay pending (and
 * counted in queued) until libuv has taken them. */
static void flush(stdio_chan_t *s)
{
    uv_check_stop(&s->flush_check);
    uv_idle_stop(&s->flush_idle);
    size_t n = s->pending_len;
    if (!n) return;
    const char *why = NULL;
    write_req_t *w = NULL;
    uv_buf_t small[16], *bufs = small;
    if (s->out_failed || s->out_closed) goto drop;
    w = malloc(sizeof *w + n * sizeof w->msgs[0]);
    if (2 * n > sizeof small / sizeof small[0]) bufs = malloc(2 * n * sizeof *bufs);
    if (!w || !bufs) {
        why = "out of memory";
        goto drop;
    }
    w->s = s;
    w->n = n;
    w->bytes = 0;
    for (size_t i = 0; i < n; i++) {
        w->msgs[i] = s->pending[i];
        w->bytes += w->msgs[i].len + 1;
        bufs[2 * i] = uv_buf_init(w->msgs[i].msg, (unsigned)w->msgs[i].len);
        bufs[2 * i + 1] = uv_buf_init("\n", 1);
    }
    int rc = uv_write(&w->req, (uv_stream_t *)&s->out, bufs, (unsigned)(2 * n), on_written);
    if (rc) {
        why = uv_strerror(rc);
        goto drop;
    }
    s->pending_len = 0; /* libuv has them now, and its own copy of the array */
    if (bufs != small) free(bufs);
    if (!s->congested && s->queued > STDIO_HIGH_WATER &&
        uv_stream_get_write_queue_size((uv_stream_t *)&s->out) > 0) {
        s->congested = 1;
        if (s->cbs.on_backpressure) s->cbs.on_backpressure(s->ud, 1);
    }
    return;
drop:
    free(w);
    if (bufs != small) free(bufs);
    drop_pending(s);
    if (why) write_failed(s, why);
    maybe_drained(s);
}

static void on_flush_check(uv_check_t *h)
{
    flush(h->data);
}

static void on_flush_idle(uv_idle_t *h)
{
    flush(h->data);
}

static int write_file(stdio_chan_t *s, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(1, p, n);
        if (w < 0) return BRIDGE_EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int stdio_write_owned(stdio_chan_t *s, char *msg, size_t len)
{
    if (s->out_failed || s->out_closed) {
        free(msg);
        return BRIDGE_ECLOSED;
    }
    if (s->out_kind == UV_FILE) {
        int rc = write_file(s, msg, len);
        if (!rc) rc = write_file(s, "\n", 1);
        free(msg);
        if (rc) write_failed(s, "write failed");
        return rc;
    }
    if (s->pending_len == s->pending_cap) {
        size_t cap = s->pending_cap ? 2 * s->pending_cap : 16;
        struct stdio_pending *p = realloc(s->pending, cap * sizeof *p);
        if (!p) {
            free(msg);
            return BRIDGE_ENOMEM;
        }
        s->pending = p;
        s->pending_cap = cap;
    }
    s->pending[s->pending_len].msg = msg;
    s->pending[s->pending_len].len = len;
    if (s->pending_len++ == 0) {
        uv_check_start(&s->flush_check, on_flush_check);
        uv_idle_start(&s->flush_idle, on_flush_idle);
    }
    s->queued += len + 1;
    return 0;
}

int stdio_write(stdio_chan_t *s, const char *msg, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy) return BRIDGE_ENOMEM;
    memcpy(copy, msg, len);
    copy[len] = 0;
    return stdio_write_owned(s, copy, len);
}

void stdio_when_drained(stdio_chan_t *s, void (*cb)(void *ud))
{
    s->drained_cb = cb;
    if (s->out_failed) {
        drop_pending(s);
        s->queued = 0;
    }
    maybe_drained(s);
}

void stdio_stop_reading(stdio_chan_t *s)
{
    if (!s->in_reading) return;
    s->in_reading = 0;
    if (s->in_kind != UV_FILE) uv_read_stop((uv_stream_t *)&s->in);
}

void stdio_close(stdio_chan_t *s)
{
    stdio_stop_reading(s);
    if (!s->in_closed) {
        s->in_closed = 1;
        if (s->in_kind != UV_FILE) uv_close((uv_handle_t *)&s->in, NULL);
    }
    if (s->out_kind != UV_FILE && !s->out_closed) {
        drop_pending(s); /* only after a write error: the relay closes once drained */
        s->out_closed = 1;
        uv_close((uv_handle_t *)&s->out, NULL);
        uv_close((uv_handle_t *)&s->flush_check, NULL);
        uv_close((uv_handle_t *)&s->flush_idle, NULL);
    }
    free(s->pending);
    s->pending = NULL;
    buf_free(&s->line);
    /* A file read in flight still writes into in_chunk: its callback frees it
     * (an uv_fs request keeps the loop running until then). */
    if (!s->in_fs_busy) {
        free(s->in_chunk);
        s->in_chunk = NULL;
    }
}
