/* A validating single-pass scanner for JSON-RPC messages: checks that a text is
 * one well-formed JSON value (RFC 8259, UTF-8) and notes where the top-level
 * members the relay routes on are, without building a tree. Large results then
 * cost one linear pass instead of a full decode. Pure and bounded (nesting
 * depth); fuzzed against jansson. */
#ifndef MCP_BRIDGE_JSCAN_H
#define MCP_BRIDGE_JSCAN_H

#include <stddef.h>

#define JSCAN_MAX_DEPTH 2048 /* as jansson */

typedef enum jscan_type {
    JSCAN_NONE = 0, /* the member is absent */
    JSCAN_STRING,
    JSCAN_INTEGER, /* a number without fraction or exponent */
    JSCAN_NUMBER,  /* any other number */
    JSCAN_OBJECT,
    JSCAN_ARRAY,
    JSCAN_TRUE,
    JSCAN_FALSE,
    JSCAN_NULL,
} jscan_type_t;

typedef struct jscan_member {
    jscan_type_t type;
    const char *at; /* the value's text (strings: without the quotes) */
    size_t len;
    int escaped; /* a string with backslash escapes */
} jscan_member_t;

typedef struct jscan {
    jscan_type_t top; /* the type of the whole value */
    int odd_keys;     /* a top-level key had escapes: route with a full decode */
    jscan_member_t jsonrpc, id, method, params, result, error; /* top-level members */
} jscan_t;

/* Scan buf[0..len). Returns 0 for one valid JSON value (white space around it
 * allowed), else BRIDGE_EINVAL with *err_offset at the first bad byte. */
int jscan(const char *buf, size_t len, jscan_t *out, size_t *err_offset);

#endif
