/* Checking and converting option values, for options_parse(). Each returns 0,
 * or a negative BRIDGE_E* code (with a sentence in err where it takes one). */
#ifndef MCP_BRIDGE_OPTIONS_VALUES_H
#define MCP_BRIDGE_OPTIONS_VALUES_H

#include "bridge/cli/options.h"

#include <stddef.h>

/* A decimal integer in [min, max]. */
int opt_parse_long(const char *s, long min, long max, long *out);
/* A size in bytes, with an optional k or M suffix; over 0 and at most 2 GiB. */
int opt_parse_size(const char *s, size_t *out);
/* Append a copy of s to a growing array of strings. */
int opt_push_string(char ***arr, size_t *len, const char *s);
/* A warning for the log once it is open (see bridge_options_t.warnings). */
int opt_add_warning(bridge_options_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The authorization request parameters the sign-in derives per request (mcp-remote
 * refuses the same ones): the name of the one KEY (white space around it ignored)
 * would set, or NULL. */
const char *opt_authorize_param_reserved(const char *key, size_t len);
/* Replace *slot with a copy of v. */
int opt_set_string(char **slot, const char *v);
int opt_parse_port(const char *val, int *port, char *err, size_t errlen);
/* JSON given inline or as @FILE, with ${VAR} substituted, into *slot. */
int opt_load_json(const char *name, const char *val, char **slot, char *err, size_t errlen);
/* The options of the machine sign-ins, and of `key`, taken together
 * (options_check.c): 0, or BRIDGE_EINVAL with a sentence in err. */
int opt_check_machine_sign_in(const bridge_options_t *o, char *err, size_t errlen);
int opt_check_key(const bridge_options_t *o, char *err, size_t errlen);
/* A secret kept in a file: the first line, without surrounding white space. */
int opt_read_secret_file(const char *path, char **out, char *err, size_t errlen);

#endif
