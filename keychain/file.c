/* The file backend: one JSON document per secret in a 0700 directory, written
 * 0600 to a temporary file of its own (NAME.json.XXXXXX.tmp) and renamed over
 * the old one, so neither a crash nor another bridge writing at the same time
 * leaves half a secret. What is read back is checked like input from outside:
 * a regular file (not a FIFO or device that would block), of bounded size.
 * Also the memory backend, which keeps nothing. */
#include "bridge/base/buf.h"
#include "bridge/base/err.h"
#include "bridge/base/list.h"
#include "bridge/base/log.h"
#include "bridge/base/privfile.h"
#include "keychain/backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SECRET_FILE (1024 * 1024)

typedef struct file_store {
    char *dir;     /* the credentials directory */
    char *app_dir; /* its parent, mcp-bridge/ */
    char *where;
} file_store_t;

int keychain_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128 || name[0] == '.') return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

int keychain_list_push(char ***names, size_t *n, const char *name)
{
    char **grown = realloc(*names, (*n + 1) * sizeof **names);
    if (!grown) return BRIDGE_ENOMEM;
    *names = grown;
    if (!(grown[*n] = strdup(name))) return BRIDGE_ENOMEM;
    (*n)++;
    return 0;
}

static char *file_path(const file_store_t *f, const char *name, const char *suffix)
{
    size_t n = strlen(f->dir) + strlen(name) + strlen(suffix) + 8;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s.json%s", f->dir, name, suffix);
    return p;
}

static int file_get(void *st, const char *name, char **secret)
{
    file_store_t *f = st;
    char *path = file_path(f, name, "");
    if (!path) return BRIDGE_ENOMEM;
    /* O_NONBLOCK: opening a FIFO put there must not hang the start. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        int missing = errno == ENOENT;
        if (!missing) log_error("cannot read %s; it is ignored", path);
        free(path);
        return missing ? BRIDGE_EINVAL : BRIDGE_EIO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > MAX_SECRET_FILE) {
        log_error("%s is not a regular file of at most %d bytes; it is ignored (remove it)", path,
                  MAX_SECRET_FILE);
        free(path);
        close(fd);
        return BRIDGE_EIO;
    }
    free(path);
    buf_t in;
    buf_init_secret(&in, MAX_SECRET_FILE);
    char chunk[4096];
    ssize_t n;
    int rc = 0;
    while (!rc && (n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = BRIDGE_EIO;
        } else {
            rc = buf_append(&in, chunk, (size_t)n); /* BRIDGE_ETOOBIG past the bound */
        }
    }
    OPENSSL_cleanse(chunk, sizeof chunk);
    close(fd);
    json_error_t je;
    json_t *doc = rc ? NULL : json_loadb(in.data ? in.data : "", in.len, 0, &je);
    buf_free_secret(&in);
    json_t *s = json_object_get(doc, "secret");
    rc = BRIDGE_EIO;
    if (json_is_string(s)) {
        *secret = strdup(json_string_value(s));
        rc = *secret ? 0 : BRIDGE_ENOMEM;
    }
    json_decref(doc);
    return rc;
}

static int make_dirs(file_store_t *f)
{
    int rc = privdir_make(f->dir);
    if (!rc) chmod(f->dir, 0700);
    return rc;
}

static int file_put(void *st, const char *name, const char *label, const char *kind,
                    const char *subject, const char *secret)
{
    file_store_t *f = st;
    json_t *doc = json_pack("{s:s, s:s?, s:s?, s:s}", "label", label ? label : name, "kind", kind,
                            "subject", subject, "secret", secret);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    if (!text) return BRIDGE_ENOMEM;
    /* privfile_write: a temporary name of this write's own, so another writer
     * never renames a half-written file of ours into place (nor we one of theirs). */
    char *path = file_path(f, name, "");
    int rc = path ? make_dirs(f) : BRIDGE_ENOMEM;
    if (!rc) rc = privfile_write(path, text, strlen(text));
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    free(path);
    return rc;
}

static int file_del(void *st, const char *name)
{
    char *path = file_path(st, name, "");
    if (!path) return BRIDGE_ENOMEM;
    int rc = (unlink(path) == 0 || errno == ENOENT) ? 0 : BRIDGE_EIO;
    free(path);
    return rc;
}

static int file_list(void *st, char ***names, size_t *n)
{
    file_store_t *f = st;
    DIR *d = opendir(f->dir);
    if (!d) return errno == ENOENT ? 0 : BRIDGE_EIO;
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        char name[160];
        if (len - 5 >= sizeof name) continue;
        memcpy(name, e->d_name, len - 5);
        name[len - 5] = 0;
        if (keychain_name_valid(name)) rc = keychain_list_push(names, n, name);
    }
    closedir(d);
    return rc;
}

