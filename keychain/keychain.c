/* The credential store front: picks a backend, validates names, and runs
 * operations on the libuv thread pool one at a time (the OS keychains block).
 * Their callbacks always run later, from the loop, never from the call. */
#include "keychain/keychain.h"
#include "bridge/base/err.h"
#include "bridge/base/list.h"
#include "bridge/base/log.h"
#include "keychain/backend.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum job_kind { JOB_GET, JOB_PUT, JOB_DELETE } job_kind_t;

typedef struct job {
    uv_work_t work;
    /* When the thread pool refuses the job: it runs on the loop from this
     * zero timer instead, so the callback still comes after the call returns. */
    uv_timer_t later;
    int on_loop;
    list_node link; /* in keychain.queue */
    keychain_t *k;
    job_kind_t kind;
    char *name, *label, *what, *subject, *secret;
    int rc;
    keychain_cb cb;
    void *ud;
} job_t;

struct keychain {
    keychain_backend_t kind;
    int opened; /* AUTO decides on first use, on the thread pool */
    char *dir;  /* for the file fallback */
    char *note; /* AUTO fell back to files: said once, when something is first stored */
    const keychain_backend_ops_t *ops;
    void *st;
    list_node queue; /* of job_t, oldest first; the head is running when `busy` */
    int busy, closing;
    int write_failure_said; /* a failed store or delete is said once: one cause, one line */
};

