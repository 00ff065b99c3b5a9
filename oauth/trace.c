/* The trace of a run for `mcp-bridge doctor`: each step reports what it tried
 * and what came of it, and a preflight says where it stopped. */
#include "oauth/oauth_int.h"

#include <assert.h>

void oauth_set_trace(oauth_t *o, oauth_trace_cb cb, void *ud)
{
    o->trace_cb = cb;
    o->trace_ud = ud;
}

void oauth_trace(oauth_t *o, oauth_trace_step_t step, const char *url, long status, int ok,
                 const char *detail)
{
    assert(o->running); /* steps belong to a run */
    if (!o->trace_cb) return;
    oauth_trace_event_t ev = {
        .step = step, .url = url, .status = status, .ok = ok != 0, .detail = detail};
    o->trace_cb(o->trace_ud, &ev);
}

const char *oauth_preflight_url(const oauth_t *o)
{
    return o->preflight_url;
}
