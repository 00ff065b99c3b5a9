/* Reading mcp-remote's store. Its files are named by an MD5 of the server URL and
 * options (oauth/mcp_remote.c), and none of them names the server: without a URL,
 * a server is only imported when a URL found in its files (the access token's
 * audience, its debug log) hashes to the file's name. Everything read is treated
 * like network input: bounded, type-checked, tokens checked for printability,
 * endpoints and redirect URIs against the same policy as a sign-in. */
#include "bridge/cli/mcp_remote_import.h"
#include "bridge/base/json.h"
#include "bridge/base/url.h"
#include "oauth/browser.h"
#include "oauth/mcp_remote.h"
#include "oauth/token.h"

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

#define FILE_MAX (256 * 1024)
#define LOG_MAX (4 * 1024 * 1024)

/* The file's text, at most max bytes, a regular file not reached through a
 * symbolic link; NULL when missing or unreadable. */
static char *read_bounded(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= max) {
        buf = malloc((size_t)st.st_size + 1);
        size_t got = 0;
        while (buf && got < (size_t)st.st_size) {
            ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (buf) {
            buf[got] = 0;
            if (len) *len = got;
        }
    }
    close(fd);
    return buf;
}

static json_t *read_json(const char *dir, const char *hash, const char *suffix)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%s", dir, hash, suffix);
    size_t len = 0;
    char *text = read_bounded(path, FILE_MAX, &len);
    json_t *doc = text ? json_loadb(text, len, 0, NULL) : NULL;
    if (text) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* Where mcp-remote keeps its store: $MCP_REMOTE_CONFIG_DIR or ~/.mcp-auth. */
static int config_base(char *out, size_t n)
{
    const char *env = getenv("MCP_REMOTE_CONFIG_DIR");
    const char *home = getenv("HOME");
    if (env && *env) return snprintf(out, n, "%s", env) < (int)n ? 0 : -1;
    if (home && *home) return snprintf(out, n, "%s/.mcp-auth", home) < (int)n ? 0 : -1;
    return -1;
}

static int cmp_desc(const void *a, const void *b)
{
    return -strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Its store directories: mcp-remote-v1 (0.15 on) first, then those of older
 * versions (mcp-remote-0.1.x), newest name first. */
static size_t store_dirs(const char *base, char ***out)
{
    *out = NULL;
    DIR *d = opendir(base);
    if (!d) return 0;
    char **v = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256) {
        if (strncmp(e->d_name, "mcp-remote-", 11) != 0) continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", base, e->d_name);
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        char **nv = realloc(v, (n + 1) * sizeof *v);
        if (!nv) break;
        v = nv;
        if ((v[n] = strdup(path)) != NULL) n++;
    }
    closedir(d);
    if (n > 1) qsort(v, n, sizeof *v, cmp_desc);
    for (size_t i = 0; i < n; i++) { /* "v1" sorts after the digits: move it first */
        const char *name = strrchr(v[i], '/') + 1;
        if (!strcmp(name, "mcp-remote-v1") && i > 0) {
            char *t = v[i];
            memmove(v + 1, v, i * sizeof *v);
            v[0] = t;
        }
    }
    *out = v;
    return n;
}

static void free_dirs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int hash_for(const oauth_config_t *cfg, const char *url, char out[MCP_REMOTE_HASH_LEN + 1])
{
    mcp_remote_key_t k = {.server_url = url,
                          .resource = cfg->disable_resource ? NULL : cfg->resource,
                          .authorize_params = cfg->authorize_params,
                          .authorize_params_len = cfg->authorize_params_len,
                          .headers = cfg->headers,
                          .headers_len = cfg->headers_len,
                          .client_metadata_url = cfg->client_metadata_url,
                          .token_endpoint = cfg->token_endpoint};
    return mcp_remote_hash(&k, out);
}

/* A redirect URI the bridge can listen at: http:// on loopback with a port. */
static int redirect_usable(const char *uri)
{
    url_t u;
    char err[128];
    if (!uri || url_parse(uri, &u, err, sizeof err) != 0) return 0;
    int ok =
        !strcmp(u.scheme, "http") && u.port &&
        (!strcmp(u.host, "localhost") || !strcmp(u.host, "127.0.0.1") || !strcmp(u.host, "[::1]"));
    url_free(&u);
    return ok;
}

static int server_allowed(const char *url, int allow_http, char *why, size_t n)
{
    url_t u;
    if (url_parse(url, &u, why, n) != 0) return 0;
    int plain = !strcmp(u.scheme, "http") && !url_host_is_loopback(u.host);
    if (plain && !allow_http)
        snprintf(why, n, "it is plain http:// to %s, which is not loopback (pass --allow-http)",
                 u.host);
    url_free(&u);
    return !plain || allow_http;
}

