/* Unit tests for --header / --header-file parsing and validation. */
#include "bridge/net/headers.h"
#include "bridge/base/err.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "s3cr3t-t0ken"

static char err[512];

static int add(header_list_t *hl, const char *arg)
{
    err[0] = '\0';
    return header_list_add(hl, arg, err, sizeof(err));
}

/* Expect `arg` to be refused with `rc`, an error mentioning `needle` on one line,
 * never containing the secret, and nothing added to the list. */
static void expect_refused(const char *arg, int rc, const char *needle)
{
    header_list_t hl = {0};
    int got = add(&hl, arg);
    CHECK(got == rc);
    CHECK(hl.count == 0);
    CHECK(strstr(err, needle) != NULL);
    CHECK(strchr(err, '\n') == NULL && strchr(err, '\r') == NULL);
    CHECK(strstr(err, SECRET) == NULL);
    if (got != rc || !strstr(err, needle))
        fprintf(stderr, "  arg \"%s\": rc %d, err \"%s\"\n", arg, got, err);
    header_list_free(&hl);
}

static void test_valid(void)
{
    header_list_t hl = {0};
    CHECK(add(&hl, "X-Api-Key: abc") == 0);
    CHECK(add(&hl, "  X-Trimmed  :x") == BRIDGE_EINVAL); /* space before the colon */
    CHECK(add(&hl, "X-Trimmed:   spaced value \t ") == 0);
    CHECK(add(&hl, "Authorization: Bearer ${MCP_TEST_TOKEN}") == 0);
    CHECK(add(&hl, "X-Empty:") == 0);
    CHECK(add(&hl, "X-Colons: a:b::c") == 0);
    CHECK(add(&hl, "!#$%&'*+-.^_`|~09az: tchars") == 0);
    CHECK(add(&hl, "X-Dollar: $5 and $$") == 0);
    CHECK(add(&hl, "X-Tab: a\tb") == 0);
    CHECK(hl.count == 8);
    if (hl.count == 8) {
        CHECK_STR(hl.lines[0], "X-Api-Key: abc");
        CHECK_STR(hl.lines[1], "X-Trimmed: spaced value");
        CHECK_STR(hl.lines[2], "Authorization: Bearer " SECRET);
        CHECK_STR(hl.lines[3], "X-Empty: ");
        CHECK_STR(hl.lines[4], "X-Colons: a:b::c");
        CHECK_STR(hl.lines[6], "X-Dollar: $5 and $$");
    }

    /* Lookup is case-insensitive and matches whole names only. */
    CHECK_STR(header_list_get(&hl, "x-api-key"), "abc");
    CHECK_STR(header_list_get(&hl, "AUTHORIZATION"), "Bearer " SECRET);
    CHECK_STR(header_list_get(&hl, "X-Empty"), "");
    CHECK(header_list_get(&hl, "X-Api") == NULL);
    CHECK(header_list_get(&hl, "X-Api-Key-2") == NULL);
    CHECK(header_list_get(&hl, "Missing") == NULL);
    header_list_free(&hl);
    CHECK(hl.count == 0 && hl.lines == NULL);
    header_list_free(&hl); /* freeing twice is harmless */
}

static void test_invalid(void)
{
    expect_refused("X Y: z", BRIDGE_EINVAL,
                   "--header \"X Y: z\": \"X Y\" is not a valid header name");
    expect_refused("X-Foo : z", BRIDGE_EINVAL, "\"X-Foo \" is not a valid header name");
    expect_refused("X(Y): z", BRIDGE_EINVAL, "is not a valid header name");
    expect_refused("Ü: z", BRIDGE_EINVAL, "is not a valid header name");
    expect_refused("no colon here", BRIDGE_EINVAL, "expected \"Name: value\"");
    expect_refused("", BRIDGE_EINVAL, "expected \"Name: value\"");
    expect_refused(": value", BRIDGE_EINVAL, "the header name is empty");
    /* A line break typed into the argument is escaped in the message. */
    expect_refused("X-A: a\r\nX-B: b", BRIDGE_EINVAL, "line break");
    expect_refused("X-A: a\r\nX-B: b", BRIDGE_EINVAL, "\"X-A: a\\r\\nX-B: b\"");
    expect_refused("X-A: a\x01", BRIDGE_EINVAL, "control character");
    expect_refused("X\nY: a", BRIDGE_EINVAL, "\"X\\nY\" is not a valid header name");
}

