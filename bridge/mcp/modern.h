/* The 2026-07-28 revision of MCP ("modern": no initialize, no session; the
 * version, capabilities and identity ride on every request): the JSON the
 * bridge builds and reads when it speaks it to a server, or bridges it to a
 * host of the older revisions. Pure: no I/O, no loop.
 *
 * Sources: docs/specification/2026-07-28/basic/versioning.mdx (era detection),
 * basic/index.mdx (_meta, resultType, error codes), server/discover.mdx,
 * basic/patterns/mrtr.mdx, basic/patterns/subscriptions.mdx. */
#ifndef MCP_BRIDGE_MODERN_H
#define MCP_BRIDGE_MODERN_H

#include <jansson.h>
#include <stddef.h>

/* The modern revision the bridge speaks (the newest first, were there several). */
#define MODERN_VERSION "2026-07-28"

#define MODERN_META_VERSION "io.modelcontextprotocol/protocolVersion"
#define MODERN_META_CAPS "io.modelcontextprotocol/clientCapabilities"
#define MODERN_META_CLIENT "io.modelcontextprotocol/clientInfo"
#define MODERN_META_LOG_LEVEL "io.modelcontextprotocol/logLevel"
#define MODERN_META_SERVER "io.modelcontextprotocol/serverInfo"
#define MODERN_META_SUBSCRIPTION "io.modelcontextprotocol/subscriptionId"

/* Errors the revision defines (basic/index.mdx, Error Codes). */
#define MODERN_ERR_HEADER_MISMATCH (-32020)
#define MODERN_ERR_MISSING_CAPABILITY (-32021)
#define MODERN_ERR_UNSUPPORTED_VERSION (-32022)

/* Whether v is a modern protocol version: a well-formed "YYYY-MM-DD" that is
 * 2026-07-28 or later. NULL or anything else: 0. */
int modern_version_is_modern(const char *v);

/* Whether the bridge can speak v with a server: MODERN_VERSION. */
int modern_version_spoken(const char *v);

/* The version the bridge should use from a list the server sent (a JSON array
 * of strings: DiscoverResult.supportedVersions or the `supported` data of
 * UnsupportedProtocolVersionError): the newest one modern_version_spoken
 * accepts, as a static string; NULL when there is none (or not an array).
 * Only the first 256 entries are read. */
const char *modern_pick_version(json_t *supported);

/* What a server's answer to the bridge's first modern request (server/discover)
 * says of the server. */
typedef enum modern_probe {
    MODERN_PROBE_MODERN, /* a modern server; *version: the version to use */
    MODERN_PROBE_RETRY,  /* a modern server that refused the version: send the
                            request again with *version */
    MODERN_PROBE_LEGACY, /* anything else: fall back to initialize */
} modern_probe_t;

/* Classify `response`, a decoded JSON-RPC response (or NULL when the HTTP body
 * was not JSON or empty), to a probe that asked for `asked`:
 *  - a result whose supportedVersions has a version we speak -> MODERN (that
 *    version), or LEGACY when it has none;
 *  - error -32022 whose data.supported has a version we speak: RETRY with it,
 *    or MODERN when it is `asked` itself (the server rejected something else);
 *    without one -> LEGACY;
 *  - error -32020 or -32021 -> MODERN (*version = asked);
 *  - anything else (other errors, -32601 and -32602 included, a result that
 *    is not a DiscoverResult, a message with both result and error, NULL)
 *    -> LEGACY; also -32020/-32021 when asked is NULL.
 * *version is set to a static string or to `asked`, or NULL for LEGACY. */
modern_probe_t modern_classify_probe(json_t *response, const char *asked, const char **version);

/* Whether a JSON-RPC error code in a 4xx body identifies a modern server
 * (streamable-http.mdx, Backward Compatibility): -32020, -32021, -32022. */
int modern_error_recognized(long code);

/* Set the per-request metadata of a request (msg: a decoded JSON-RPC request,
 * edited in place): params._meta gets MODERN_META_VERSION = version,
 * MODERN_META_CAPS = caps ({} when NULL), MODERN_META_CLIENT = client (left
 * out when NULL), MODERN_META_LOG_LEVEL = log_level (left out when NULL).
 * params and params._meta are created when absent or null; other _meta keys
 * are kept; the four keys above are always replaced or removed as said. caps
 * and client are shared, not copied (a reference is taken: every request of a
 * session carries the same ones, so the caller must not change them after).
 * 0, BRIDGE_EINVAL (msg, params or
 * _meta not an object; version NULL; version or log_level not UTF-8) or
 * BRIDGE_ENOMEM. On BRIDGE_EINVAL msg is unchanged. */
