/* Incremental parser for text/event-stream (WHATWG HTML, "Server-sent events",
 * section "Parsing an event stream"). Fed arbitrary chunks of bytes; calls back
 * once per dispatched event. Pure: no I/O, no allocation beyond its buffers,
 * every buffer bounded by max_event_bytes. */
#ifndef MCP_BRIDGE_SSE_H
#define MCP_BRIDGE_SSE_H

#include <stddef.h>

typedef struct sse_event {
    const char *type; /* "message" when the stream gave no event: field */
    size_t type_len;
    const char *data; /* data lines joined with "\n", final "\n" removed; NUL-terminated */
    size_t data_len;
    const char *id; /* the last event ID after this event ("" if none yet); NUL-terminated */
    size_t id_len;
} sse_event_t;

/* Called once per dispatched event, synchronously from inside sse_parser_feed()
 * (never from sse_parser_new or later). Return 0 to go on; a non-zero return
 * stops sse_parser_feed(), which returns it. The callback may ask to stop, but
 * must not free the parser: whoever owns it frees it after sse_parser_feed()
 * returns (set a flag in the callback, return non-zero, check the flag after
 * the feed). Anything else it frees, it must not need after it returns. */
typedef int (*sse_event_cb)(void *ud, const sse_event_t *ev);

typedef struct sse_parser sse_parser_t;

/* max_event_bytes bounds the line buffer and each of the data, type and id
 * buffers (a line counts without its line end; 0 = no bound). Returns NULL on
 * allocation failure. */
sse_parser_t *sse_parser_new(size_t max_event_bytes, sse_event_cb cb, void *ud);
/* Not from inside the parser's own event callback (asserted). */
void sse_parser_free(sse_parser_t *p);

/* Feed the next chunk. Returns 0, BRIDGE_ETOOBIG when a line or an event grows
 * past the bound (the parser is then unusable), or the callback's non-zero value.
 * BRIDGE_ENOMEM is possible too and also leaves the parser unusable. After a
 * callback's non-zero value the rest of that chunk is discarded. */
int sse_parser_feed(sse_parser_t *p, const char *buf, size_t len);

/* Per WHATWG, an event whose data buffer is empty is not dispatched, but its
 * id: still updates the last event ID (MCP's "priming" events). As in WHATWG, an
 * id: takes effect at the blank line ending its event, so an event cut off by
 * the end of the stream does not advance the ID a reconnection resumes from. */
const char *sse_parser_last_event_id(const sse_parser_t *p);
/* Only inside the event callback: take the event's data (malloc'd, ev->data_len
 * bytes and a NUL) rather than copy it; ev->data is not valid afterwards. NULL
 * when out of memory. */
char *sse_parser_take_data(sse_parser_t *p);
/* The last valid retry: value in ms, or -1 if the stream never sent one. */
long sse_parser_retry_ms(const sse_parser_t *p);
/* True when bytes of an unfinished event are buffered (the stream ended mid-event):
 * a partial line, or a field line (not a comment) since the last blank line. */
int sse_parser_in_event(const sse_parser_t *p);

#endif
