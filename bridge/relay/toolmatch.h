/* --ignore-tool patterns, matched as mcp-remote matches them: the whole name, ASCII
 * letters in either case, and '*' standing for any run of characters on one line. */
#ifndef MCP_BRIDGE_TOOLMATCH_H
#define MCP_BRIDGE_TOOLMATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Longest pattern options_parse() accepts; matching costs at most
 * strlen(name) * strlen(pattern) byte comparisons. */
#define TOOLMATCH_MAX_PATTERN 512

/* Does `name` match `pattern`? mcp-remote turns a pattern into the JavaScript regular
 * expression ^part1.*part2.*...$ with the flag i (every other character literal), so:
 * - '*' matches any sequence of characters except line terminators (\n, \r, U+2028,
 *   U+2029), as '.' does; there is no '?', '[' or escape;
 * - A-Z and a-z match either case. JavaScript also folds non-ASCII letters (é and É);
 *   here they match only themselves (MCP tool names are ASCII letters, digits, '_',
 *   '-' and '.').
 * Both strings are NUL-terminated; NULL never matches. */
bool toolmatch(const char *pattern, const char *name);

#endif
