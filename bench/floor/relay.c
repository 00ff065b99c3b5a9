/* The floor for any stdio bridge: a relay that does nothing but move bytes.
 *
 *   relay PORT
 *
 * Reads newline-delimited JSON-RPC from stdin and POSTs each line, one at a
 * time, over one keep-alive connection to http://127.0.0.1:PORT/mcp (the
 * benchmark's minimal server, bearer token "bench-token"); writes each response
 * body as one line to stdout. Blocking I/O, no event loop, no JSON parsing, no
 * validation, no OAuth, no SSE, no error handling worth the name: it measures
 * what the two extra pipe hops and process wake-ups of any bridge cost on this
 * machine, which the direct client does not pay. Not part of mcp-bridge, and
 * not usable as a bridge. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static char in[1 << 20];  /* one response: header and body */
static char sid[300];     /* the session id, once the server gave one */

static int connect_to(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) return -1;
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read more of the response; -1 on EOF or error. */
static int fill(int s, size_t *got)
{
    if (*got >= sizeof in - 1) return -1;
    ssize_t r = read(s, in + *got, sizeof in - 1 - *got);
    if (r <= 0) return -1;
    *got += (size_t)r;
    in[*got] = 0;
    return 0;
}

/* Reads one response; its body (de-chunked) is in[*body .. *body + *len). */
static int read_response(int s, size_t *body, size_t *len)
{
    size_t got = 0;
    char *end;
    while (!(end = strstr(in, "\r\n\r\n")))
        if (fill(s, &got)) return -1;
    *end = 0;
    size_t b = (size_t)(end + 4 - in);
    if (!sid[0]) {
        char *h = strcasestr(in, "\r\nmcp-session-id:");
        if (h) {
            h += 17;
            h += strspn(h, " ");
            size_t n = strcspn(h, "\r");
            if (n < sizeof sid) memcpy(sid, h, n), sid[n] = 0;
        }
    }
    char *cl = strcasestr(in, "\r\ncontent-length:");
    if (cl || !strcasestr(in, "\r\ntransfer-encoding: chunked")) {
        size_t n = cl ? strtoul(cl + 17, NULL, 10) : 0;
        while (got - b < n)
            if (fill(s, &got)) return -1;
        *body = b;
        *len = n;
        return 0;
    }
    /* Chunked: wait for the last chunk (one response at a time, so it ends the
     * bytes read; JSON has no raw CR or LF to be mistaken for it), then join the
     * chunks in place. */
    while (!(got - b == 5 && !memcmp(in + b, "0\r\n\r\n", 5)) &&
           !(got - b > 7 && !memcmp(in + got - 7, "\r\n0\r\n\r\n", 7)))
        if (fill(s, &got)) return -1;
    size_t o = b, p = b;
    for (;;) {
        char *e;
        size_t k = strtoul(in + p, &e, 16);
        p = (size_t)(strstr(e, "\r\n") + 2 - in);
        if (!k) break;
        memmove(in + o, in + p, k);
        o += k;
        p += k + 2;
    }
    *body = b;
    *len = o - b;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: relay PORT\n");
        return 2;
    }
    int port = atoi(argv[1]);
    int s = connect_to(port);
    if (s < 0) {
        perror("relay: connect");
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n') line[--n] = 0;
        char head[1024];
        int h = snprintf(head, sizeof head,
                         "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                         "Authorization: Bearer bench-token\r\n%s%s%s"
                         "Content-Type: application/json\r\n"
                         "Accept: application/json, text/event-stream\r\n"
                         "Content-Length: %zd\r\n\r\n",
                         port, sid[0] ? "Mcp-Session-Id: " : "", sid, sid[0] ? "\r\n" : "", n);
        struct iovec iov[2] = {{head, (size_t)h}, {line, (size_t)n}};
        if (writev(s, iov, 2) != h + n) return 1;
        size_t body, len;
        if (read_response(s, &body, &len)) return 1;
        if (len) {
            in[body + len] = '\n';
            if (write_all(1, in + body, len + 1)) return 1;
        }
    }
    free(line);
    return 0;
}
