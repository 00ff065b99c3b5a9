/* The Linux OS keychain: the freedesktop Secret Service (GNOME Keyring,
 * KWallet, KeePassXC…) through libsecret. Items carry a schema of our own, so
 * `secret-tool search --all app mcp-bridge` finds them and a keyring manager
 * shows them under their label. Every call here blocks: keychain.c runs them
 * on the thread pool, or before the loop starts.
 *
 * libsecret (and GLib, GIO and libgcrypt behind it) is loaded with dlopen() the
 * first time a credential is looked up, not linked: a bridge that never reads
 * the keychain (a static --header, the file store) does not pay for mapping and
 * relocating a dozen libraries at start, and a machine without libsecret gets
 * the file store with a note instead of a binary that does not start. The
 * header still gives every function its exact type. */
#include "bridge/base/err.h"
#include "keychain/backend.h"

#include <dlfcn.h>
#include <libsecret/secret.h>
#include <stdio.h>
#include <string.h>

#define SS_FUNCS(X)                                                                                \
    X(secret_password_lookup_sync)                                                                 \
    X(secret_password_store_sync)                                                                  \
    X(secret_password_clear_sync)                                                                  \
    X(secret_password_free)                                                                        \
    X(secret_service_get_sync)                                                                     \
    X(secret_service_search_sync)                                                                  \
    X(secret_item_get_attributes)                                                                  \
    X(g_error_free)                                                                                \
    X(g_object_unref)                                                                              \
    X(g_hash_table_new)                                                                            \
    X(g_hash_table_insert)                                                                         \
    X(g_hash_table_lookup)                                                                         \
    X(g_hash_table_unref)                                                                          \
    X(g_str_hash)                                                                                  \
    X(g_str_equal)                                                                                 \
    X(g_list_free_full)

#define SS_DECLARE(f) __typeof__(f) *f;
static struct {
    void *lib;
    SS_FUNCS(SS_DECLARE)
} ss;

/* Load libsecret once; keychain.c runs the backend one call at a time. */
static int ss_load(char *why, size_t whylen)
{
    if (ss.lib) return 0;
    void *lib = dlopen("libsecret-1.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(why, whylen, "libsecret is not installed (%s)", dlerror());
        return BRIDGE_EIO;
    }
    /* dlsym returns an object pointer: copy it into the function pointer (POSIX). */
#define SS_LOAD(f)                                                                                 \
    {                                                                                              \
        void *sym = dlsym(lib, #f);                                                                \
        if (!sym) {                                                                                \
            snprintf(why, whylen, "the installed libsecret lacks %s", #f);                         \
            dlclose(lib);                                                                          \
            return BRIDGE_EIO;                                                                     \
        }                                                                                          \
        memcpy(&ss.f, &sym, sizeof sym);                                                           \
    }
    SS_FUNCS(SS_LOAD)
#undef SS_LOAD
    ss.lib = lib;
    return 0;
}

static const SecretSchema schema = {
    "io.github.mcp-bridge.Credential",
    SECRET_SCHEMA_NONE,
    {
        {"app", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"name", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"kind", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"subject", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {NULL, 0},
    },
    0,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};

static const char *ss_where(void *st)
{
    return "the Secret Service (the desktop keyring)";
}

static int ss_get(void *st, const char *name, char **secret)
{
    GError *err = NULL;
    gchar *v = ss.secret_password_lookup_sync(&schema, NULL, &err, "app", "mcp-bridge", "name",
                                              name, NULL);
    if (err) {
        ss.g_error_free(err);
        return BRIDGE_EIO;
    }
    if (!v) return BRIDGE_EINVAL;
    *secret = strdup(v);
    ss.secret_password_free(v);
    return *secret ? 0 : BRIDGE_ENOMEM;
}

static int ss_put(void *st, const char *name, const char *label, const char *kind,
                  const char *subject, const char *secret)
{
    GError *err = NULL;
    gboolean ok =
        ss.secret_password_store_sync(&schema, SECRET_COLLECTION_DEFAULT, label ? label : name,
                                      secret, NULL, &err, "app", "mcp-bridge", "name", name, "kind",
                                      kind ? kind : "", "subject", subject ? subject : "", NULL);
    if (err) ss.g_error_free(err);
    return ok ? 0 : BRIDGE_EIO;
}

static int ss_del(void *st, const char *name)
{
    GError *err = NULL;
    ss.secret_password_clear_sync(&schema, NULL, &err, "app", "mcp-bridge", "name", name, NULL);
    if (err) {
        ss.g_error_free(err);
        return BRIDGE_EIO;
    }
    return 0;
}

static int ss_list(void *st, char ***names, size_t *n)
{
    GError *err = NULL;
    GHashTable *query = ss.g_hash_table_new(ss.g_str_hash, ss.g_str_equal);
    ss.g_hash_table_insert(query, "app", "mcp-bridge");
    GList *items =
        ss.secret_service_search_sync(NULL, &schema, query, SECRET_SEARCH_ALL, NULL, &err);
    ss.g_hash_table_unref(query);
    if (err) {
        ss.g_error_free(err);
        return BRIDGE_EIO;
    }
    int rc = 0;
    for (GList *l = items; l && !rc; l = l->next) {
        GHashTable *attrs = ss.secret_item_get_attributes(l->data);
        const char *name = attrs ? ss.g_hash_table_lookup(attrs, "name") : NULL;
        if (name && keychain_name_valid(name)) rc = keychain_list_push(names, n, name);
        if (attrs) ss.g_hash_table_unref(attrs);
    }
    ss.g_list_free_full(items, ss.g_object_unref);
    return rc;
}

static void ss_close(void *st) {}

static const keychain_backend_ops_t ss_ops = {ss_where, ss_get, ss_put, ss_del, ss_list, ss_close};

int keychain_os_open(const keychain_backend_ops_t **ops, void **st, char *why, size_t whylen)
{
    /* Is a Secret Service there? Without a session bus libsecret fails at once. */
    if (!getenv("DBUS_SESSION_BUS_ADDRESS") && !getenv("XDG_RUNTIME_DIR")) {
        snprintf(why, whylen, "no D-Bus session");
        return BRIDGE_EIO;
    }
    int rc = ss_load(why, whylen);
    if (rc) return rc;
    GError *err = NULL;
    SecretService *svc = ss.secret_service_get_sync(SECRET_SERVICE_NONE, NULL, &err);
    if (!svc) {
        snprintf(why, whylen, "%s", err ? err->message : "no Secret Service");
        if (err) ss.g_error_free(err);
        return BRIDGE_EIO;
    }
    /* A bus without the service answers only when asked for an item. */
    gchar *probe = ss.secret_password_lookup_sync(&schema, NULL, &err, "app", "mcp-bridge", "name",
                                                  "probe", NULL);
    ss.g_object_unref(svc);
    if (err) {
        snprintf(why, whylen, "%s", err->message);
        ss.g_error_free(err);
        return BRIDGE_EIO;
    }
    ss.secret_password_free(probe);
    *ops = &ss_ops;
    *st = NULL;
    return 0;
}
