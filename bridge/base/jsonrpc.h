/* JSON-RPC 2.0 framing helpers: classify a message, read its id and method,
 * build error responses. Messages are relayed verbatim; these helpers only
 * look at them. Pure: no I/O. */
#ifndef MCP_BRIDGE_JSONRPC_H
#define MCP_BRIDGE_JSONRPC_H

#include <jansson.h>
#include <stddef.h>

/* JSON-RPC error codes. */
#define JR_PARSE_ERROR (-32700)
#define JR_INVALID_REQUEST (-32600)
#define JR_METHOD_NOT_FOUND (-32601)
#define JR_INVALID_PARAMS (-32602)
#define JR_INTERNAL_ERROR (-32603)
#define JR_SERVER_ERROR (-32000) /* implementation-defined: the remote failed */

typedef enum jr_kind {
    JR_INVALID = 0,
    JR_REQUEST,
    JR_NOTIFICATION,
    JR_RESPONSE,
    JR_BATCH,
} jr_kind_t;

/* Classify a decoded JSON value. For requests and responses *id is the borrowed
 * id; for requests and notifications *method the borrowed method. For
 * JR_INVALID, *why says what is wrong. Any pointer may be NULL. */
jr_kind_t jr_classify(json_t *msg, json_t **id, const char **method, const char **why);

/* Decode a message (object or array) from bytes: strict UTF-8, no NUL, no
 * duplicate-key surprises beyond jansson's. Returns NULL and writes a reason. */
json_t *jr_decode(const char *buf, size_t len, char *err, size_t errlen);

/* Like jr_decode, but fast for large messages: the text is validated in one
 * pass (bridge/base/jscan.h) and, for an object, only a skeleton is built: its
 * "jsonrpc", "id" and "method" as they are, "params", "result" and "error" as
 * empty values of their types. *skeleton says which was returned; decode the
 * whole text with jr_decode when the content itself is needed. Arrays and
 * objects with escaped top-level keys are decoded whole. */
json_t *jr_decode_fast(const char *buf, size_t len, int *skeleton, char *err, size_t errlen);

/* A stable string key for an id ("n:42", "s:abc") used to match responses to
 * requests; malloc'd. NULL for an id that is not a string or integer. */
char *jr_id_key(json_t *id);
/* Whether id's key (as jr_id_key makes it) is `key`, without allocating. */
int jr_id_is(json_t *id, const char *key);

/* A compact one-line JSON-RPC error response, without the trailing newline;
 * id may be NULL (-> null). data may be NULL; it is borrowed. malloc'd. */
char *jr_error_response(json_t *id, int code, const char *message, json_t *data);

/* Replace the raw CR and LF bytes of a valid JSON text by spaces: in valid JSON
 * they can only be whitespace between tokens, so the meaning is unchanged and
 * the message fits on one line. */
void jr_flatten_newlines(char *buf, size_t len);

#endif
