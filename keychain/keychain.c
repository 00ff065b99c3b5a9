/* The file and memory backends of the credential store. The file backend keeps
 * one JSON file per secret in a 0700 directory, written 0600 to a temporary
 * file and renamed over the old one, so a crash never leaves half a secret. */
#include "keychain/keychain.h"
#include "bridge/err.h"
#include "bridge/log.h"

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

typedef struct mem_item {
    struct mem_item *next;
    char *name, *secret;
} mem_item_t;

struct keychain {
    keychain_backend_t backend;
    char *dir;      /* file backend: the credentials directory */
    char *app_dir;  /* its parent, mcp-bridge/ */
    char *base_dir; /* its parent when it was derived (~/.config), else NULL */
    mem_item_t *items;
};

static int name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128 || name[0] == '.') return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static int mkdir_private(const char *path)
{
    if (mkdir(path, 0700) == 0) return 0;
    if (errno != EEXIST) return BRIDGE_EIO;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return BRIDGE_EIO;
    return 0;
}

static char *default_dir(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char *base = NULL;
    if (xdg && xdg[0] == '/') {
        base = strdup(xdg);
    } else if (home && *home) {
        size_t n = strlen(home) + sizeof "/.config";
        base = malloc(n);
        if (base) snprintf(base, n, "%s/.config", home);
    }
    return base;
}

int keychain_open(keychain_backend_t backend, const char *dir, keychain_t **out)
{
    *out = NULL;
    keychain_t *k = calloc(1, sizeof *k);
    if (!k) return BRIDGE_ENOMEM;
    k->backend = backend;
    if (backend == KEYCHAIN_FILE) {
        char *base = dir ? strdup(dir) : default_dir();
        if (!base) {
            free(k);
            return BRIDGE_EINVAL;
        }
        size_t n = strlen(base) + sizeof "/mcp-bridge/credentials";
        char *app = malloc(n), *creds = malloc(n);
        if (!app || !creds) {
            free(app);
            free(creds);
            free(base);
            free(k);
            return BRIDGE_ENOMEM;
        }
        snprintf(app, n, dir ? "%s" : "%s/mcp-bridge", base);
        snprintf(creds, n, "%s/credentials", app);
        /* Directories are made on the first write: starting stores nothing. */
        k->dir = creds;
        k->app_dir = app;
        if (dir)
            free(base);
        else
            k->base_dir = base;
    }
    *out = k;
    return 0;
}

void keychain_close(keychain_t *k)
{
    if (!k) return;
    while (k->items) {
        mem_item_t *it = k->items;
        k->items = it->next;
        OPENSSL_cleanse(it->secret, strlen(it->secret));
        free(it->secret);
        free(it->name);
        free(it);
    }
    free(k->dir);
    free(k->app_dir);
    free(k->base_dir);
    free(k);
}

static int make_dirs(keychain_t *k)
{
    if (k->base_dir) mkdir_private(k->base_dir); /* ~/.config may not exist yet */
    int rc = mkdir_private(k->app_dir);
    if (!rc) rc = mkdir_private(k->dir);
    if (!rc) chmod(k->dir, 0700);
    return rc;
}

const char *keychain_where(const keychain_t *k)
{
    return k->backend == KEYCHAIN_FILE ? k->dir : "memory (nothing is kept)";
}

static char *file_path(const keychain_t *k, const char *name, const char *suffix)
{
    size_t n = strlen(k->dir) + strlen(name) + strlen(suffix) + 8;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s.json%s", k->dir, name, suffix);
    return p;
}

int keychain_get(keychain_t *k, const char *name, char **secret)
{
    *secret = NULL;
    if (!name_valid(name)) return BRIDGE_EINVAL;
    if (k->backend == KEYCHAIN_MEMORY) {
        for (mem_item_t *it = k->items; it; it = it->next)
            if (!strcmp(it->name, name)) return (*secret = strdup(it->secret)) ? 0 : BRIDGE_ENOMEM;
        return BRIDGE_EINVAL;
    }
    char *path = file_path(k, name, "");
    if (!path) return BRIDGE_ENOMEM;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    free(path);
    if (fd < 0) return BRIDGE_EINVAL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_SECRET_FILE) {
        close(fd);
        return BRIDGE_EIO;
    }
    json_error_t je;
    json_t *doc = json_loadfd(fd, 0, &je);
    close(fd);
    json_t *s = json_object_get(doc, "secret");
    int rc = BRIDGE_EIO;
    if (json_is_string(s)) {
        *secret = strdup(json_string_value(s));
        rc = *secret ? 0 : BRIDGE_ENOMEM;
    }
    json_decref(doc);
    return rc;
}

int keychain_put(keychain_t *k, const char *name, const char *label, const char *secret)
{
    if (!name_valid(name)) return BRIDGE_EINVAL;
    if (k->backend == KEYCHAIN_MEMORY) {
        keychain_delete(k, name);
        mem_item_t *it = calloc(1, sizeof *it);
        if (!it || !(it->name = strdup(name)) || !(it->secret = strdup(secret))) {
            if (it) free(it->name);
            free(it);
            return BRIDGE_ENOMEM;
        }
        it->next = k->items;
        k->items = it;
        return 0;
    }
    json_t *doc = json_pack("{s:s, s:s}", "label", label ? label : name, "secret", secret);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    if (!text) return BRIDGE_ENOMEM;
    char *path = file_path(k, name, ""), *tmp = file_path(k, name, ".tmp");
    int rc = (path && tmp) ? make_dirs(k) : BRIDGE_ENOMEM;
    if (!rc) {
        unlink(tmp);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        size_t len = strlen(text);
        if (fd < 0) {
            rc = BRIDGE_EIO;
        } else {
            ssize_t w = write(fd, text, len);
            if (w != (ssize_t)len || fsync(fd) != 0) rc = BRIDGE_EIO;
            if (close(fd) != 0) rc = BRIDGE_EIO;
            if (!rc && rename(tmp, path) != 0) rc = BRIDGE_EIO;
            if (rc) unlink(tmp);
        }
    }
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    free(path);
    free(tmp);
    return rc;
}

int keychain_delete(keychain_t *k, const char *name)
{
    if (!name_valid(name)) return BRIDGE_EINVAL;
    if (k->backend == KEYCHAIN_MEMORY) {
        for (mem_item_t **pp = &k->items; *pp; pp = &(*pp)->next) {
            mem_item_t *it = *pp;
            if (strcmp(it->name, name) != 0) continue;
            *pp = it->next;
            OPENSSL_cleanse(it->secret, strlen(it->secret));
            free(it->secret);
            free(it->name);
            free(it);
            return 0;
        }
        return 0;
    }
    char *path = file_path(k, name, "");
    if (!path) return BRIDGE_ENOMEM;
    int rc = (unlink(path) == 0 || errno == ENOENT) ? 0 : BRIDGE_EIO;
    free(path);
    return rc;
}