static void test_env(void)
{
    /* CR/LF smuggled in through an environment variable: refused, and the
     * message does not show the value. */
    setenv("MCP_TEST_CRLF", SECRET "\r\nX-Injected: 1", 1);
    setenv("MCP_TEST_LF", "a\n" SECRET, 1);
    setenv("MCP_TEST_CTL", SECRET "\x1b", 1);
    expect_refused("X-Token: ${MCP_TEST_CRLF}", BRIDGE_EINVAL, "line break");
    expect_refused("X-Token: ${MCP_TEST_CRLF}", BRIDGE_EINVAL,
                   "once environment variables are substituted");
    expect_refused("X-Token: Bearer ${MCP_TEST_LF}", BRIDGE_EINVAL, "line break");
    expect_refused("X-Token: ${MCP_TEST_CTL}", BRIDGE_EINVAL, "control character");

    unsetenv("MCP_TEST_UNSET");
    expect_refused("Authorization: Bearer ${MCP_TEST_UNSET}", BRIDGE_EUNSET,
                   "environment variable MCP_TEST_UNSET is not set (used in --header "
                   "\"Authorization: Bearer ${MCP_TEST_UNSET}\")");
    expect_refused("X-A: ${1X}", BRIDGE_EINVAL, "\"${\" must be followed by a variable name");
    expect_refused("X-A: ${MCP_TEST_TOKEN", BRIDGE_EINVAL, "must be followed");
    /* A name is not substituted, only the value. */
    expect_refused("${MCP_TEST_TOKEN}: x", BRIDGE_EINVAL, "is not a valid header name");

    /* Trimming happens before substitution: spaces inside the value are kept. */
    setenv("MCP_TEST_SPACES", " padded ", 1);
    header_list_t hl = {0};
    CHECK(add(&hl, "X-P: [${MCP_TEST_SPACES}]") == 0);
    CHECK_STR(header_list_get(&hl, "x-p"), "[ padded ]");
    header_list_free(&hl);
}

static void test_managed(void)
{
    const char *managed[] = {
        "Content-Type: text/plain", "accept: */*",
        "CONTENT-LENGTH: 5",        "mcp-session-id: abc",
        "Mcp-Protocol-Version: 1",  "last-event-id: 4",
        "host: evil.example",       "Transfer-encoding: chunked",
    };
    for (size_t i = 0; i < sizeof(managed) / sizeof(managed[0]); i++)
        expect_refused(managed[i], BRIDGE_EINVAL, "cannot be overridden");
    expect_refused("HOST: x", BRIDGE_EINVAL, "the bridge sets Host itself");

    header_list_t hl = {0};
    CHECK(add(&hl, "Content-Type-Extra: ok") == 0);
    CHECK(add(&hl, "X-Host: ok") == 0);
    header_list_free(&hl);
}

