/* Which certificate authorities the bridge trusts and which client certificate
 * it presents, for every HTTPS request (MCP server and authorization server
 * alike): --cacert, --cert/--key and the variables users of other tools set. */
#ifndef MCP_BRIDGE_TLS_H
#define MCP_BRIDGE_TLS_H

#include <stddef.h>

typedef struct tls_config {
    /* A bundle that replaces the system CAs (--cacert, $CURL_CA_BUNDLE or
     * $SSL_CERT_FILE), or NULL. Unused when ca_blob is set. */
    char *ca_file;
    /* With $NODE_EXTRA_CA_CERTS: the base bundle (ca_file or the system one)
     * followed by the extra certificates, PEM, in memory. */
    char *ca_blob;
    size_t ca_blob_len;
    int replace_system; /* a bundle replaces the system CAs: no CA directory either */
    /* With OpenSSL: the same CAs parsed once, on the first TLS handshake, into
     * the one certificate store every connection verifies against (a private
     * structure; see tls.c). NULL without NODE_EXTRA_CA_CERTS or a replacing
     * bundle (libcurl's defaults apply), and when libcurl's TLS library is not
     * OpenSSL (ca_file or ca_blob apply). */
    void *ca_store;
    char *cert, *key; /* mutual TLS: PEM client certificate and its key */
    /* Where the trust came from, to tell the user (tls_config_describe). */
    const char *base_source; /* "--cacert", "CURL_CA_BUNDLE", "SSL_CERT_FILE" or NULL */
    char *base_path, *extra_path;
} tls_config_t;

/* Decide the trust and client identity from the options (any may be NULL) and
 * the environment: --cacert > $CURL_CA_BUNDLE > $SSL_CERT_FILE > the system
 * CAs, plus $NODE_EXTRA_CA_CERTS added to whichever applies. Every file named
 * is read and its first certificate checked now, so a wrong path is one
 * sentence in err at start; parsing a whole bundle (a system bundle takes tens
 * of milliseconds) waits for the first TLS handshake.
 * Returns 0 or a negative BRIDGE_E* code. */
int tls_config_load(tls_config_t *t, const char *cacert, const char *cert, const char *key,
                    char *err, size_t errlen);
void tls_config_free(tls_config_t *t);

/* What servers are verified against, as a phrase for `doctor` ("the system's
 * certificates", "the certificates in FILE (--cacert)", ...), into buf. */
const char *tls_config_describe(const tls_config_t *t, char *buf, size_t n);

/* Set the options on a libcurl easy handle (a CURL *; void here so callers
 * need not include curl). A NULL or empty config leaves libcurl's defaults.
 * With OpenSSL, the trust is the shared ca_store; with another TLS library,
 * ca_file or ca_blob. The handle borrows t's memory: t must outlive it. */
void tls_config_apply(const tls_config_t *t, void *easy);

#endif
