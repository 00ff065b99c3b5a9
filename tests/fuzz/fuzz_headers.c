/* libFuzzer target for --header / --header-file parsing. The first byte picks
 * the entry point; a fixed fake environment supplies ${VAR} values, one of them
 * a "secret" that must never show up in an error message. */
#define _GNU_SOURCE /* memmem */
#include "bridge/net/headers.h"
#include "bridge/base/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "FUZZ-SECRET-VALUE"

static char file_path[64];

static void remove_file(void)
{
    unlink(file_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("FUZZ_TOKEN", SECRET, 1);
    setenv("FUZZ_CRLF", SECRET "\r\nX-Injected: 1", 1);
    setenv("FUZZ_CTL", SECRET "\x7f\x01", 1);
    setenv("FUZZ_EMPTY", "", 1);
    setenv("A", "a", 1);
    unsetenv("FUZZ_UNSET");
    snprintf(file_path, sizeof(file_path), "/tmp/fuzz_headers_%ld", (long)getpid());
    atexit(remove_file);
    return 0;
}

static int is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void check_list(const header_list_t *hl)
{
    for (size_t i = 0; i < hl->count; i++) {
        const char *line = hl->lines[i];
        const char *colon = strchr(line, ':');
        if (!colon || colon == line || colon[1] != ' ') abort();
        for (const char *c = line; c < colon; c++) {
            if (!is_tchar((unsigned char)*c)) abort();
        }
        for (const char *c = colon; *c; c++) {
            if ((unsigned char)*c < 0x20 && *c != '\t') abort();
        }
        char name[256];
        size_t n = (size_t)(colon - line);
        if (n < sizeof(name)) {
            memcpy(name, line, n);
            name[n] = '\0';
            if (!header_list_get(hl, name)) abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int from_file = data[0] & 1;
    data++;
    size--;

    header_list_t hl = {0};
    char err[256];
    memset(err, 'Z', sizeof(err));
    int rc;
    if (from_file) {
        FILE *f = fopen(file_path, "wb");
        if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) abort();
        rc = header_list_add_file(&hl, file_path, err, sizeof(err));
    } else {
        char *arg = malloc(size + 1);
        if (!arg) abort();
        memcpy(arg, data, size);
        arg[size] = '\0';
        rc = header_list_add(&hl, arg, err, sizeof(err));
        free(arg);
        if (rc == 0 && hl.count != 1) abort();
    }

    check_list(&hl);
    if (rc != 0) {
        if (hl.count != 0) abort(); /* nothing is added on error, from a file neither */
        if (!memchr(err, '\0', sizeof(err)) || strchr(err, '\n') || strchr(err, '\r')) abort();
        /* The secret may only appear if the input itself spelled it out. */
        if (strstr(err, SECRET) && !memmem(data, size, SECRET, strlen(SECRET))) abort();
        if (rc != BRIDGE_EINVAL && rc != BRIDGE_EUNSET && rc != BRIDGE_ETOOBIG) abort();
    }
    header_list_free(&hl);
    return 0;
}
