/* A growable byte buffer with a hard upper bound: appends past `max` fail with
 * BRIDGE_ETOOBIG instead of growing, so hostile input cannot exhaust memory. */
#ifndef MCP_BRIDGE_BUF_H
#define MCP_BRIDGE_BUF_H

#include <stddef.h>

typedef struct buf {
    char *data; /* always NUL-terminated when non-NULL (the NUL is not counted in len) */
    size_t len;
    size_t cap;
    size_t max; /* 0 = unbounded */
    int secret; /* growth wipes the old copy (buf_init_secret) */
} buf_t;

void buf_init(buf_t *b, size_t max);
/* For buffers that will hold a secret: growing copies and wipes rather than
 * realloc, so no stale copy is left in freed memory. */
void buf_init_secret(buf_t *b, size_t max);
/* Make room for `total` bytes in all (e.g. from a Content-Length), within max. */
int buf_presize(buf_t *b, size_t total);
int buf_append(buf_t *b, const void *p, size_t n);
int buf_append_str(buf_t *b, const char *s);
int buf_append_byte(buf_t *b, char c);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_consume(buf_t *b, size_t n); /* drop the first n bytes */
void buf_reset(buf_t *b);             /* len = 0, keep the allocation */
char *buf_steal(buf_t *b);            /* hand the NUL-terminated data to the caller */
void buf_free(buf_t *b);
/* Overwrite then free: for buffers that held a secret. */
void buf_free_secret(buf_t *b);

#endif
