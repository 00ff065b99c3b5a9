/* Certificate authorities and client certificates for libcurl: chosen once at
 * start from the options and the environment, every file checked with OpenSSL
 * then, so a wrong path fails in one sentence rather than at the handshake.
 * A CA bundle given by the environment is parsed once, on the first handshake
 * (a start that speaks only plain HTTP never pays for it), into one
 * certificate store every TLS connection shares (see tls_config_apply). */
#include "bridge/net/tls.h"
#include "bridge/base/buf.h"
#include "bridge/base/err.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEM_FILE_MAX (16u * 1024 * 1024)

/* The whole of a PEM file, NUL-terminated. `what` names the option or variable. */
static int read_pem_file(const char *what, const char *path, buf_t *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read %s (%s)", what, path, strerror(errno));
        return BRIDGE_EIO;
    }
    char chunk[16384];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(out, chunk, n);
    int failed = ferror(f);
    fclose(f);
    OPENSSL_cleanse(chunk, sizeof chunk); /* a key file passes through here */
    if (rc == BRIDGE_ETOOBIG) {
        snprintf(err, errlen, "%s: %s is too large for a PEM file (over %u MiB)", what, path,
                 (unsigned)(out->max >> 20));
        return rc;
    }
    if (failed || rc) {
        snprintf(err, errlen, "%s: cannot read %s", what, path);
        return rc ? rc : BRIDGE_EIO;
    }
    if (!out->data && buf_append(out, "", 0)) return BRIDGE_ENOMEM;
    return 0;
}

/* The number of PEM certificates in p, counting at most max (0: all); *first
 * (when not NULL) gets the first, and every one goes into store (when not
 * NULL). */
static int count_certificates(const char *p, size_t len, X509 **first, X509_STORE *store, int max)
{
    BIO *bio = BIO_new_mem_buf(p, (int)len);
    int count = 0;
    X509 *x;
    while (bio && (!max || count < max) && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        if (store) X509_STORE_add_cert(store, x); /* takes its own reference */
        if (first && !*first)
            *first = x;
        else
            X509_free(x);
        count++;
    }
    BIO_free(bio);
    ERR_clear_error(); /* the loop ends on "no start line", or on a duplicate */
    return count;
}

/* A CA bundle: readable and starting with a certificate OpenSSL can read,
 * appended to out. The rest is parsed when a handshake first needs it. */
static int load_ca_bundle(const char *what, const char *path, buf_t *out, char *err, size_t errlen)
{
    size_t start = out->len;
    int rc = read_pem_file(what, path, out, err, errlen);
    if (rc) return rc;
    if (count_certificates(out->data + start, out->len - start, NULL, NULL, 1) == 0) {
        snprintf(err, errlen, "%s: %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", what,
                 path);
        return BRIDGE_EINVAL;
    }
    return buf_append_byte(out, '\n');
}

static int no_passphrase(char *buf, int size, int rwflag, void *ud)
{
    (void)buf, (void)size, (void)rwflag, (void)ud;
    return 0;
}

/* The client certificate and its key (the key may be in the certificate's file,
 * as curl allows): both parse and belong together. */
static int check_client_identity(const char *cert, const char *key, char *err, size_t errlen)
{
    buf_t b;
    buf_init_secret(&b, PEM_FILE_MAX);
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    int rc = read_pem_file("--cert", cert, &b, err, errlen);
    if (!rc && count_certificates(b.data, b.len, &x, NULL, 1) == 0) {
        snprintf(err, errlen, "--cert: %s holds no PEM certificate", cert);
        rc = BRIDGE_EINVAL;
    }
    if (!rc && key) {
        buf_free_secret(&b);
        buf_init_secret(&b, PEM_FILE_MAX);
        rc = read_pem_file("--key", key, &b, err, errlen);
    }
    const char *kname = key ? key : cert;
    if (!rc) {
        BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
        k = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
        BIO_free(bio);
        ERR_clear_error();
        if (!k && strstr(b.data, "ENCRYPTED")) {
            snprintf(err, errlen,
                     "--key: %s is protected by a passphrase, which mcp-bridge cannot ask for; "
                     "give it a decrypted copy (openssl pkey -in KEY -out NEWKEY)",
                     kname);
            rc = BRIDGE_EINVAL;
        } else if (!k) {
            snprintf(err, errlen, "--key: %s holds no PEM private key%s", kname,
                     key ? "" : " (give the key with --key FILE)");
            rc = BRIDGE_EINVAL;
        } else if (X509_check_private_key(x, k) != 1) {
            ERR_clear_error();
            snprintf(err, errlen, "--key: the key in %s does not belong to the certificate in %s",
                     kname, cert);
            rc = BRIDGE_EINVAL;
        }
    }
    EVP_PKEY_free(k);
    X509_free(x);
    buf_free_secret(&b);
    return rc;
}

