/* Small readers of jansson values that several layers share. */
#ifndef BRIDGE_JSON_H
#define BRIDGE_JSON_H

#include <jansson.h>

/* obj[key] when it is a non-empty string, else NULL (also for a NULL obj). */
const char *json_str(const json_t *obj, const char *key);

/* Whether arr is an array holding the string s. */
int json_array_has_str(const json_t *arr, const char *s);

#endif
