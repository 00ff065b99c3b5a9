/* Logging to stderr and an optional log file. */
#include "bridge/base/log.h"
#include "bridge/base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static int log_level = LOG_LEVEL_INFO;
static FILE *log_file;

int log_init(int level, const char *path)
{
    log_level = level;
    if (path) {
        /* The log is the user's alone: 0600, never through a symlink. */
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        log_file = fd >= 0 ? fdopen(fd, "a") : NULL;
        if (!log_file && fd >= 0) close(fd);
        if (!log_file) return BRIDGE_EIO;
        setvbuf(log_file, NULL, _IOLBF, 0);
    }
    return 0;
}

void log_close(void)
{
    if (log_file) fclose(log_file);
    log_file = NULL;
}

int log_enabled(int level)
{
    return level <= log_level;
}

__attribute__((format(printf, 3, 0))) static void log_write(int level, const char *tag,
                                                            const char *fmt, va_list ap)
{
    if (level > log_level) return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* A message is one line: fold any newline that came from outside input. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    fprintf(stderr, "mcp-bridge: %s%s\n", tag, msg);
    if (log_file) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        struct tm tm;
        gmtime_r(&tv.tv_sec, &tm);
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(log_file, "%s.%03ldZ [%ld] %s%s\n", ts, (long)tv.tv_usec / 1000, (long)getpid(),
                tag, msg);
    }
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_write(LOG_LEVEL_ERROR, "error: ", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_write(LOG_LEVEL_INFO, "", fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_write(LOG_LEVEL_DEBUG, "debug: ", fmt, ap);
    va_end(ap);
}
