/* Unit tests for the text/event-stream parser: line ends, fields, dispatch rules,
 * chunking invariance and the size bound. */
#include "bridge/net/sse.h"
#include "bridge/base/err.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_EVENTS 64

typedef struct recorded {
    char *type, *data, *id;
    size_t data_len;
} recorded_t;

typedef struct collector {
    recorded_t ev[MAX_EVENTS];
    int n;
    int stop_after; /* return 1 from the callback once this many events arrived; 0 = never */
} collector_t;

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static int collect(void *ud, const sse_event_t *ev)
{
    collector_t *c = ud;
    if (c->n < MAX_EVENTS) {
        recorded_t *r = &c->ev[c->n];
        r->type = dup_n(ev->type, ev->type_len);
        r->data = dup_n(ev->data, ev->data_len);
        r->id = dup_n(ev->id, ev->id_len);
        r->data_len = ev->data_len;
        /* The NUL terminators the header promises. */
        CHECK(ev->data[ev->data_len] == '\0');
        CHECK(ev->id[ev->id_len] == '\0');
    }
    c->n++;
    return c->stop_after && c->n >= c->stop_after ? 1 : 0;
}

static void collector_free(collector_t *c)
{
    for (int i = 0; i < c->n && i < MAX_EVENTS; i++) {
        free(c->ev[i].type);
        free(c->ev[i].data);
        free(c->ev[i].id);
    }
    memset(c, 0, sizeof(*c));
}

/* Feed s in one go; returns the feed result. */
static int parse(collector_t *c, const char *s, size_t len, size_t max)
{
    sse_parser_t *p = sse_parser_new(max, collect, c);
    int rc = sse_parser_feed(p, s, len);
    sse_parser_free(p);
    return rc;
}

static int parse_str(collector_t *c, const char *s)
{
    return parse(c, s, strlen(s), 4096);
}

static void test_line_ends(void)
{
    const char *streams[] = {
        "data: a\n\ndata: b\n\n",
        "data: a\r\n\r\ndata: b\r\n\r\n",
        "data: a\r\rdata: b\r\r",
        "data: a\r\n\ndata: b\n\r\n",
    };
    for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
        collector_t c = {0};
        CHECK(parse_str(&c, streams[i]) == 0);
        CHECK(c.n == 2);
        if (c.n == 2) {
            CHECK_STR(c.ev[0].data, "a");
            CHECK_STR(c.ev[0].type, "message");
            CHECK_STR(c.ev[1].data, "b");
        }
        collector_free(&c);
    }
}

static void test_cr_split_across_chunks(void)
{
    /* "\r" ends one chunk and "\n" starts the next: one line end, not a blank
     * line, so "data: a" and "data: b" belong to one event. */
    collector_t c = {0};
    sse_parser_t *p = sse_parser_new(4096, collect, &c);
    CHECK(sse_parser_feed(p, "data: a\r", 8) == 0);
    CHECK(sse_parser_feed(p, "\ndata: b\r", 9) == 0);
    CHECK(sse_parser_feed(p, "\n", 1) == 0);
    CHECK(c.n == 0);
    CHECK(sse_parser_feed(p, "\r", 1) == 0);
    CHECK(c.n == 1);
    CHECK(sse_parser_feed(p, "\n", 1) == 0); /* the LF of that CRLF, not another line */
    CHECK(c.n == 1);
    if (c.n == 1) CHECK_STR(c.ev[0].data, "a\nb");
    CHECK(!sse_parser_in_event(p));
    sse_parser_free(p);
    collector_free(&c);

    /* CR then an empty feed then LF is still one line end. */
    p = sse_parser_new(4096, collect, &c);
    CHECK(sse_parser_feed(p, "data: x\r", 8) == 0);
    CHECK(sse_parser_feed(p, "", 0) == 0);
    CHECK(sse_parser_feed(p, "\n", 1) == 0);
    CHECK(c.n == 0);
    CHECK(sse_parser_feed(p, "\n", 1) == 0);
    CHECK(c.n == 1);
    sse_parser_free(p);
    collector_free(&c);
}

static void check_same_events(const collector_t *a, const collector_t *b)
{
    CHECK(a->n == b->n);
    for (int i = 0; i < a->n && i < b->n && i < MAX_EVENTS; i++) {
        CHECK_STR(a->ev[i].type, b->ev[i].type);
        CHECK(a->ev[i].data_len == b->ev[i].data_len &&
              memcmp(a->ev[i].data, b->ev[i].data, a->ev[i].data_len) == 0);
        CHECK_STR(a->ev[i].id, b->ev[i].id);
    }
}

