/* mcp-bridge: an MCP host spawns this as a stdio server; it relays to a remote
 * MCP server over Streamable HTTP or HTTP+SSE. */
#include "bridge/cli/cmd.h"
#include "bridge/cli/commands.h"
#include "bridge/cli/config.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/cli/options.h"
#include "bridge/relay/relay.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* LeakSanitizer inspects the process with ptrace, which a non-dumpable process
 * forbids: sanitizer builds stay dumpable. */
#if defined(__SANITIZE_ADDRESS__)
#define MCP_BRIDGE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MCP_BRIDGE_ASAN 1
#endif
#endif

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "help")) {
        if (argc > 3) {
            fprintf(stderr, "mcp-bridge: usage: mcp-bridge help [options | commands | OPTION]\n");
            return 2;
        }
        return options_help(argc == 3 ? argv[2] : NULL, stdout);
    }
    if (argc >= 2 && !strcmp(argv[1], "config")) return cmd_config(argc, argv);
    bridge_options_t opts;
    char err[768] = "";
    int rc = options_parse(argc, argv, &opts, err, sizeof err);
    if (rc == OPTIONS_EXIT_HELP) {
        options_print_help(stdout, opts.command);
        options_free(&opts);
        return 0;
    }
    if (rc == OPTIONS_EXIT_VERSION) {
        printf("mcp-bridge %s\n", MCP_BRIDGE_VERSION);
        options_free(&opts);
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "mcp-bridge: %s\n", err[0] ? err : bridge_strerror(rc));
        options_free(&opts);
        return 2;
    }
#if defined(__linux__) && !defined(MCP_BRIDGE_ASAN)
    /* Tokens live in this process: no core dumps, no ptrace by other processes. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
    signal(SIGPIPE, SIG_IGN);
    if (log_init(opts.log_level, opts.log_file) != 0) {
        fprintf(stderr, "mcp-bridge: cannot open the log file %s\n", opts.log_file);
        options_free(&opts);
        return 2;
    }
    for (size_t i = 0; i < opts.warnings_len; i++)
        log_info("warning: %s", opts.warnings[i]);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("libcurl failed to initialize");
        return 1;
    }
    if (opts.command != COMMAND_RELAY) {
        int code = commands_run(&opts);
        curl_global_cleanup();
        options_free(&opts);
        log_close();
        return code;
    }
    bridge_config_t cfg;
    config_from_options(&opts, &cfg);
    uv_loop_t *loop = uv_default_loop();
    relay_t *relay = relay_start(loop, &cfg.relay);
    if (!relay) return 1; /* relay_start said why */
    uv_run(loop, UV_RUN_DEFAULT);
    int code = relay_exit_code(relay);
    relay_free(relay);
    uv_loop_close(loop);
    curl_global_cleanup();
    options_free(&opts);
    log_close();
    return code;
}