static const char *env_path(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* libcurl's built-in CA bundle (CURLINFO_CAINFO) or directory (CURLINFO_CAPATH),
 * or NULL when it was built with none. */
static char *system_ca_location(CURLINFO which)
{
    CURL *e = curl_easy_init();
    char *path = NULL, *copy = NULL;
    if (e && curl_easy_getinfo(e, which, &path) == CURLE_OK && path) copy = strdup(path);
    curl_easy_cleanup(e);
    return copy;
}

/* Without a bundle that replaces them, the system's CAs include libcurl's CA
 * directory: the shared store looks certificates up there too, as libcurl
 * would (lazily: nothing is read until a handshake needs it). */
static void store_add_system_dir(X509_STORE *store)
{
#if LIBCURL_VERSION_NUM >= 0x075400 /* CURLINFO_CAPATH: 7.84.0 */
    char *dir = system_ca_location(CURLINFO_CAPATH);
    X509_LOOKUP *lookup = dir ? X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir()) : NULL;
    if (lookup) X509_LOOKUP_add_dir(lookup, dir, X509_FILETYPE_PEM);
    free(dir);
    ERR_clear_error();
#else
    (void)store;
#endif
}

/* Whether libcurl's TLS library is OpenSSL: other libraries also take an
 * SSL_CTX callback, but hand it a context of their own kind. */
static int curl_uses_openssl(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return v && v->ssl_version && !strncmp(v->ssl_version, "OpenSSL/", 8);
}

/* The shared store, made on the first handshake from the bundle text kept at
 * start. Only the loop's thread makes handshakes, so no lock is needed. */
typedef struct ca_store {
    const char *pem; /* the tls_config_t's ca_blob, or own_pem */
    size_t pem_len;
    char *own_pem;
    int add_system_dir;
    int failed;
    X509_STORE *store;
} ca_store_t;

static X509_STORE *ca_store_get(ca_store_t *c)
{
    if (c->store || c->failed) return c->store;
    c->store = X509_STORE_new();
    if (c->store && count_certificates(c->pem, c->pem_len, NULL, c->store, 0) > 0) {
        if (c->add_system_dir) store_add_system_dir(c->store);
        return c->store;
    }
    X509_STORE_free(c->store);
    c->store = NULL;
    c->failed = 1;
    return NULL;
}

static void ca_store_free(ca_store_t *c)
{
    if (c) {
        X509_STORE_free(c->store);
        free(c->own_pem);
    }
    free(c);
}

int tls_config_load(tls_config_t *t, const char *cacert, const char *cert, const char *key,
                    char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (key && !cert) {
        snprintf(err, errlen, "--key goes with --cert (the client certificate)");
        return BRIDGE_EINVAL;
    }
    /* Like curl: the option, then CURL_CA_BUNDLE, then SSL_CERT_FILE replace
     * the system CAs; Node's NODE_EXTRA_CA_CERTS adds to whatever applies. */
    const char *base_what = "--cacert", *base = cacert;
    if (!base && (base = env_path("CURL_CA_BUNDLE"))) base_what = "CURL_CA_BUNDLE";
    if (!base && (base = env_path("SSL_CERT_FILE"))) base_what = "SSL_CERT_FILE";
    const char *extra = env_path("NODE_EXTRA_CA_CERTS");
    buf_t b;
    buf_init(&b, 2 * PEM_FILE_MAX);
    int rc = 0;
    ca_store_t *store = NULL;
    if ((base || extra) && curl_uses_openssl() && !(store = calloc(1, sizeof *store)))
        rc = BRIDGE_ENOMEM;
    t->ca_store = store;
    if (!rc && base) {
        t->replace_system = 1;
        t->base_source = base_what;
        if (!(t->base_path = strdup(base))) rc = BRIDGE_ENOMEM;
    }
    if (!rc && extra && !(t->extra_path = strdup(extra))) rc = BRIDGE_ENOMEM;
    if (!rc && base) {
        rc = load_ca_bundle(base_what, base, &b, err, errlen);
        if (!rc && !extra && !(t->ca_file = strdup(base))) rc = BRIDGE_ENOMEM;
    }
    if (!rc && extra) {
        if (!base) {
            /* The system bundle is optional here: without one libcurl still
             * has its CA directory, which is left in place. */
            char *sys = system_ca_location(CURLINFO_CAINFO);
            char ignored[8];
            if (sys && load_ca_bundle("system CA bundle", sys, &b, ignored, sizeof ignored))
                buf_reset(&b);
            free(sys);
            if (store) store->add_system_dir = 1;
        }
        rc = load_ca_bundle("NODE_EXTRA_CA_CERTS", extra, &b, err, errlen);
    }
    /* The bundle text, for the store to parse on the first handshake; with
     * NODE_EXTRA_CA_CERTS also the blob libcurl would take without a store. */
    if (!rc && extra) {
        t->ca_blob_len = b.len;
        t->ca_blob = buf_steal(&b);
        if (store) store->pem = t->ca_blob;
        if (store) store->pem_len = t->ca_blob_len;
    } else if (!rc && store) {
        store->pem_len = b.len;
        store->pem = store->own_pem = buf_steal(&b);
    }
    buf_free(&b);
    if (!rc && cert) {
        rc = check_client_identity(cert, key, err, errlen);
        if (!rc && (!(t->cert = strdup(cert)) || (key && !(t->key = strdup(key)))))
            rc = BRIDGE_ENOMEM;
    }
    if (rc) tls_config_free(t);
    return rc;
}

