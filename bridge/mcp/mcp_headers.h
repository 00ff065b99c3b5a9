/* The HTTP header lines a Streamable HTTP POST carries for its JSON-RPC body
 * (2026-07-28 basic/transports/streamable-http.mdx, Request Metadata):
 * MCP-Protocol-Version from params._meta, Mcp-Method, Mcp-Name, and
 * Mcp-Param-{Name} for the tool parameters a server marked with x-mcp-header
 * in the tool's inputSchema. What tools/list taught is kept in an index; tools
 * whose annotations break the rules are taken out of the list. Pure: no I/O. */
#ifndef MCP_BRIDGE_MCP_HEADERS_H
#define MCP_BRIDGE_MCP_HEADERS_H

#include <jansson.h>
#include <stddef.h>

/* A value for Mcp-Name or Mcp-Param-*: the value itself when it is plain
 * header-safe ASCII (bytes 0x20-0x7E, no leading or trailing space) and does
 * not look like the sentinel; else "=?base64?<standard Base64 of the UTF-8
 * bytes, padded>?=". The empty string stays empty. malloc'd; NULL when out of
 * memory. */
char *mcp_header_encode(const char *value, size_t len);

typedef struct mcp_tool_headers mcp_tool_headers_t;

mcp_tool_headers_t *mcp_tool_headers_new(void);
void mcp_tool_headers_free(mcp_tool_headers_t *h);

/* Learn from a tools/list result (the `result` object; edited in place): each
 * tool's x-mcp-header annotations are checked against the rules of the spec
 * (non-empty tchar token, unique case-insensitively within the tool, only on
 * integer/string/boolean properties reached from the root by `properties` keys
 * alone, nowhere else in the schema; a `type` array may add "null" to one of
 * the three; at most 64 annotations a tool, 16 properties deep, names of 128
 * bytes); a tool that breaks one is removed from result.tools and a warning
 * names the tool and the reason (log_info). The valid tools' annotations
 * replace what was known of tools of the same name (tools/list pages add up; a
 * name seen again is replaced; a name seen invalid is forgotten). Returns how
 * many tools were removed, or BRIDGE_ENOMEM (the list may then be part-edited).
 * A result without a tools array: 0. */
int mcp_tool_headers_learn(mcp_tool_headers_t *h, json_t *result);

/* Forget every tool (the server said its list changed). */
void mcp_tool_headers_clear(mcp_tool_headers_t *h);

/* The header lines for one message to the server (msg: a decoded JSON-RPC
 * request or notification), in this order, each "Name: value":
 *   MCP-Protocol-Version  params._meta["io.modelcontextprotocol/protocolVersion"],
 *                         when present (a visible-ASCII string);
 *   Mcp-Method            method;
 *   Mcp-Name              tools/call and prompts/get: params.name;
 *                         resources/read: params.uri (encoded as above);
 *   Mcp-Param-{Name}      tools/call of a tool the index knows: each annotated
 *                         parameter present in params.arguments and not null
 *                         (string as is, integer in decimal, true/false),
 *                         encoded as above.
 * A value that is not of the annotated type (or an integer outside
 * +-(2^53-1), or a real that is not integral) leaves its line out. An empty
 * value gives "Name: " (libcurl drops a line with nothing after the colon;
 * it sends such a header when the line is handed over as "Name;").
 * h may be NULL (no Mcp-Param-*). *lines: a malloc'd array of *n malloc'd
 * strings (free with mcp_header_lines_free). 0, BRIDGE_ENOMEM, or BRIDGE_EINVAL
 * when the method or the version holds a byte outside visible ASCII (such a
 * message must not be sent with made-up headers). */
int mcp_request_headers(const mcp_tool_headers_t *h, json_t *msg, char ***lines, size_t *n);

void mcp_header_lines_free(char **lines, size_t n);

#endif