int modern_set_meta(json_t *msg, const char *version, json_t *caps, json_t *client,
                    const char *log_level);

/* The MODERN_META_VERSION string of a request's params._meta (borrowed), or
 * NULL. */
const char *modern_meta_version(json_t *msg);

/* An InitializeResult for a host of the older revisions, from the server's
 * DiscoverResult (the `result` object):
 *  - protocolVersion: host_version when it is one of 2024-11-05, 2025-03-26,
 *    2025-06-18, 2025-11-25; else 2025-11-25;
 *  - capabilities: the discover result's (a deep copy; {} when absent), where
 *    tools, prompts and resources, when present, get listChanged: true and
 *    resources also subscribe: true (the bridge delivers those notifications
 *    from subscriptions/listen); logging: {} is added (the bridge turns
 *    logging/setLevel into the per-request log level);
 *  - serverInfo: result._meta[MODERN_META_SERVER], else result.serverInfo, else
 *    {"name": "unknown", "version": "unknown"};
 *  - instructions when present (a string).
 * The result must pass a 2025-era host's schema: known capabilities of the
 * wrong type are dropped (experimental keeps only object entries), tasks is
 * dropped (2025 task requests are not bridged), unknown capabilities are kept;
 * a serverInfo is used only with string name and version, and its optional
 * members of the wrong type and invalid icons are dropped. Members only a
 * DiscoverResult has (supportedVersions, resultType, ttlMs, ...) are left out.
 * A new reference; NULL when out of memory or discover_result is not an
 * object. */
json_t *modern_initialize_result(json_t *discover_result, const char *host_version);

/* ---- Multi round-trip requests (basic/patterns/mrtr.mdx) ---- */

/* Whether a result (the `result` object) is an InputRequiredResult: resultType
 * "input_required". An absent resultType is "complete" (0). */
int mrtr_is_input_required(json_t *result);

/* Check an InputRequiredResult before acting on it: inputRequests, when
 * present, an object of at most 16 entries, each {method, params} with method
 * one of elicitation/create, sampling/createMessage, roots/list and params an
 * object when present; requestState, when present, a string; at least one of
 * the two. 0, or BRIDGE_EPROTO (also when result is not an object) with a
 * sentence in why (n bytes; why may be NULL when n is 0) that names the
 * offending key, quoted up to 64 bytes and cut on a UTF-8 boundary. */
int mrtr_validate(json_t *result, char *why, size_t n);

/* The retry of a request: a deep copy of `orig` (the JSON-RPC request first
 * sent) with id = new_id, params.inputResponses = responses (left out when
 * NULL) and params.requestState = state (a string; left out when NULL); what
 * orig carried under those two names is replaced or removed; params is created
 * when absent or null. new_id, responses and state are copied; a state that is
 * not a string is left out. New reference, or NULL when out of memory, orig is
 * not an object, its params are neither an object, null nor absent, or new_id
 * is NULL. */
json_t *mrtr_retry(json_t *orig, json_t *new_id, json_t *responses, json_t *state);

/* ---- Subscriptions (basic/patterns/subscriptions.mdx) ---- */

/* The params of a subscriptions/listen request: notifications.toolsListChanged,
 * promptsListChanged, resourcesListChanged as given (left out when 0), and
 * resourceSubscriptions = uris (an array of strings, copied; entries that are
 * not strings skipped; left out when NULL, not an array or empty), all inside
 * params.notifications (the SubscriptionFilter). New reference; NULL when out
 * of memory. */
json_t *modern_listen_params(int tools, int prompts, int resources, json_t *uris);

/* What to do with a notification that came on a subscriptions/listen stream
 * (note: decoded, edited in place) for a host of the older revisions:
 * notifications/subscriptions/acknowledged -> 0 (not for the host); any other
 * -> 1, with MODERN_META_SUBSCRIPTION removed from params._meta (and _meta
 * removed when it is then empty). Not an object with a string method: 0. */
int modern_listen_note_for_host(json_t *note);

#endif