static const char multi[] = "\xEF\xBB\xBF: comment\r\n"
                            "event: greet\r\n"
                            "id: 1\r\n"
                            "data: hello\r\n"
                            "data:  world\r\n"
                            "\r\n"
                            "data\n"
                            "\n"
                            "retry: 250\r"
                            "id: 2\r"
                            "data:{\"a\":1}\r"
                            "\r"
                            "id\n"
                            "data: x\n"
                            "\n"
                            "data: unfinished";

static void test_every_split(void)
{
    const size_t len = sizeof(multi) - 1;
    collector_t whole = {0};
    sse_parser_t *p = sse_parser_new(4096, collect, &whole);
    CHECK(sse_parser_feed(p, multi, len) == 0);
    CHECK(sse_parser_in_event(p));
    sse_parser_free(p);
    CHECK(whole.n == 4);
    if (whole.n == 4) {
        CHECK_STR(whole.ev[0].type, "greet");
        CHECK_STR(whole.ev[0].data, "hello\n world");
        CHECK_STR(whole.ev[0].id, "1");
        CHECK_STR(whole.ev[1].type, "message");
        CHECK_STR(whole.ev[1].data, "");
        CHECK_STR(whole.ev[1].id, "1");
        CHECK_STR(whole.ev[2].data, "{\"a\":1}");
        CHECK_STR(whole.ev[2].id, "2");
        CHECK_STR(whole.ev[3].data, "x");
        CHECK_STR(whole.ev[3].id, ""); /* "id" with no value resets it */
    }

    /* Byte by byte. */
    collector_t c = {0};
    p = sse_parser_new(4096, collect, &c);
    for (size_t i = 0; i < len; i++)
        CHECK(sse_parser_feed(p, multi + i, 1) == 0);
    CHECK(sse_parser_in_event(p));
    sse_parser_free(p);
    check_same_events(&whole, &c);
    collector_free(&c);

    /* Every way to cut the stream into two and into three chunks. */
    int failures_before = check_failed;
    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len; j++) {
            p = sse_parser_new(4096, collect, &c);
            CHECK(sse_parser_feed(p, multi, i) == 0);
            CHECK(sse_parser_feed(p, multi + i, j - i) == 0);
            CHECK(sse_parser_feed(p, multi + j, len - j) == 0);
            CHECK(sse_parser_in_event(p));
            CHECK_STR(sse_parser_last_event_id(p), "");
            CHECK(sse_parser_retry_ms(p) == 250);
            sse_parser_free(p);
            check_same_events(&whole, &c);
            collector_free(&c);
            if (check_failed != failures_before) {
                fprintf(stderr, "  (split at %zu and %zu)\n", i, j);
                i = j = len + 1;
            }
        }
    }
    collector_free(&whole);
}

/* Parse `stream` in one go and expect exactly the events whose data are listed
 * (NULL-terminated). */
static void expect_data(const char *stream, const char *const *want)
{
    collector_t c = {0};
    int n = 0;
    while (want[n])
        n++;
    CHECK(parse_str(&c, stream) == 0);
    CHECK(c.n == n);
    for (int i = 0; i < n && i < c.n; i++)
        CHECK_STR(c.ev[i].data, want[i]);
    collector_free(&c);
}

static void test_fields(void)
{
    collector_t c = {0};

    /* Multi-line data, comments between lines, unknown fields ignored. */
    expect_data("data: one\n: a comment\nfoo: bar\ndata: two\ndata: three\n\n",
                (const char *[]){"one\ntwo\nthree", NULL});
    /* Only one space after the colon is stripped; no space is fine too. */
    expect_data("data:x\n\ndata:  y \n\n", (const char *[]){"x", " y ", NULL});
    /* "data" vs "data:" vs "data: x". */
    expect_data("data\n\ndata:\n\ndata: x\n\ndata\ndata\n\n",
                (const char *[]){"", "", "x", "\n", NULL});

    /* Event type applies to one event only; field names are case-sensitive. */
    CHECK(parse_str(&c, "event: ping\ndata: 1\n\nData: 2\nEVENT: x\ndata: 3\n\n") == 0);
    CHECK(c.n == 2);
    if (c.n == 2) {
        CHECK_STR(c.ev[0].type, "ping");
        CHECK_STR(c.ev[1].type, "message");
        CHECK_STR(c.ev[1].data, "3");
    }
    collector_free(&c);

    /* A field line without a colon: the whole line is the name. "event" alone
     * sets an empty type, so the default "message" applies. */
    CHECK(parse_str(&c, "event: a\nevent\ndata: 1\n\n") == 0);
    CHECK(c.n == 1);
    if (c.n == 1) CHECK_STR(c.ev[0].type, "message");
    collector_free(&c);

    /* Comment only, and a stream without blank line: nothing dispatched. */
    CHECK(parse_str(&c, ":\n:data: 1\n\n") == 0);
    CHECK(c.n == 0);
    collector_free(&c);

    /* Data may hold a NUL byte; it is passed through with its length. */
    static const char nul_data[] = "data: a\0b\n\n";
    CHECK(parse(&c, nul_data, sizeof(nul_data) - 1, 4096) == 0);
    CHECK(c.n == 1);
    if (c.n == 1) CHECK(c.ev[0].data_len == 3 && memcmp(c.ev[0].data, "a\0b", 3) == 0);
    collector_free(&c);
}