static char *write_temp(const char *content, size_t len)
{
    static char path[64];
    strcpy(path, "/tmp/test_headers_XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, content, len) == (ssize_t)len);
    close(fd);
    return path;
}

static void test_file(void)
{
    static const char good[] = "\xEF\xBB\xBF# tokens for the test server\r\n"
                               "\r\n"
                               "X-One: 1\r\n"
                               "   # an indented comment\n"
                               "  X-Two:   two  \r\n"
                               "\t\n"
                               "Authorization: Bearer ${MCP_TEST_TOKEN}\n"
                               "X-Last: no newline at end";
    header_list_t hl = {0};
    char *path = write_temp(good, sizeof(good) - 1);
    CHECK(header_list_add(&hl, "X-Before: 0", err, sizeof(err)) == 0);
    CHECK(header_list_add_file(&hl, path, err, sizeof(err)) == 0);
    unlink(path);
    CHECK(hl.count == 5);
    CHECK_STR(header_list_get(&hl, "x-one"), "1");
    CHECK_STR(header_list_get(&hl, "X-TWO"), "two");
    CHECK_STR(header_list_get(&hl, "authorization"), "Bearer " SECRET);
    CHECK_STR(header_list_get(&hl, "X-Last"), "no newline at end");

    /* An error names the file and line, does not echo the line (it may hold a
     * secret) and adds nothing from that file. */
    static const char bad[] = "X-A: 1\n# comment\n\nX-B " SECRET "\nX-C: 3\n";
    path = write_temp(bad, sizeof(bad) - 1);
    CHECK(header_list_add_file(&hl, path, err, sizeof(err)) == BRIDGE_EINVAL);
    char want[256];
    snprintf(want, sizeof(want), "--header-file %s line 4: expected \"Name: value\"", path);
    CHECK_STR(err, want);
    CHECK(strstr(err, SECRET) == NULL);
    CHECK(hl.count == 5);
    CHECK(header_list_get(&hl, "X-A") == NULL);
    unlink(path);

    static const char crlf_env[] = "X-A: 1\r\nX-B: ${MCP_TEST_CRLF}\r\n";
    path = write_temp(crlf_env, sizeof(crlf_env) - 1);
    CHECK(header_list_add_file(&hl, path, err, sizeof(err)) == BRIDGE_EINVAL);
    snprintf(want, sizeof(want), "--header-file %s line 2: the value contains a line break", path);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK(strstr(err, SECRET) == NULL);
    unlink(path);

    static const char unset[] = "\n\nX-B: ${MCP_TEST_UNSET}\n";
    path = write_temp(unset, sizeof(unset) - 1);
    CHECK(header_list_add_file(&hl, path, err, sizeof(err)) == BRIDGE_EUNSET);
    snprintf(want, sizeof(want),
             "environment variable MCP_TEST_UNSET is not set (used in --header-file %s line 3)",
             path);
    CHECK_STR(err, want);
    unlink(path);

    static const char bad_name[] = "# x\nBearer " SECRET ": x\n";
    path = write_temp(bad_name, sizeof(bad_name) - 1);
    CHECK(header_list_add_file(&hl, path, err, sizeof(err)) == BRIDGE_EINVAL);
    snprintf(want, sizeof(want),
             "--header-file %s line 2: the header name has a character that HTTP does not "
             "allow in names (column 7)",
             path);
    CHECK_STR(err, want);
    CHECK(strstr(err, SECRET) == NULL);
    unlink(path);

    static const char managed[] = "accept: text/html\n";
    path = write_temp(managed, sizeof(managed) - 1);
    CHECK(header_list_add_file(&hl, path, err, sizeof(err)) == BRIDGE_EINVAL);
    CHECK(strstr(err, "line 1: the bridge sets Accept itself") != NULL);
    unlink(path);

    static const char nul[] = "X-A: a\0b\n";
    path = write_temp(nul, sizeof(nul) - 1);
    CHECK(header_list_add_file(&hl, path, err, sizeof(err)) == BRIDGE_EINVAL);
    CHECK(strstr(err, "line 1: the value contains a NUL byte") != NULL);
    unlink(path);

    /* An empty file is fine; a missing one is an I/O error naming it. */
    path = write_temp("", 0);
    CHECK(header_list_add_file(&hl, path, err, sizeof(err)) == 0);
    unlink(path);
    CHECK(header_list_add_file(&hl, "/nonexistent/headers.txt", err, sizeof(err)) == BRIDGE_EIO);
    CHECK(strstr(err, "--header-file /nonexistent/headers.txt: cannot open it") == err);
    CHECK(hl.count == 5);
    header_list_free(&hl);
}

static void test_file_long_line(void)
{
    size_t n = 70000;
    char *s = malloc(n);
    memset(s, 'a', n);
    memcpy(s, "X-A: ", 5);
    header_list_t hl = {0};
    char *path = write_temp(s, n);
    CHECK(header_list_add_file(&hl, path, err, sizeof(err)) == BRIDGE_ETOOBIG);
    CHECK(strstr(err, "line 1: longer than") != NULL);
    CHECK(hl.count == 0);
    unlink(path);
    free(s);
}

static void test_small_err_buffer(void)
{
    header_list_t hl = {0};
    char small[8];
    CHECK(header_list_add(&hl, "X Y: z", small, sizeof(small)) == BRIDGE_EINVAL);
    CHECK(strlen(small) == sizeof(small) - 1);
    CHECK(header_list_add(&hl, "X Y: z", NULL, 0) == BRIDGE_EINVAL);
    header_list_free(&hl);
}

int main(void)
{
    setenv("MCP_TEST_TOKEN", SECRET, 1);
    test_valid();
    test_invalid();
    test_env();
    test_managed();
    test_file();
    test_file_long_line();
    test_small_err_buffer();
    return CHECK_DONE();
}
