/* Small readers of jansson values that several layers share. */
#ifndef BRIDGE_JSON_H
#define BRIDGE_JSON_H

#include <jansson.h>
#include <stddef.h>

/* obj[key] when it is a non-empty string, else NULL (also for a NULL obj). */
const char *json_str(const json_t *obj, const char *key);

/* Whether arr is an array holding the string s. */
int json_array_has_str(const json_t *arr, const char *s);

/* Whether the n bytes of a JSON text hold the bytes of `needle` anywhere: a
 * cheap test before decoding a large message for a member it rarely has. */
int json_text_mentions(const char *text, size_t n, const char *needle);

#endif
