/* Named profiles in a configuration file: a profile's keys are the long option
 * names, applied where the command line did not give the option, with env:NAME
 * and keychain:NAME references resolved in its string values. */
#ifndef MCP_BRIDGE_PROFILE_H
#define MCP_BRIDGE_PROFILE_H

#include "bridge/cli/options.h"

#include <jansson.h>
#include <stddef.h>

/* The largest configuration file read, in bytes; the longest key or header
 * name taken. */
#define PROFILE_FILE_MAX (256 * 1024)
#define PROFILE_KEY_MAX 64

/* $XDG_CONFIG_HOME/mcp-bridge/config.json, else ~/.config/mcp-bridge/config.json;
 * malloc'd, or NULL when neither variable is set (or out of memory). */
char *profile_default_path(void);

/* Read and check the configuration file at `path`: a regular file of at most
 * PROFILE_FILE_MAX bytes holding {"profiles": {NAME: {...}}}, whose profiles
 * hold known keys with values of the right type, and which, when group or
 * others may read it, holds no literal secret. *doc is the parsed document.
 * BRIDGE_EIO with errno ENOENT when the file does not exist; every other error
 * names the file (and the profile and key) in err. */
int profile_load(const char *path, json_t **doc, char *err, size_t errlen);

/* The checks of profile_load on the file's text already read: `len` bytes of
 * `text` (at most PROFILE_FILE_MAX), `path` only naming the file in err, and
 * literal secrets refused when others_may_read is nonzero. *doc is the parsed
 * document (the caller's), NULL on error. */
int profile_parse(const char *text, size_t len, const char *path, int others_may_read, json_t **doc,
                  char *err, size_t errlen);

/* The profile of o->profile (--profile), or else the one whose url is o->url
 * (after URL normalisation), from o->config_file or the default file, applied
 * to `o`: an option in seen[] (indexed like options_table, set for the options
 * the command line gave) is left as the command line set it; headers given on
 * both are merged, the command line's value winning for a name it gives. No
 * profile named and no URL, or no file at the default path: nothing is done.
 * Errors name the file, the profile and the key. */
int profile_apply(bridge_options_t *o, const unsigned char *seen, char *err, size_t errlen);

/* profile_apply on a document profile_parse (or profile_load) returned, `path`
 * naming its file: it becomes o->config_file when a profile was applied. Reads
 * no file itself; env: references read the environment and keychain:
 * references the credential store o->token_store names. `doc` stays the
 * caller's. */
int profile_apply_doc(bridge_options_t *o, const unsigned char *seen, json_t *doc, const char *path,
                      char *err, size_t errlen);

/* Records "--NAME VALUE (SOURCE)" in o->settings for `config check`, the value
 * masked where it is a secret (a credential header's value, a client secret). */
int profile_note(bridge_options_t *o, const char *name, const char *val, const char *source);

/* 1 for a header name whose value is a credential (Authorization, Cookie,
 * X-Api-Key, ...): such values are masked and count as literal secrets. */
int profile_header_is_secret(const char *name, size_t len);

/* 1 for a value that is an env:NAME or keychain:NAME reference. */
int profile_is_reference(const char *s);

/* "Name: value": the value, white space around it skipped, and the name's length
 * without trailing white space in *name_len; NULL without a colon. */
const char *profile_header_split(const char *line, size_t *name_len);

#endif