void tls_config_free(tls_config_t *t)
{
    ca_store_free(t->ca_store);
    free(t->ca_file);
    free(t->ca_blob);
    free(t->cert);
    free(t->key);
    free(t->base_path);
    free(t->extra_path);
    memset(t, 0, sizeof *t);
}

const char *tls_config_describe(const tls_config_t *t, char *buf, size_t n)
{
    int len;
    if (t->base_path)
        len = snprintf(buf, n, "the certificates in %s given by %s", t->base_path, t->base_source);
    else
        len = snprintf(buf, n, "the system's certificates");
    if (t->extra_path && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len,
                        " plus those in %s given by NODE_EXTRA_CA_CERTS", t->extra_path);
    if (t->cert && len >= 0 && (size_t)len < n)
        snprintf(buf + len, n - (size_t)len, ", presenting the client certificate in %s", t->cert);
    return buf;
}

/* Every new TLS connection (to a server or an https:// proxy) verifies against
 * the one store, parsed on the first handshake: a reference, not a copy. */
static CURLcode attach_ca_store(CURL *e, void *ssl_ctx, void *ud)
{
    (void)e;
    X509_STORE *store = ca_store_get(ud);
    if (!store) return CURLE_SSL_CACERT_BADFILE;
    SSL_CTX_set1_cert_store(ssl_ctx, store);
    return CURLE_OK;
}

/* The shared store in place of CA files and blobs (there is a store only when
 * libcurl's TLS library is OpenSSL). Then libcurl neither parses a bundle for
 * each connection nor copies and compares a CA blob for each request. */
static int use_ca_store(const tls_config_t *t, CURL *e)
{
    if (!t->ca_store) return 0;
    if (curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, attach_ca_store) != CURLE_OK) return 0;
    curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, t->ca_store);
    curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(e, CURLOPT_PROXY_CAINFO, NULL);
    curl_easy_setopt(e, CURLOPT_PROXY_CAPATH, NULL);
    return 1;
}

void tls_config_apply(const tls_config_t *t, void *easy)
{
    CURL *e = easy;
    if (!t) return;
    /* The same trust for an https:// proxy (--enable-proxy) as for servers,
     * as Node applies NODE_EXTRA_CA_CERTS to both. */
    if (use_ca_store(t, e)) {
        /* done: the store holds every CA that applies */
    } else if (t->ca_blob) {
        /* Not copied: with the system bundle in it, it is large, and t outlives
         * every handle (see tls.h). */
        struct curl_blob blob = {t->ca_blob, t->ca_blob_len, CURL_BLOB_NOCOPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
        curl_easy_setopt(e, CURLOPT_PROXY_CAINFO_BLOB, &blob);
    } else if (t->ca_file) {
        curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
        curl_easy_setopt(e, CURLOPT_PROXY_CAINFO, t->ca_file);
    }
    if (t->replace_system) {
        curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
        curl_easy_setopt(e, CURLOPT_PROXY_CAPATH, NULL);
    }
    if (t->cert) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLKEY, t->key ? t->key : t->cert);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
}
