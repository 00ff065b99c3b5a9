/* libFuzzer target for the host side: stdin line framing (bridge/relay/stdio.c, its
 * loop-free part) and JSON-RPC routing (bridge/base/jsonrpc.c). The input is what a
 * host writes on stdin, cut into reads of fuzzer-chosen sizes; the framing is
 * checked against a simple model, and every line goes through the same calls
 * the relay makes, whose answers must always be one-line, valid JSON-RPC. */
#include "bridge/base/jsonrpc.h"

/* deliver_lines() and finish_input() are static: take the file itself. Only
 * those two and the channel struct are used; nothing here starts a loop. */
#include "bridge/relay/stdio.c"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct model {
    const uint8_t *data; /* the whole stream */
    size_t size, pos;    /* pos: where the next expected line starts */
    size_t max_line;
    int eof_seen;
} model_t;

/* What the model expects next: skip empty lines, report a line or an oversize. */
typedef struct expect {
    int kind; /* 0 none, 1 line, 2 oversize */
    const uint8_t *p;
    size_t len;
} expect_t;

static expect_t model_next(model_t *m)
{
    while (m->pos < m->size) {
        const uint8_t *p = m->data + m->pos;
        size_t rest = m->size - m->pos;
        const uint8_t *nl = memchr(p, '\n', rest);
        size_t seg = nl ? (size_t)(nl - p) : rest;
        m->pos += seg + (nl ? 1 : 0);
        if (seg > m->max_line) return (expect_t){2, p, seg};
        size_t len = seg;
        if (len && p[len - 1] == '\r') len--;
        if (len) return (expect_t){1, p, len};
    }
    return (expect_t){0, NULL, 0};
}

/* jr_error_response() must answer whatever the message holds (it once returned
 * NULL for a message cut in the middle of a UTF-8 character). */
/* The response must be one line of JSON that classifies as a response. */
static void check_response_for(char *s, const char *message, int code, json_t *want_id)
{
    if (!s) {
        abort(); /* the relay would answer nothing: the host waits forever */
    }
    if (strchr(s, '\n') || strchr(s, '\r')) abort();
    char err[256];
    json_t *v = jr_decode(s, strlen(s), err, sizeof err);
    if (!v) abort();
    json_t *id = NULL;
    if (jr_classify(v, &id, NULL, NULL) != JR_RESPONSE) abort();
    if (json_integer_value(json_object_get(json_object_get(v, "error"), "code")) != code) abort();
    if (want_id && !json_equal(id, want_id)) abort();
    if (!want_id && !json_is_null(id)) abort();
    json_decref(v);
    free(s);
}

#define check_response(s, code, id) check_response_for((s), NULL, (code), (id))
#define check_response_msg(message, code, id) \
    check_response_for(jr_error_response((id), (code), (message), NULL), (message), (code), (id))