static void test_ids(void)
{
    collector_t c = {0};
    sse_parser_t *p = sse_parser_new(4096, collect, &c);
    CHECK_STR(sse_parser_last_event_id(p), "");

    /* The id persists across events until changed. */
    const char *s = "id: 7\ndata: a\n\ndata: b\n\n";
    CHECK(sse_parser_feed(p, s, strlen(s)) == 0);
    CHECK(c.n == 2);
    if (c.n == 2) {
        CHECK_STR(c.ev[0].id, "7");
        CHECK_STR(c.ev[1].id, "7");
    }
    CHECK_STR(sse_parser_last_event_id(p), "7");

    /* An id containing NUL is ignored. */
    static const char nul_id[] = "id: 8\0x\ndata: c\n\n";
    CHECK(sse_parser_feed(p, nul_id, sizeof(nul_id) - 1) == 0);
    CHECK(c.n == 3);
    if (c.n == 3) CHECK_STR(c.ev[2].id, "7");
    CHECK_STR(sse_parser_last_event_id(p), "7");

    /* MCP priming event: an id and no data. Not dispatched, id kept; the event
     * type it set is dropped with it. */
    s = "id: prime-1\n\n";
    CHECK(sse_parser_feed(p, s, strlen(s)) == 0);
    CHECK(c.n == 3);
    CHECK_STR(sse_parser_last_event_id(p), "prime-1");
    s = "event: e\nid: prime-2\n\n";
    CHECK(sse_parser_feed(p, s, strlen(s)) == 0);
    CHECK(c.n == 3);
    CHECK_STR(sse_parser_last_event_id(p), "prime-2");
    s = "data: after\n\n";
    CHECK(sse_parser_feed(p, s, strlen(s)) == 0);
    CHECK(c.n == 4);
    if (c.n == 4) {
        CHECK_STR(c.ev[3].id, "prime-2");
        CHECK_STR(c.ev[3].type, "message");
    }
    /* "data:" alone is not empty data: it dispatches an event with data "". */
    s = "id: 3\ndata:\n\n";
    CHECK(sse_parser_feed(p, s, strlen(s)) == 0);
    CHECK(c.n == 5);
    if (c.n == 5) CHECK_STR(c.ev[4].data, "");
    CHECK_STR(sse_parser_last_event_id(p), "3");

    /* An id whose event never ended does not count: resuming from it would skip
     * the event that was cut off. */
    s = "id: 99\ndata: cut";
    CHECK(sse_parser_feed(p, s, strlen(s)) == 0);
    CHECK_STR(sse_parser_last_event_id(p), "3");
    CHECK(sse_parser_in_event(p));
    sse_parser_free(p);
    collector_free(&c);
}

static void test_priming_event_alone(void)
{
    collector_t c = {0};
    sse_parser_t *p = sse_parser_new(4096, collect, &c);
    const char *s = "id: 0\n\n";
    CHECK(sse_parser_feed(p, s, strlen(s)) == 0);
    CHECK(c.n == 0);
    CHECK_STR(sse_parser_last_event_id(p), "0");
    CHECK(!sse_parser_in_event(p));
    /* "id:" with an empty value clears the last event ID. */
    s = "id:\n\n";
    CHECK(sse_parser_feed(p, s, strlen(s)) == 0);
    CHECK_STR(sse_parser_last_event_id(p), "");
    sse_parser_free(p);
    collector_free(&c);
}