static void wipe_free(char *s)
{
    if (!s) return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

int keychain_open(keychain_backend_t backend, const char *dir, keychain_t **out, char *note,
                  size_t notelen)
{
    *out = NULL;
    if (note && notelen) note[0] = 0;
    keychain_t *k = calloc(1, sizeof *k);
    if (!k) return BRIDGE_ENOMEM;
    list_init(&k->queue);
    int rc = BRIDGE_EINVAL;
    char why[256] = "";
    if (backend == KEYCHAIN_AUTO) {
        /* Asking the OS keychain may take a D-Bus round trip or more: decide on
         * the first use, which runs on the thread pool. */
        k->kind = KEYCHAIN_AUTO;
        k->dir = dir ? strdup(dir) : NULL;
        *out = k;
        return 0;
    }
    k->opened = 1;
    switch (backend) {
    case KEYCHAIN_AUTO:
    case KEYCHAIN_OS:
        rc = keychain_os_open(&k->ops, &k->st, why, sizeof why);
        k->kind = KEYCHAIN_OS;
        if (rc && backend == KEYCHAIN_AUTO) {
            rc = keychain_file_open(dir, &k->ops, &k->st);
            k->kind = KEYCHAIN_FILE;
            if (!rc && note)
                snprintf(note, notelen,
                         "no OS keychain answered (%s); credentials are kept in %s. Start a "
                         "Secret Service (e.g. gnome-keyring) or pass --token-store file to "
                         "silence this.",
                         why, k->ops->where(k->st));
        } else if (rc && note) {
            snprintf(note, notelen, "the OS keychain is not available: %s", why);
        }
        break;
    case KEYCHAIN_FILE:
        rc = keychain_file_open(dir, &k->ops, &k->st);
        k->kind = KEYCHAIN_FILE;
        break;
    case KEYCHAIN_MEMORY:
        rc = keychain_memory_open(&k->ops, &k->st);
        k->kind = KEYCHAIN_MEMORY;
        break;
    }
    if (rc) {
        free(k);
        return rc;
    }
    *out = k;
    return 0;
}

/* AUTO: the OS keychain when it answers, else files (with a note). */
static int ensure_open(keychain_t *k)
{
    if (k->opened) return 0;
    char why[256] = "";
    int rc = keychain_os_open(&k->ops, &k->st, why, sizeof why);
    k->kind = KEYCHAIN_OS;
    if (rc) {
        rc = keychain_file_open(k->dir, &k->ops, &k->st);
        k->kind = KEYCHAIN_FILE;
        if (!rc) {
            char note[700];
            snprintf(note, sizeof note,
                     "no OS keychain answered (%s); credentials are kept in %s. Start a Secret "
                     "Service (e.g. gnome-keyring) to use it, or pass --token-store file to "
                     "silence this.",
                     why, k->ops->where(k->st));
            k->note = strdup(note);
        }
    }
    if (rc) return rc;
    k->opened = 1;
    return 0;
}

static void really_close(keychain_t *k)
{
    if (k->opened) k->ops->close(k->st);
    free(k->dir);
    free(k->note);
    free(k);
}

void keychain_close(keychain_t *k)
{
    if (!k) return;
    if (k->busy || !list_empty(&k->queue)) {
        k->closing = 1; /* closed after the last job */
        return;
    }
    really_close(k);
}

const char *keychain_where(const keychain_t *k)
{
    return k->opened ? k->ops->where(k->st) : "the OS keychain, or files when there is none";
}

keychain_backend_t keychain_kind(const keychain_t *k)
{
    return k->kind;
}

int keychain_get(keychain_t *k, const char *name, char **secret)
{
    *secret = NULL;
    if (!keychain_name_valid(name)) return BRIDGE_EINVAL;
    int rc = ensure_open(k);
    return rc ? rc : k->ops->get(k->st, name, secret);
}

int keychain_put(keychain_t *k, const char *name, const char *label, const char *kind,
                 const char *subject, const char *secret)
{
    if (!keychain_name_valid(name) || !secret) return BRIDGE_EINVAL;
    int rc = ensure_open(k);
    return rc ? rc : k->ops->put(k->st, name, label, kind, subject, secret);
}

int keychain_delete(keychain_t *k, const char *name)
{
    if (!keychain_name_valid(name)) return BRIDGE_EINVAL;
    int rc = ensure_open(k);
    return rc ? rc : k->ops->del(k->st, name);
}

int keychain_list(keychain_t *k, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    int rc = ensure_open(k);
    return rc ? rc : k->ops->list(k->st, names, n);
}

void keychain_free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- the thread pool ---------------------------------------------------------------- */

static void run_job(uv_work_t *w)
{
    job_t *j = w->data;
    keychain_t *k = j->k;
    switch (j->kind) {
    case JOB_GET:
        j->rc = keychain_get(k, j->name, &j->secret);
        break;
    case JOB_PUT:
        j->rc = keychain_put(k, j->name, j->label, j->what, j->subject, j->secret);
        break;
    case JOB_DELETE:
        j->rc = keychain_delete(k, j->name);
        break;
    }
}

static void start_next(keychain_t *k, uv_loop_t *loop);

static void job_free(job_t *j)
{
    free(j->name);
    free(j->label);
    free(j->what);
    free(j->subject);
    wipe_free(j->secret);
    free(j);
}

static void job_closed(uv_handle_t *h)
{
    job_free(h->data);
}

static void job_done(uv_work_t *w, int status)
{
    job_t *j = w->data;
    keychain_t *k = j->k;
    uv_loop_t *loop = w->loop;
    assert(k->busy && list_front(&k->queue) == &j->link);
    list_remove(&j->link);
    if (status < 0 && !j->rc) j->rc = BRIDGE_EIO;
    if (k->note && j->kind == JOB_PUT && !j->rc) {
        /* Only a stored credential makes where it went matter. */
        log_info("%s", k->note);
        free(k->note);
        k->note = NULL;
    }
    if (j->kind != JOB_GET && j->rc && !k->write_failure_said) {
        k->write_failure_said = 1;
        if (j->kind == JOB_PUT)
            log_error("could not store credentials in %s; nothing is kept for the next start, "
                      "which will sign in again",
                      keychain_where(k));
        else
            log_error("could not delete credentials in %s; remove them there by hand",
                      keychain_where(k));
    }
    char *secret = NULL;
    if (j->kind == JOB_GET) {
        secret = j->secret;
        j->secret = NULL;
    }
    if (j->cb)
        j->cb(j->ud, j->rc, secret);
    else
        wipe_free(secret);
    if (j->on_loop)
        uv_close((uv_handle_t *)&j->later, job_closed);
    else
        job_free(j);
    /* Still busy while the callback ran: a keychain_close from inside it is
     * carried out here, not under our feet. */
    k->busy = 0;
    start_next(k, loop);
}

/* The thread pool refused the job: run it here, now that the call that queued
 * it has returned. */
static void run_on_loop(uv_timer_t *timer)
{
    job_t *j = timer->data;
    run_job(&j->work);
    job_done(&j->work, 0);
}

static void start_next(keychain_t *k, uv_loop_t *loop)
{
    if (k->busy) return;
    list_node *n = list_front(&k->queue);
    if (!n) {
        if (k->closing) really_close(k);
        return;
    }
    k->busy = 1;
    job_t *j = LIST_ENTRY(n, job_t, link);
    j->work.data = j;
    if (uv_queue_work(loop, &j->work, run_job, job_done) != 0) {
        j->on_loop = 1;
        j->work.loop = loop;
        uv_timer_init(loop, &j->later);
        j->later.data = j;
        uv_timer_start(&j->later, run_on_loop, 0, 0);
    }
}

static int enqueue(keychain_t *k, uv_loop_t *loop, job_kind_t kind, const char *name,
                   const char *label, const char *what, const char *subject, const char *secret,
                   keychain_cb cb, void *ud)
{
    job_t *j = calloc(1, sizeof *j);
    if (!j) return BRIDGE_ENOMEM;
    j->k = k;
    j->kind = kind;
    j->cb = cb;
    j->ud = ud;
    j->name = strdup(name);
    j->label = label ? strdup(label) : NULL;
    j->what = what ? strdup(what) : NULL;
    j->subject = subject ? strdup(subject) : NULL;
    j->secret = secret ? strdup(secret) : NULL;
    if (!j->name || (secret && !j->secret)) {
        job_free(j);
        return BRIDGE_ENOMEM;
    }
    list_node_init(&j->link);
    list_push_back(&k->queue, &j->link);
    start_next(k, loop);
    return 0;
}

int keychain_get_async(keychain_t *k, uv_loop_t *loop, const char *name, keychain_cb cb, void *ud)
{
    return enqueue(k, loop, JOB_GET, name, NULL, NULL, NULL, NULL, cb, ud);
}

int keychain_put_async(keychain_t *k, uv_loop_t *loop, const char *name, const char *label,
                       const char *kind, const char *subject, const char *secret, keychain_cb cb,
                       void *ud)
{
    return enqueue(k, loop, JOB_PUT, name, label, kind, subject, secret, cb, ud);
}

int keychain_delete_async(keychain_t *k, uv_loop_t *loop, const char *name, keychain_cb cb,
                          void *ud)
{
    return enqueue(k, loop, JOB_DELETE, name, NULL, NULL, NULL, NULL, cb, ud);
}
