/* Diagnostics for people: always to stderr (never stdout, which carries only
 * JSON-RPC), optionally copied to a log file with timestamps. Never pass a
 * token, secret, authorization code or code_verifier to these functions. */
#ifndef MCP_BRIDGE_LOG_H
#define MCP_BRIDGE_LOG_H

enum log_level {
    LOG_LEVEL_SILENT = 0, /* nothing but fatal start-up errors */
    LOG_LEVEL_ERROR = 1,
    LOG_LEVEL_INFO = 2, /* default */
    LOG_LEVEL_DEBUG = 3,
};

/* path may be NULL. Returns 0 or BRIDGE_EIO when the log file cannot be opened. */
int log_init(int level, const char *path);
void log_close(void);
int log_enabled(int level);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
