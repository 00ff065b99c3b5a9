/* Reconnecting, for the Streamable HTTP transport: a POST's response stream
 * that broke before the response is resumed with GET + Last-Event-ID, and the
 * GET stream for server-initiated messages is reopened, both by the policy in
 * retry.h. */
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/mcp/retry.h"
#include "bridge/mcp/streamable_internal.h"

#include <assert.h>
#include <stdio.h>

#define MAX_RESUME_DELAY_MS 5000
#define MAX_LISTEN_BACKOFF_MS 30000

void stream_listen_retry(stream_t *s, int failed)
{
    assert(s->kind == STREAM_LISTEN);
    s->failures = failed ? s->failures + 1 : 0;
    long delay = retry_delay_ms(s->retry_ms, s->failures, MAX_LISTEN_BACKOFF_MS);
    log_debug("reopening the GET stream of %s in %ld ms", s->t->cfg.url, delay);
    stream_schedule(s, delay);
}

/* A stream that ended while a request still waits for its response: resume it
 * with GET + Last-Event-ID when the server gave an event id, else give up. */
void stream_resume_or_fail(stream_t *s, const char *why)
{
    assert(s->msg && !s->req);
    char text[768];
    if (s->progress) s->resumes = 0;
    if (s->t->modern) {
        /* 2026-07-28 has no resumption: the request is lost, and the relay
         * may send it again as a new one. */
        s->msg->broken = 1;
        stream_report(s, BRIDGE_EPROTO, why);
        return;
    }
    if (!s->last_event_id || !s->last_event_id[0] || s->t->shutting_down) {
        stream_report(s, BRIDGE_EPROTO, why);
        return;
    }
    if (s->resumes >= RETRY_MAX_EMPTY) {
        snprintf(text, sizeof text,
                 "%s ended the response stream %d times in a row without sending a message; "
                 "giving up on this request",
                 s->t->cfg.url, s->resumes + 1);
        stream_report(s, BRIDGE_EPROTO, text);
        return;
    }
    s->resumes++;
    s->kind = STREAM_RESUME;
    long delay = retry_delay_ms(s->retry_ms, s->resumes, MAX_RESUME_DELAY_MS);
    log_debug("stream of %s ended before the response; resuming after event %s in %ld ms",
              s->t->cfg.url, s->last_event_id, delay);
    stream_schedule(s, delay);
}