static long retry_after(const char *s)
{
    collector_t c = {0};
    sse_parser_t *p = sse_parser_new(4096, collect, &c);
    CHECK(sse_parser_feed(p, s, strlen(s)) == 0);
    long ms = sse_parser_retry_ms(p);
    sse_parser_free(p);
    collector_free(&c);
    return ms;
}

static void test_retry(void)
{
    CHECK(retry_after("") == -1);
    CHECK(retry_after("retry: 3000\n") == 3000);
    CHECK(retry_after("retry:0\n") == 0);
    CHECK(retry_after("retry: 3000\nretry: 12a\n") == 3000);
    CHECK(retry_after("retry: -5\n") == -1);
    CHECK(retry_after("retry: 1.5\n") == -1);
    CHECK(retry_after("retry:  5\n") == -1); /* the second space is part of the value */
    CHECK(retry_after("retry:\n") == -1);
    CHECK(retry_after("retry\n") == -1);
    CHECK(retry_after("retry: 10\nretry: 99999999999999999999999999\n") == 10);
    CHECK(retry_after("retry: 18446744073709551616\n") == -1);
    CHECK(retry_after("retry: 9223372036854775807\n") == 9223372036854775807L || sizeof(long) < 8);
}

static void test_bom(void)
{
    collector_t c = {0};
    /* A BOM only at the very start is skipped; split over chunks too. */
    sse_parser_t *p = sse_parser_new(4096, collect, &c);
    CHECK(sse_parser_feed(p, "\xEF", 1) == 0);
    CHECK(sse_parser_in_event(p));
    CHECK(sse_parser_feed(p, "\xBB", 1) == 0);
    CHECK(sse_parser_feed(p,
                          "\xBF"
                          "data: 1\n\n",
                          10) == 0);
    CHECK(sse_parser_feed(p,
                          "\xEF\xBB\xBF"
                          "data: 2\n\n",
                          12) == 0);
    sse_parser_free(p);
    CHECK(c.n == 1);
    if (c.n == 1) CHECK_STR(c.ev[0].data, "1");
    collector_free(&c);

    /* A second BOM makes the first line's field name "\xEF\xBB\xBF" "data". */
    CHECK(parse_str(&c, "\xEF\xBB\xBF\xEF\xBB\xBF"
                        "data: 1\n\n") == 0);
    CHECK(c.n == 0);
    collector_free(&c);

    /* A partial BOM is data: "\xEF" "data" is an unknown field. */
    CHECK(parse_str(&c, "\xEF"
                        "data: 1\n\ndata: 2\n\n") == 0);
    CHECK(c.n == 1);
    if (c.n == 1) CHECK_STR(c.ev[0].data, "2");
    collector_free(&c);

    /* A partial BOM at the start of a line that then ends. */
    CHECK(parse_str(&c, "\xEF\xBB\n"
                        "data: 3\n\n") == 0);
    CHECK(c.n == 1);
    collector_free(&c);
}

static void test_bound(void)
{
    collector_t c = {0};
    char line[200];

    /* Exactly at the bound is fine: a 32-byte line. */
    memset(line, 'a', sizeof(line));
    memcpy(line, "data: ", 6);
    memcpy(line + 32, "\n\n", 2);
    CHECK(parse(&c, line, 34, 32) == 0);
    CHECK(c.n == 1);
    collector_free(&c);

    /* One byte over, in one chunk and in small chunks. */
    line[32] = 'a';
    memcpy(line + 33, "\n\n", 2);
    CHECK(parse(&c, line, 35, 32) == BRIDGE_ETOOBIG);
    CHECK(c.n == 0);
    sse_parser_t *p = sse_parser_new(32, collect, &c);
    int rc = 0;
    for (size_t i = 0; i < 35 && rc == 0; i += 4)
        rc = sse_parser_feed(p, line + i, i + 4 <= 35 ? 4 : 35 - i);
    CHECK(rc == BRIDGE_ETOOBIG);
    /* The parser stays failed. */
    CHECK(sse_parser_feed(p, "data: b\n\n", 9) == BRIDGE_ETOOBIG);
    CHECK(sse_parser_feed(p, "", 0) == BRIDGE_ETOOBIG);
    CHECK(c.n == 0);
    sse_parser_free(p);

    /* A long line without end, and a long comment, count as well. */
    char endless[33];
    memset(endless, 'a', sizeof(endless));
    CHECK(parse(&c, endless, sizeof(endless), 32) == BRIDGE_ETOOBIG);
    CHECK(parse(&c, endless, sizeof(endless) - 1, 32) == 0);
    line[0] = ':';
    CHECK(parse(&c, line, 35, 32) == BRIDGE_ETOOBIG);

    /* Many short data lines that together exceed the bound. Each line adds 2
     * bytes ("x\n") to the data buffer: 16 fit into 32, the 17th does not. */
    char many[200] = "";
    for (int i = 0; i < 16; i++)
        strcat(many, "data: x\n");
    strcat(many, "\n");
    CHECK(parse(&c, many, strlen(many), 32) == 0);
    CHECK(c.n == 1);
    collector_free(&c);
    many[strlen(many) - 1] = '\0';
    strcat(many, "data: x\n\n");
    p = sse_parser_new(32, collect, &c);
    CHECK(sse_parser_feed(p, "data: ok\n\n", 10) == 0);
    CHECK(sse_parser_feed(p, many, strlen(many)) == BRIDGE_ETOOBIG);
    CHECK(sse_parser_feed(p, "data: ok\n\n", 10) == BRIDGE_ETOOBIG);
    CHECK(c.n == 1);
    sse_parser_free(p);
    collector_free(&c);
}

