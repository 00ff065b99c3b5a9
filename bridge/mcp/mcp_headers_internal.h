/* What the two parts of the request header lines share: mcp_tool_headers.c
 * (the x-mcp-header index learnt from tools/list) and mcp_headers.c (value
 * encoding and the lines of a message). Internal to bridge/mcp. */
#ifndef MCP_BRIDGE_MCP_HEADERS_INTERNAL_H
#define MCP_BRIDGE_MCP_HEADERS_INTERNAL_H

#include "bridge/mcp/mcp_headers.h"

#include <jansson.h>
#include <stddef.h>

/* Bounds on what one tool may declare; a tool beyond them is refused. */
#define MAX_ANNOTATIONS_PER_TOOL 64
#define MAX_PROPERTY_PATH_DEPTH 16
#define MAX_ANNOTATION_BYTES 128
#define MAX_SCHEMA_DEPTH 32
/* JavaScript's Number.MAX_SAFE_INTEGER: the spec's range for integer values. */
#define MAX_SAFE_INTEGER 9007199254740991LL

#define SENTINEL_PREFIX "=?base64?"
#define SENTINEL_SUFFIX "?="
#define PARAM_HEADER_PREFIX "Mcp-Param-"

enum param_type { PARAM_STRING, PARAM_INTEGER, PARAM_BOOLEAN };

typedef struct annotation {
    char *header; /* the x-mcp-header value as written */
    char **path;  /* property names from the schema root to the annotated property */
    size_t depth;
    enum param_type type;
} annotation_t;

typedef struct tool_entry {
    struct tool_entry *next; /* bucket chain */
    char *name;
    annotation_t *annotations;
    size_t count;
} tool_entry_t;

struct mcp_tool_headers {
    tool_entry_t **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
};

/* A tool name as the index keys it: a string without NUL, else NULL. */
const char *mcp_tool_key_name(const json_t *name);
/* The tool of that name in the index, or NULL. */
const tool_entry_t *mcp_tool_headers_find(const mcp_tool_headers_t *h, const char *name);

#endif
