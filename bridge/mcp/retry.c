/* The wait before reconnecting an event stream (see retry.h). */
#include "bridge/mcp/retry.h"

#include <assert.h>

long retry_delay_ms(long server_retry_ms, int failures, long cap)
{
    assert(cap >= RETRY_FLOOR_MS);
    long delay = server_retry_ms >= 0 ? server_retry_ms : RETRY_DEFAULT_MS;
    if (delay < RETRY_FLOOR_MS) delay = RETRY_FLOOR_MS;
    if (delay > cap) delay = cap;
    for (int i = 1; i < failures && delay < cap; i++)
        delay *= 2;
    return delay > cap ? cap : delay;
}