/* Import the files <dir>/<hash>_* as the sign-in to `url`. 0: imported. */
static int import_one(const oauth_config_t *cfg, keychain_t *store, const char *url,
                      const char *dir, const char *hash)
{
    json_t *tokens = read_json(dir, hash, "tokens.json");
    json_t *client = read_json(dir, hash, "client_info.json");
    json_t *rec = NULL;
    int code = 1;
    char why[512] = "";
    const char *at = json_str(tokens, "access_token"), *rt = json_str(tokens, "refresh_token");
    const char *idt = json_str(tokens, "id_token");
    const char *client_id = json_str(client, "client_id");
    if (!server_allowed(url, cfg->allow_http, why, sizeof why)) {
        /* why says it */
    } else if (!tokens || (!at && !rt)) {
        snprintf(why, sizeof why, "%s/%s_tokens.json holds no token", dir, hash);
    } else if (!client_id) {
        snprintf(why, sizeof why,
                 "%s/%s_client_info.json is missing, so there is no client to refresh with", dir,
                 hash);
    } else if ((at && !oauth_token_printable(at)) || (rt && !oauth_token_printable(rt)) ||
               (idt && !oauth_token_printable(idt))) {
        snprintf(why, sizeof why, "%s/%s_tokens.json holds a token that is not printable", dir,
                 hash);
    } else {
        rec = json_pack("{s:i, s:s, s:s}", "version", 1, "server", url, "client_id", client_id);
    }
    if (rec) {
#define COPY(to, from, key)                                                                        \
    if (json_str(from, key)) json_object_set_new(rec, to, json_string(json_str(from, key)))
        COPY("client_secret", client, "client_secret");
        COPY("token_endpoint_auth_method", client, "token_endpoint_auth_method");
        COPY("access_token", tokens, "access_token");
        COPY("refresh_token", tokens, "refresh_token");
        COPY("id_token", tokens, "id_token");
        COPY("scope", tokens, "scope");
#undef COPY
        /* The issuer only when it is one we would talk to; discovery finds it otherwise. */
        const char *issuer =
            json_str(tokens, "issuer") ? json_str(tokens, "issuer") : json_str(client, "issuer");
        if (issuer && oauth_browser_url_ok(issuer, cfg->allow_http))
            json_object_set_new(rec, "issuer", json_string(issuer));
        json_t *exp = json_object_get(tokens, "expires_at"); /* milliseconds */
        if (at && json_is_number(exp) && json_number_value(exp) > 0)
            json_object_set_new(rec, "expires_at",
                                json_integer((json_int_t)(json_number_value(exp) / 1000)));
        const char *redirect =
            json_string_value(json_array_get(json_object_get(client, "redirect_uris"), 0));
        if (redirect_usable(redirect))
            json_object_set_new(rec, "redirect_uri", json_string(redirect));
        else
            redirect = NULL;
        json_t *purpose = oauth_record_purpose(
            &(oauth_config_t){.server_url = url,
                              .resource = cfg->resource,
                              .disable_resource = cfg->disable_resource,
                              .scope = cfg->scope,
                              .token_endpoint = cfg->token_endpoint,
                              .authorize_params = cfg->authorize_params,
                              .authorize_params_len = cfg->authorize_params_len});
        char name[64], label[512];
        oauth_record_name_for(url, purpose, name, sizeof name);
        if (purpose) json_object_set_new(rec, "for", purpose);
        char *existing = NULL;
        if (keychain_get(store, name, &existing) == 0) {
            OPENSSL_cleanse(existing, strlen(existing));
            free(existing);
            snprintf(why, sizeof why,
                     "mcp-bridge is already signed in to it (run mcp-bridge logout %s first to "
                     "replace that sign-in)",
                     url);
        } else {
            char *text = json_dumps(rec, JSON_COMPACT);
            snprintf(label, sizeof label, "mcp-bridge: sign-in to %s", url);
            if (text && keychain_put(store, name, label, "tokens", url, text) == 0) {
                printf("Imported mcp-remote's sign-in to %s (%s/%s_*) into %s: client %s%s%s; "
                       "%s.\n",
                       url, dir, hash, keychain_where(store), client_id,
                       redirect ? ", which keeps its redirect URI " : "", redirect ? redirect : "",
                       rt ? "the bridge refreshes the token when it expires"
                          : "there is no refresh token, so a sign-in follows its expiry");
                code = 0;
            } else {
                snprintf(why, sizeof why, "storing it in %s failed", keychain_where(store));
            }
            if (text) {
                OPENSSL_cleanse(text, strlen(text));
                free(text);
            }
        }
    }
    if (code) printf("Not imported: mcp-remote's sign-in to %s: %s.\n", url, why);
    json_decref(rec);
    json_decref(tokens);
    json_decref(client);
    return code;
}