/* What host_input.c:relay_on_stdin_line / on_host_one do with one line. */
static void route(char *line, size_t len)
{
    char err[256], text[300];
    json_t *msg = jr_decode(line, len, err, sizeof err);
    if (!msg) {
        if (!memchr(err, '\0', sizeof err)) abort();
        snprintf(text, sizeof text, "Parse error: %s", err);
        check_response_msg(text, JR_PARSE_ERROR, NULL);
        return;
    }
    /* A non-empty batch is routed element by element, anything else as one. */
    int batch = json_is_array(msg) && json_array_size(msg) > 0;
    size_t n = batch ? json_array_size(msg) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *one = batch ? json_array_get(msg, i) : msg;
        json_t *id = NULL;
        const char *method = NULL, *why = NULL;
        jr_kind_t kind = jr_classify(one, &id, &method, &why);
        switch (kind) {
        case JR_INVALID: {
            if (!why || id) abort(); /* method may be set: "a request id must not be null" */
            json_t *maybe_id = json_object_get(one, "id");
            if (!json_is_string(maybe_id) && !json_is_integer(maybe_id)) maybe_id = NULL;
            char t[160];
            snprintf(t, sizeof t, "Invalid Request: %s", why);
            check_response(jr_error_response(maybe_id, JR_INVALID_REQUEST, t, NULL),
                           JR_INVALID_REQUEST, maybe_id);
            break;
        }
        case JR_BATCH: /* only inside a batch: "a batch inside a batch" */
            if (!batch || !json_is_array(one) || json_array_size(one) == 0) abort();
            check_response(jr_error_response(NULL, JR_INVALID_REQUEST,
                                             "Invalid Request: a batch inside a batch", NULL),
                           JR_INVALID_REQUEST, NULL);
            break;
        case JR_REQUEST: {
            if (!id || !method || json_is_null(id)) abort();
            char *key = jr_id_key(id);
            if (!key) abort(); /* a request id is a string or an integer */
            /* Keys of different ids differ: the key says which kind it is. */
            if (key[0] != (json_is_integer(id) ? 'n' : 's') || key[1] != ':') abort();
            free(key);
            /* The --ignore-tool refusal, with the tool name cut as host_input.c cuts it. */
            json_t *name = json_object_get(json_object_get(one, "params"), "name");
            if (json_is_string(name)) {
                char t[300];
                snprintf(t, sizeof t, "Tool \"%.200s\" is not available (hidden by --ignore-tool)",
                         json_string_value(name));
                check_response_msg(t, JR_INVALID_PARAMS, id);
            }
            check_response_msg(method, JR_SERVER_ERROR, id);
            break;
        }
        case JR_NOTIFICATION:
            if (id || !method) abort();
            break;
        case JR_RESPONSE: {
            if (!id || method) abort();
            char *key = jr_id_key(id);
            if ((key != NULL) != (json_is_string(id) || json_is_integer(id))) abort();
            free(key);
            break;
        }
        default:
            abort();
        }
    }
    /* Flattening keeps a valid text valid and equal. */
    char *copy = malloc(len + 1);
    if (!copy) abort();
    memcpy(copy, line, len + 1);
    jr_flatten_newlines(copy, len);
    json_t *again = json_loadb(copy, len, JSON_DECODE_ANY, NULL);
    if (!again || !json_equal(again, msg)) abort();
    json_decref(again);
    free(copy);
    json_decref(msg);
}

static void on_line(void *ud, char *line, size_t len)
{
    model_t *m = ud;
    expect_t e = model_next(m);
    if (e.kind != 1 || e.len != len || memcmp(e.p, line, len) != 0) abort();
    if (line[len] != '\0' || memchr(line, '\n', len) || len > m->max_line) abort();
    route(line, len);
}

static void on_oversize(void *ud, size_t dropped)
{
    model_t *m = ud;
    expect_t e = model_next(m);
    if (e.kind != 2 || e.len != dropped) abort();
}

static void on_eof(void *ud)
{
    model_t *m = ud;
    if (m->eof_seen++) abort();
    if (model_next(m).kind != 0) abort(); /* nothing left undelivered */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_init(LOG_LEVEL_SILENT, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 256 * 1024) return 0;
    /* Byte 0: the line limit; byte 1: seeds the read sizes. */
    size_t max_line = data[0] == 0xff ? (size_t)64 * 1024 * 1024 : 8 + (size_t)data[0] * 4;
    unsigned seed = data[1];
    data += 2;
    size -= 2;

    model_t m = {.data = data, .size = size, .max_line = max_line};
    stdio_chan_t s;
    memset(&s, 0, sizeof s);
    s.cbs = (stdio_callbacks_t){.on_line = on_line, .on_oversize = on_oversize, .on_eof = on_eof};
    s.ud = &m;
    s.max_line = max_line;
    s.in_reading = 1;
    s.in_kind = UV_FILE; /* finish_input() closes nothing */
    buf_init(&s.line, 0);

    size_t off = 0;
    while (off < size) {
        seed = seed * 1103515245u + 12345u;
        size_t chunk = 1 + (seed >> 16) % 97;
        if ((seed >> 8) % 5 == 0) chunk = 4096;
        if (chunk > size - off) chunk = size - off;
        /* Reads land in a scratch buffer, as libuv's would. */
        char *rd = malloc(chunk);
        if (!rd) abort();
        memcpy(rd, data + off, chunk);
        deliver_lines(&s, rd, chunk);
        free(rd);
        off += chunk;
    }
    finish_input(&s);
    if (m.eof_seen != 1) abort();
    buf_free(&s.line);
    return 0;
}
