/* libFuzzer target for the SSE parser. The first bytes pick the size bound and a
 * chunking pattern; the rest is the stream. Fed in those chunks, the parser must
 * produce exactly the events, errors and final state of feeding it in one go. */
#include "bridge/net/sse.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_BYTES 5

/* Every dispatched event, serialized with lengths, so a comparison is exact. */
static int record(void *ud, const sse_event_t *ev)
{
    buf_t *log = ud;
    if (ev->data[ev->data_len] != '\0' || ev->id[ev->id_len] != '\0' || ev->type_len == 0) abort();
    if (buf_printf(log, "%zu:", ev->type_len) || buf_append(log, ev->type, ev->type_len) ||
        buf_printf(log, "%zu:", ev->data_len) || buf_append(log, ev->data, ev->data_len) ||
        buf_printf(log, "%zu:", ev->id_len) || buf_append(log, ev->id, ev->id_len))
        abort();
    return 0;
}

typedef struct outcome {
    buf_t log;
    int rc; /* the first non-zero feed result */
    char *last_id;
    long retry;
    int in_event;
} outcome_t;

static void finish(outcome_t *o, sse_parser_t *p)
{
    o->last_id = strdup(sse_parser_last_event_id(p));
    o->retry = sse_parser_retry_ms(p);
    o->in_event = sse_parser_in_event(p);
    if (!o->last_id) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_BYTES) return 0;
    size_t max = data[0] < 128 ? (size_t)data[0] + 1 : (size_t)1 << 16;
    size_t sizes[HEADER_BYTES - 1], any = 0;
    for (size_t k = 0; k < HEADER_BYTES - 1; k++) {
        sizes[k] = data[1 + k] % 17; /* 0 = an empty feed */
        any |= sizes[k];
    }
    if (!any) sizes[0] = 1;
    const char *s = (const char *)data + HEADER_BYTES;
    size_t len = size - HEADER_BYTES;

    outcome_t whole = {0}, parts = {0};
    buf_init(&whole.log, 0);
    buf_init(&parts.log, 0);

    sse_parser_t *p = sse_parser_new(max, record, &whole.log);
    if (!p) abort();
    whole.rc = sse_parser_feed(p, s, len);
    finish(&whole, p);
    sse_parser_free(p);

    p = sse_parser_new(max, record, &parts.log);
    if (!p) abort();
    size_t off = 0;
    for (size_t k = 0; off < len || k == 0; k++) {
        size_t n = sizes[k % (HEADER_BYTES - 1)];
        if (n > len - off) n = len - off;
        int rc = sse_parser_feed(p, s + off, n);
        if (parts.rc && rc != parts.rc)
            abort(); /* a failed parser must stay failed with the same code */
        if (!parts.rc) parts.rc = rc;
        off += n;
    }
    finish(&parts, p);
    sse_parser_free(p);

    if (whole.rc != parts.rc) abort();
    if (whole.rc != 0 && whole.rc != BRIDGE_ETOOBIG) abort();
    if (whole.log.len != parts.log.len ||
        (whole.log.len && memcmp(whole.log.data, parts.log.data, whole.log.len) != 0))
        abort();
    if (strcmp(whole.last_id, parts.last_id) != 0 || whole.retry != parts.retry) abort();
    if (whole.rc == 0 && whole.in_event != parts.in_event) abort();
    if (strlen(whole.last_id) > max) abort();

    buf_free(&whole.log);
    buf_free(&parts.log);
    free(whole.last_id);
    free(parts.last_id);
    return 0;
}
