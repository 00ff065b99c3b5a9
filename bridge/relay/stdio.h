/* The host side: newline-delimited messages on stdin, queued non-blocking writes
 * to stdout. Framing only; what a line means is the relay's business. */
#ifndef MCP_BRIDGE_STDIO_H
#define MCP_BRIDGE_STDIO_H

#include "bridge/base/buf.h"

#include <stddef.h>
#include <uv.h>

#define STDIO_HIGH_WATER (8u * 1024 * 1024)
#define STDIO_LOW_WATER (1u * 1024 * 1024)

typedef struct stdio_callbacks {
    /* One line without its "\n" (and without a "\r" before it); NUL-terminated
     * and writable; valid only during the call. Empty lines are skipped. */
    void (*on_line)(void *ud, char *line, size_t len);
    /* A line longer than the limit was discarded (total bytes dropped). */
    void (*on_oversize)(void *ud, size_t dropped);
    /* stdin reached end of file, or failed. */
    void (*on_eof)(void *ud);
    /* stdout failed (the host went away); nothing more can be written. */
    void (*on_write_error)(void *ud, const char *why);
    /* The host reads slower than we write: 1 when the bytes queued toward stdout
     * pass the high-water mark, 0 when they drop below the low one. May be NULL. */
    void (*on_backpressure)(void *ud, int congested);
} stdio_callbacks_t;

typedef struct stdio_chan {
    uv_loop_t *loop;
    int in_kind, out_kind; /* uv_handle_type of fd 0 and fd 1 */
    union {
        uv_pipe_t pipe;
        uv_tty_t tty;
        uv_tcp_t tcp;
    } in, out;
    uv_fs_t in_fs;
    char *in_chunk;
    int in_reading, in_eof, in_closed, out_closed, out_failed;
    int in_fs_busy; /* a file read of in_chunk is in flight */
    buf_t line;     /* the unfinished line */
    size_t max_line;
    size_t discarding; /* bytes dropped from an oversize line so far, or 0 */
    size_t queued;     /* bytes queued toward stdout and not yet written */
    /* Messages written in one turn of the loop leave in one write: they wait here
     * until the check phase (after I/O callbacks) or the idle phase (before the
     * loop would block), whichever comes first. */
    struct stdio_pending {
        char *msg;
        size_t len;
    } * pending;
    size_t pending_len, pending_cap;
    uv_check_t flush_check;
    uv_idle_t flush_idle;
    int congested; /* queued passed STDIO_HIGH_WATER and has not yet dropped below LOW */
    void (*drained_cb)(void *ud);
    stdio_callbacks_t cbs;
    void *ud;
} stdio_chan_t;

int stdio_start(stdio_chan_t *s, uv_loop_t *loop, size_t max_line, const stdio_callbacks_t *cbs,
                void *ud);
/* Queue one message for stdout; takes ownership of `msg` (malloc'd, without the
 * newline, which is added). Returns 0, or BRIDGE_ECLOSED when stdout is gone (msg freed). */
int stdio_write_owned(stdio_chan_t *s, char *msg, size_t len);
/* Same with a copy. */
int stdio_write(stdio_chan_t *s, const char *msg, size_t len);
/* Call cb once everything queued has been written (at once if nothing is). */
void stdio_when_drained(stdio_chan_t *s, void (*cb)(void *ud));
/* Stop reading stdin. */
void stdio_stop_reading(stdio_chan_t *s);
/* Close both handles (asynchronously). */
void stdio_close(stdio_chan_t *s);

#endif
