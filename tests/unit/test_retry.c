/* bridge/mcp/retry.c: the server's retry: within bounds, doubling with the
 * failures, never past the cap. */
#include "bridge/mcp/retry.h"
#include "check.h"

int main(void)
{
    /* No retry: from the server: the default, the same for 0 and 1 failure. */
    CHECK(retry_delay_ms(-1, 0, 30000) == RETRY_DEFAULT_MS);
    CHECK(retry_delay_ms(-1, 1, 30000) == RETRY_DEFAULT_MS);
    CHECK(retry_delay_ms(-1, 2, 30000) == 2 * RETRY_DEFAULT_MS);
    CHECK(retry_delay_ms(-1, 4, 30000) == 8 * RETRY_DEFAULT_MS);
    /* A retry of 0 (or anything below the floor) waits the floor. */
    CHECK(retry_delay_ms(0, 1, 30000) == RETRY_FLOOR_MS);
    CHECK(retry_delay_ms(10, 1, 30000) == RETRY_FLOOR_MS);
    CHECK(retry_delay_ms(0, 3, 30000) == 4 * RETRY_FLOOR_MS);
    /* Obeyed within the bounds. */
    CHECK(retry_delay_ms(700, 1, 30000) == 700);
    CHECK(retry_delay_ms(700, 2, 30000) == 1400);
    /* A huge retry, or many failures, stop at the cap. */
    CHECK(retry_delay_ms(86400000, 1, 5000) == 5000);
    CHECK(retry_delay_ms(-1, 40, 30000) == 30000);
    CHECK(retry_delay_ms(3000, 2, 5000) == 5000);
    CHECK(retry_delay_ms(1000, 1000000, 30000) == 30000);
    return CHECK_DONE();
}
