/* keychain/keychain.c: the *_async callbacks run later, from the loop, never
 * from inside the call, both on the thread pool and when the pool refuses the
 * job (this file's uv_queue_work stands in for libuv's and refuses on demand);
 * jobs run in order; keychain_close from inside a callback waits for the end. */
#define _GNU_SOURCE
#include "keychain/keychain.h"
#include "check.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int refuse_pool;
static int pool_asked;

/* Resolved before libuv's own: the keychain's calls come here. */
int uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb, uv_after_work_cb after_cb)
{
    pool_asked++;
    if (refuse_pool) return UV_EAGAIN;
    int (*real)(uv_loop_t *, uv_work_t *, uv_work_cb, uv_after_work_cb) =
        (int (*)(uv_loop_t *, uv_work_t *, uv_work_cb, uv_after_work_cb))dlsym(RTLD_NEXT,
                                                                               "uv_queue_work");
    return real ? real(loop, req, work_cb, after_cb) : UV_ENOSYS;
}

static int calls, order[8];
static char *got;
static keychain_t *store;

static void on_put(void *ud, int rc, char *secret)
{
    CHECK(rc == 0);
    CHECK(secret == NULL);
    order[calls++] = (int)(intptr_t)ud;
}

static int last_rc;

static void on_get(void *ud, int rc, char *secret)
{
    last_rc = rc;
    free(got);
    got = secret;
    order[calls++] = (int)(intptr_t)ud;
}

static void on_get_then_close(void *ud, int rc, char *secret)
{
    on_get(ud, rc, secret);
    keychain_close(store); /* the store goes once this returns */
}

static void run(int refuse, const char *dir)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    refuse_pool = refuse;
    pool_asked = calls = 0;
    CHECK(keychain_open(KEYCHAIN_FILE, dir, &store, NULL, 0) == 0);
    CHECK(keychain_put_async(store, &loop, "alpha", "label", "tokens", "https://x.example/",
                             refuse ? "s3cret-refused" : "s3cret-pool", on_put,
                             (void *)(intptr_t)1) == 0);
    CHECK(calls == 0); /* not from inside the call */
    CHECK(keychain_get_async(store, &loop, "alpha", on_get, (void *)(intptr_t)2) == 0);
    CHECK(keychain_delete_async(store, &loop, "alpha", on_put, (void *)(intptr_t)3) == 0);
    CHECK(keychain_get_async(store, &loop, "beta", NULL, NULL) == 0);
    CHECK(calls == 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(calls == 3);
    CHECK(order[0] == 1 && order[1] == 2 && order[2] == 3);
    CHECK(last_rc == 0);
    CHECK_STR(got, refuse ? "s3cret-refused" : "s3cret-pool");
    CHECK(pool_asked == 4);

    /* keychain_close from inside a callback, with nothing queued after it. */
    calls = 0;
    CHECK(keychain_get_async(store, &loop, "alpha", on_get_then_close, (void *)(intptr_t)4) == 0);
    CHECK(calls == 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(calls == 1);
    CHECK(last_rc < 0 && got == NULL); /* deleted above */
    CHECK(uv_loop_close(&loop) == 0);
}

int main(void)
{
    char dir[] = "/tmp/mcp-bridge-keychain-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    alarm(60);
    run(0, dir);
    run(1, dir);
    free(got);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