static void test_callback_stops(void)
{
    collector_t c = {0};
    c.stop_after = 2;
    sse_parser_t *p = sse_parser_new(4096, collect, &c);
    const char *s = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    CHECK(sse_parser_feed(p, s, strlen(s)) == 1);
    CHECK(c.n == 2);
    sse_parser_free(p);
    collector_free(&c);

    /* A callback returning a value that looks like a parser error does not
     * leave the parser failed. */
    c.stop_after = 1;
    p = sse_parser_new(4096, collect, &c);
    CHECK(sse_parser_feed(p, "data: 1\n\n", 9) == 1);
    c.stop_after = 0;
    CHECK(sse_parser_feed(p, "data: 2\n\n", 9) == 0);
    CHECK(c.n == 2);
    sse_parser_free(p);
    collector_free(&c);
}

static void test_unfinished_at_eof(void)
{
    collector_t c = {0};
    sse_parser_t *p = sse_parser_new(4096, collect, &c);
    CHECK(!sse_parser_in_event(p));
    CHECK(sse_parser_feed(p, ": keepalive\n", 12) == 0);
    CHECK(!sse_parser_in_event(p));
    CHECK(sse_parser_feed(p, "data: 1\n", 8) == 0);
    CHECK(sse_parser_in_event(p));
    CHECK(sse_parser_feed(p, "\n", 1) == 0);
    CHECK(!sse_parser_in_event(p));
    CHECK(sse_parser_feed(p, "da", 2) == 0);
    CHECK(sse_parser_in_event(p));
    CHECK(c.n == 1);
    sse_parser_free(p);
    collector_free(&c);

    /* "data: x\n" then EOF: never dispatched. */
    CHECK(parse_str(&c, "data: x\n") == 0);
    CHECK(c.n == 0);
    collector_free(&c);
}

static int count_only(void *ud, const sse_event_t *ev)
{
    size_t *total = ud;
    *total += ev->data_len;
    return 0;
}

/* A 16 MiB data line fed in small chunks must take linear time. A parser that
 * rescans its buffer on every chunk would scan 16 GiB here (1 KiB chunks) and
 * blow well past the CPU budget. */
static void feed_large_event(size_t chunk)
{
    const size_t big = 16u << 20;
    char *s = malloc(big + 2);
    memcpy(s, "data: ", 6);
    memset(s + 6, 'x', big - 6);
    memcpy(s + big, "\n\n", 2);
    size_t total = 0;
    sse_parser_t *p = sse_parser_new(big, count_only, &total);
    clock_t start = clock();
    int rc = 0;
    for (size_t off = 0; off < big + 2 && rc == 0; off += chunk)
        rc = sse_parser_feed(p, s + off, off + chunk <= big + 2 ? chunk : big + 2 - off);
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    CHECK(rc == 0);
    CHECK(total == big - 6);
    CHECK(secs < 5.0);
    sse_parser_free(p);
    free(s);
}

static void test_large_event(void)
{
    feed_large_event(16u << 10);
    feed_large_event(1u << 10);
}

int main(void)
{
    test_line_ends();
    test_cr_split_across_chunks();
    test_every_split();
    test_fields();
    test_ids();
    test_priming_event_alone();
    test_retry();
    test_bom();
    test_bound();
    test_callback_stops();
    test_unfinished_at_eof();
    test_large_event();
    return CHECK_DONE();
}
