/* The relay: stdio on one side, a transport on the other. It owns the table of
 * requests awaiting responses, the host's initialize (to start a new session
 * transparently), batches, --ignore-tool filtering, and shutdown. */
#ifndef MCP_BRIDGE_RELAY_H
#define MCP_BRIDGE_RELAY_H

#include "bridge/cli/options.h"

#include <uv.h>

typedef struct relay relay_t;

/* Start relaying on `loop`; the options are borrowed for the relay's life. */
relay_t *relay_start(uv_loop_t *loop, const bridge_options_t *opts);
/* After uv_run() returns: the exit status, and freeing. */
int relay_exit_code(const relay_t *r);
void relay_free(relay_t *r);

#endif
