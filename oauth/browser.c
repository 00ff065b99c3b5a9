/* Browser launching with uv_spawn: no shell, no inherited stdout. */
#include "oauth/browser.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/base/url.h"

#include <stdlib.h>
#include <string.h>

int oauth_browser_url_ok(const char *url, int allow_http)
{
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p < 0x21 || *p == 0x7f) return 0;
    url_t u;
    char err[256];
    if (url_parse(url, &u, err, sizeof err) != 0) return 0;
    int ok = !strcmp(u.scheme, "https") ||
             (!strcmp(u.scheme, "http") && (allow_http || url_host_is_loopback(u.host)));
    url_free(&u);
    return ok;
}

static void on_browser_exit(uv_process_t *p, int64_t status, int signal)
{
    if (status != 0) log_debug("the browser command exited with status %lld", (long long)status);
    uv_close((uv_handle_t *)p, (uv_close_cb)free);
}

static int spawn(uv_loop_t *loop, const char *program, const char *url)
{
    uv_process_t *p = calloc(1, sizeof *p);
    if (!p) return BRIDGE_ENOMEM;
    char *args[] = {(char *)program, (char *)url, NULL};
    /* stdin and stdout: /dev/null (our stdout carries JSON-RPC); stderr: ours. */
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE}, {.flags = UV_IGNORE}, {.flags = UV_INHERIT_FD, .data.fd = 2}};
    uv_process_options_t o = {
        .exit_cb = on_browser_exit,
        .file = program,
        .args = args,
        .stdio = stdio,
        .stdio_count = 3,
    };
    int rc = uv_spawn(loop, p, &o);
    if (rc) {
        /* libuv registered the handle even though the spawn failed (no such
         * program): it must be closed, and freed only once closed. */
        log_debug("cannot run the browser command %s: %s", program, uv_strerror(rc));
        uv_close((uv_handle_t *)p, (uv_close_cb)free);
        return BRIDGE_EIO;
    }
    return 0;
}

int oauth_browser_open(uv_loop_t *loop, const char *url)
{
    const char *env = getenv("BROWSER");
    if (env && *env) {
        /* $BROWSER may list several commands separated by ':'; each is a program
         * name or path (arguments are not supported: no shell is involved). */
        char *list = strdup(env), *save = NULL;
        int rc = BRIDGE_EIO;
        for (char *cmd = strtok_r(list, ":", &save); cmd && rc; cmd = strtok_r(NULL, ":", &save))
            rc = spawn(loop, cmd, url);
        free(list);
        return rc;
    }
#ifdef __APPLE__
    return spawn(loop, "open", url);
#else
    return spawn(loop, "xdg-open", url);
#endif
}
