/* The reconnection policy both transports share for their event streams: the
 * server's retry: obeyed within bounds, a back-off that doubles while
 * reconnecting brings nothing, and a bound on reconnections in a row that
 * bring no message before the host is given an error. Pure. */
#ifndef MCP_BRIDGE_RETRY_H
#define MCP_BRIDGE_RETRY_H

/* Without a retry: from the server. */
#define RETRY_DEFAULT_MS 1000
/* A server's retry: is obeyed within [RETRY_FLOOR_MS, cap]: a retry of 0 would
 * make a server that ends every stream at once a loop of requests, and a huge
 * one would leave the host waiting forever. */
#define RETRY_FLOOR_MS 250
/* Reconnections in a row that bring no message (a priming or endpoint event is
 * not one) before the waiting requests are answered with an error. */
#define RETRY_MAX_EMPTY 5

/* The wait before reconnecting: server_retry_ms (-1: none, RETRY_DEFAULT_MS)
 * within [RETRY_FLOOR_MS, cap], doubled for each failed attempt after the
 * first (failures 0 and 1 wait the same). */
long retry_delay_ms(long server_retry_ms, int failures, long cap);

#endif