static void file_close(void *st)
{
    file_store_t *f = st;
    free(f->dir);
    free(f->app_dir);
    free(f->where);
    free(f);
}

static const char *file_where(void *st)
{
    return ((file_store_t *)st)->where;
}

static const keychain_backend_ops_t file_ops = {file_where, file_get,  file_put,
                                                file_del,   file_list, file_close};

int keychain_file_open(const char *dir, const keychain_backend_ops_t **ops, void **st)
{
    file_store_t *f = calloc(1, sizeof *f);
    if (!f) return BRIDGE_ENOMEM;
    char *base = NULL;
    if (dir) {
        base = strdup(dir);
    } else {
        /* mcp-remote's MCP_REMOTE_CONFIG_DIR moves its store; it moves ours as well, so
         * a host configuration written for mcp-remote keeps credentials where it says. */
        const char *moved = getenv("MCP_REMOTE_CONFIG_DIR");
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        if (moved && moved[0] == '/') {
            base = strdup(moved);
        } else if (xdg && xdg[0] == '/') {
            base = strdup(xdg);
        } else if (home && *home) {
            size_t n = strlen(home) + sizeof "/.config";
            if ((base = malloc(n))) snprintf(base, n, "%s/.config", home);
        }
    }
    if (!base) {
        free(f);
        return BRIDGE_EINVAL;
    }
    size_t n = strlen(base) + sizeof "/mcp-bridge/credentials";
    f->app_dir = malloc(n);
    f->dir = malloc(n);
    f->where = malloc(n + 16);
    if (!f->app_dir || !f->dir || !f->where) {
        free(base);
        file_close(f);
        return BRIDGE_ENOMEM;
    }
    snprintf(f->app_dir, n, dir ? "%s" : "%s/mcp-bridge", base);
    snprintf(f->dir, n, "%s/credentials", f->app_dir);
    snprintf(f->where, n + 16, "files in %s", f->dir);
    /* Directories are made on the first write: starting stores nothing. */
    free(base);
    *ops = &file_ops;
    *st = f;
    return 0;
}

/* ---- memory ---------------------------------------------------------------------- */

typedef struct mem_item {
    list_node link; /* in mem_store.items, newest first */
    char *name, *secret;
} mem_item_t;

typedef struct mem_store {
    list_node items;
} mem_store_t;

static void mem_item_free(mem_item_t *it)
{
    list_remove(&it->link);
    OPENSSL_cleanse(it->secret, strlen(it->secret));
    free(it->secret);
    free(it->name);
    free(it);
}

static mem_item_t *mem_find(mem_store_t *m, const char *name)
{
    LIST_FOR_EACH(n, &m->items)
    {
        mem_item_t *it = LIST_ENTRY(n, mem_item_t, link);
        if (!strcmp(it->name, name)) return it;
    }
    return NULL;
}

static int mem_get(void *st, const char *name, char **secret)
{
    mem_item_t *it = mem_find(st, name);
    if (!it) return BRIDGE_EINVAL;
    return (*secret = strdup(it->secret)) ? 0 : BRIDGE_ENOMEM;
}

static int mem_del(void *st, const char *name)
{
    mem_item_t *it = mem_find(st, name);
    if (it) mem_item_free(it);
    return 0;
}

static int mem_put(void *st, const char *name, const char *label, const char *kind,
                   const char *subject, const char *secret)
{
    mem_store_t *m = st;
    mem_del(st, name);
    mem_item_t *it = calloc(1, sizeof *it);
    if (!it || !(it->name = strdup(name)) || !(it->secret = strdup(secret))) {
        if (it) free(it->name);
        free(it);
        return BRIDGE_ENOMEM;
    }
    list_node_init(&it->link);
    list_push_front(&m->items, &it->link);
    return 0;
}

static int mem_list(void *st, char ***names, size_t *n)
{
    mem_store_t *m = st;
    int rc = 0;
    LIST_FOR_EACH(node, &m->items)
    {
        if (rc) break;
        rc = keychain_list_push(names, n, LIST_ENTRY(node, mem_item_t, link)->name);
    }
    return rc;
}

static void mem_close(void *st)
{
    mem_store_t *m = st;
    list_node *n;
    while ((n = list_front(&m->items)))
        mem_item_free(LIST_ENTRY(n, mem_item_t, link));
    free(m);
}

static const char *mem_where(void *st)
{
    return "memory (nothing is kept)";
}

static const keychain_backend_ops_t mem_ops = {mem_where, mem_get,  mem_put,
                                               mem_del,   mem_list, mem_close};

int keychain_memory_open(const keychain_backend_ops_t **ops, void **st)
{
    mem_store_t *m = calloc(1, sizeof *m);
    *st = m;
    *ops = &mem_ops;
    if (!m) return BRIDGE_ENOMEM;
    list_init(&m->items);
    return 0;
}
