/* The host's requests that await the server's response, keyed by their id, and
 * the batch replies they belong to. Pure bookkeeping: no I/O, no loop; the
 * relay decides what to write and when. */
#ifndef MCP_BRIDGE_PENDING_H
#define MCP_BRIDGE_PENDING_H

#include "bridge/base/buf.h"
#include "bridge/base/list.h"

#include <jansson.h>
#include <stddef.h>

struct out_msg;

/* The reply to a host batch: the responses of its members, in the order they
 * are completed, written as one array once the last expected one is in. */
typedef struct batch {
    size_t expected, got;
    buf_t reply; /* "[r1,r2,..." */
} batch_t;

/* A batch awaiting `expected` responses (at least one), or NULL (out of memory). */
batch_t *batch_new(size_t expected);
/* Add one response (a JSON text; ownership taken, freed here). When it is the
 * last one expected, returns the whole reply "[r1,r2,...]" (malloc'd, its length
 * in *reply_len) and frees the batch; else NULL, and the batch goes on. */
char *batch_add(batch_t *b, char *json, size_t len, size_t *reply_len);
/* Free a batch that will not be completed. */
void batch_free(batch_t *b);

typedef struct pending {
    list_node link;
    char *id_key; /* jr_id_key(id) */
    json_t *id;   /* a reference */
    char *method;
    struct out_msg *msg; /* the message carrying it, until the transport reports */
    batch_t *batch;      /* borrowed: the batch its response goes into, or NULL */
    /* Sent to the server again under an id of the bridge's (a 2026-07-28
     * retry): the key of that id, which the server's response carries. */
    char *wire_key;
    json_t *orig; /* the request as first sent (2026-07-28), for its retries */
    /* A multi round-trip request under way: the answers gathered so far, the
     * server's requestState, how many answers are still awaited, rounds so far. */
    json_t *mrtr_responses;
    json_t *mrtr_state;
    int mrtr_awaited;
    int mrtr_rounds;
    int retries; /* sent again for another version or a broken stream */
} pending_t;

typedef struct pending_table {
    list_node all; /* pending_t.link, newest first */
    long count;
} pending_table_t;

void pending_table_init(pending_table_t *t);
/* The pending request whose id has this key (jr_id_key), or NULL. */
pending_t *pending_find(const pending_table_t *t, const char *key);
/* Record a request with this id (a string or an integer: anything jr_id_key
 * keys); the caller has checked that no pending request has it. Returns NULL
 * when out of memory or for an id that has no key. */
pending_t *pending_add(pending_table_t *t, json_t *id, const char *method, batch_t *b);
/* The pending request a server response with this id key answers: the one
 * sent under that wire key, else the one with that id and no wire key. */
pending_t *pending_find_wire(const pending_table_t *t, const char *key);
/* Forget one (its batch is left alone). */
void pending_remove(pending_table_t *t, pending_t *p);
/* The newest pending request, or NULL when none is. */
pending_t *pending_first(const pending_table_t *t);
/* Forget every one (batches are left alone). */
void pending_table_clear(pending_table_t *t);

#endif