static int try_candidate(const oauth_config_t *cfg, const char *hash, const char *url, char **found)
{
    char h[MCP_REMOTE_HASH_LEN + 1];
    if (*found || !url || strlen(url) > 2048 || hash_for(cfg, url, h) != 0 || strcmp(h, hash))
        return 0;
    *found = strdup(url);
    return 1;
}

/* The server URL these files are for, when the files tell it: a candidate
 * counts only when it hashes to their name. */
static char *server_of(const oauth_config_t *cfg, const char *dir, const char *hash)
{
    char *found = NULL;
    json_t *tokens = read_json(dir, hash, "tokens.json");
    json_t *aud = mcp_remote_token_audience(json_str(tokens, "access_token"));
    if (json_is_string(aud)) try_candidate(cfg, hash, json_string_value(aud), &found);
    size_t i;
    json_t *v;
    if (json_is_array(aud))
        json_array_foreach(aud, i, v) if (json_is_string(v))
            try_candidate(cfg, hash, json_string_value(v), &found);
    json_decref(aud);
    json_decref(tokens);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_debug.log", dir, hash);
    size_t len = 0;
    char *log = found ? NULL : read_bounded(path, LOG_MAX, &len);
    static const char mark[] = "Starting mcp-remote with server URL: ";
    for (char *p = log; p && !found && (p = strstr(p, mark)) != NULL;) {
        p += sizeof mark - 1;
        size_t ul = strcspn(p, " \r\n");
        char *url = strndup(p, ul);
        try_candidate(cfg, hash, url, &found);
        free(url);
        p += ul;
    }
    free(log);
    return found;
}

int mcp_remote_import(const oauth_config_t *cfg, keychain_t *store)
{
    char base[4096];
    if (config_base(base, sizeof base) != 0) {
        fprintf(stderr, "mcp-bridge: cannot tell where mcp-remote keeps its files: set HOME or "
                        "MCP_REMOTE_CONFIG_DIR\n");
        return 1;
    }
    char **dirs;
    size_t ndirs = store_dirs(base, &dirs);
    int imported = 0, failed = 0;
    if (cfg->server_url) {
        char hash[MCP_REMOTE_HASH_LEN + 1];
        const char *dir = NULL;
        char path[4096];
        struct stat st;
        int hashed = hash_for(cfg, cfg->server_url, hash) == 0;
        for (size_t i = 0; hashed && i < ndirs && !dir; i++) {
            snprintf(path, sizeof path, "%s/%s_tokens.json", dirs[i], hash);
            if (lstat(path, &st) == 0) dir = dirs[i];
        }
        if (!dir)
            printf("mcp-remote has no sign-in to %s with these options in %s (its files are "
                   "named by the URL exactly as given, --resource, --authorize-param and "
                   "--header: give the same ones).\n",
                   cfg->server_url, base);
        else if (import_one(cfg, store, cfg->server_url, dir, hash) == 0)
            imported++;
        else
            failed++;
    } else {
        for (size_t i = 0; i < ndirs; i++) {
            DIR *d = opendir(dirs[i]);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                const char *name = e->d_name;
                size_t hl = strspn(name, "0123456789abcdef");
                if (hl != MCP_REMOTE_HASH_LEN || strcmp(name + hl, "_tokens.json") != 0) continue;
                char hash[MCP_REMOTE_HASH_LEN + 1];
                memcpy(hash, name, hl);
                hash[hl] = 0;
                char *url = server_of(cfg, dirs[i], hash);
                if (!url) {
                    printf("Not imported: %s/%s: mcp-remote does not record which server it is "
                           "for; import it with: mcp-bridge import --from-mcp-remote <server-url> "
                           "(with the --resource, --authorize-param and --header options you "
                           "gave mcp-remote).\n",
                           dirs[i], name);
                    failed++;
                } else if (import_one(cfg, store, url, dirs[i], hash) == 0) {
                    imported++;
                } else {
                    failed++;
                }
                free(url);
            }
            if (d) closedir(d);
        }
        if (!imported && !failed) printf("mcp-remote has left no sign-in in %s.\n", base);
    }
    if (imported)
        printf("mcp-remote's files are left as they were: they are yours to delete (%s) once "
               "mcp-bridge works for you.\n",
               base);
    free_dirs(dirs, ndirs);
    return failed || (!imported && cfg->server_url) ? 1 : 0;
}
