/* Which CAs the bridge trusts: --cacert > $CURL_CA_BUNDLE > $SSL_CERT_FILE
 * replace the system bundle, $NODE_EXTRA_CA_CERTS adds to whichever applies
 * (including the system bundle itself). Certificates come from the system
 * bundle, split into files. */
#include "bridge/net/tls.h"
#include "check.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    if (p) p[n] = 0;
    *len = (size_t)n;
    return p;
}

/* The i-th PEM certificate block of text, written to path; returns its text. */
static char *write_block(const char *text, int i, const char *path)
{
    const char *end_marker = "-----END CERTIFICATE-----\n";
    const char *b = strstr(text, "-----BEGIN CERTIFICATE-----");
    for (; b && i > 0; i--)
        b = strstr(b + 1, "-----BEGIN CERTIFICATE-----");
    const char *e = b ? strstr(b, end_marker) : NULL;
    if (!e) return NULL;
    size_t n = (size_t)(e + strlen(end_marker) - b);
    char *block = strndup(b, n);
    FILE *f = fopen(path, "w");
    if (!f || !block) return NULL;
    fputs(block, f);
    fclose(f);
    return block;
}

static void clear_env(void)
{
    unsetenv("CURL_CA_BUNDLE");
    unsetenv("SSL_CERT_FILE");
    unsetenv("NODE_EXTRA_CA_CERTS");
}

int main(void)
{
    CURL *e = curl_easy_init();
    char *sys_path = NULL;
    curl_easy_getinfo(e, CURLINFO_CAINFO, &sys_path);
    size_t sys_len = 0;
    char *sys = sys_path ? slurp(sys_path, &sys_len) : NULL;
    curl_easy_cleanup(e);
    CHECK(sys != NULL); /* the tests need the system bundle (ca-certificates) */
    if (!sys) return CHECK_DONE();

    char dir[] = "/tmp/mcp-bridge-tls-XXXXXX", first[64], second[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(first, sizeof first, "%s/first.pem", dir);
    snprintf(second, sizeof second, "%s/second.pem", dir);
    char *a = write_block(sys, 0, first), *b = write_block(sys, 1, second);
    CHECK(a && b);
    tls_config_t t;
    char err[512];

    clear_env();
    CHECK(tls_config_load(&t, NULL, NULL, NULL, err, sizeof err) == 0);
    CHECK(!t.ca_file && !t.ca_blob && !t.replace_system && !t.cert);
    tls_config_free(&t);

    /* The option wins over both variables, CURL_CA_BUNDLE over SSL_CERT_FILE. */
    setenv("CURL_CA_BUNDLE", second, 1);
    setenv("SSL_CERT_FILE", second, 1);
    CHECK(tls_config_load(&t, first, NULL, NULL, err, sizeof err) == 0);
    CHECK_STR(t.ca_file, first);
    CHECK(t.replace_system && !t.ca_blob);
    tls_config_free(&t);
    setenv("CURL_CA_BUNDLE", first, 1);
    CHECK(tls_config_load(&t, NULL, NULL, NULL, err, sizeof err) == 0);
    CHECK_STR(t.ca_file, first);
    tls_config_free(&t);
    unsetenv("CURL_CA_BUNDLE");
    CHECK(tls_config_load(&t, NULL, NULL, NULL, err, sizeof err) == 0);
    CHECK_STR(t.ca_file, second);
    CHECK(t.replace_system);
    tls_config_free(&t);

    /* NODE_EXTRA_CA_CERTS alone: the system bundle, then the extra one. */
    clear_env();
    setenv("NODE_EXTRA_CA_CERTS", second, 1);
    CHECK(tls_config_load(&t, NULL, NULL, NULL, err, sizeof err) == 0);
    CHECK(!t.replace_system && !t.ca_file);
    CHECK(t.ca_blob && t.ca_blob_len == sys_len + 1 + strlen(b) + 1);
    CHECK(t.ca_blob && !memcmp(t.ca_blob, sys, sys_len));
    CHECK(t.ca_blob && !memcmp(t.ca_blob + sys_len + 1, b, strlen(b)));
    tls_config_free(&t);

    /* NODE_EXTRA_CA_CERTS with a replacing bundle: that bundle, then the extra one. */
    CHECK(tls_config_load(&t, first, NULL, NULL, err, sizeof err) == 0);
    CHECK(t.replace_system && !t.ca_file);
    char said[512], want[512];
    snprintf(
        want, sizeof want,
        "the certificates in %s given by --cacert plus those in %s given by NODE_EXTRA_CA_CERTS",
        first, second);
    CHECK_STR(tls_config_describe(&t, said, sizeof said), want);
    CHECK(t.ca_blob && t.ca_blob_len == strlen(a) + 1 + strlen(b) + 1);
    CHECK(t.ca_blob && !memcmp(t.ca_blob, a, strlen(a)) &&
          !memcmp(t.ca_blob + strlen(a) + 1, b, strlen(b)));
    tls_config_free(&t);

    /* Files that cannot be used: one sentence naming the source and the path. */
    clear_env();
    CHECK(tls_config_load(&t, "/nonexistent/ca.pem", NULL, NULL, err, sizeof err) < 0);
    CHECK(strstr(err, "--cacert: cannot read /nonexistent/ca.pem") != NULL);
    setenv("SSL_CERT_FILE", dir, 1); /* a directory */
    CHECK(tls_config_load(&t, NULL, NULL, NULL, err, sizeof err) < 0);
    CHECK(strncmp(err, "SSL_CERT_FILE: ", 15) == 0);
    clear_env();
    CHECK(tls_config_load(&t, NULL, first, NULL, err, sizeof err) < 0); /* no key in it */
    CHECK(strstr(err, "holds no PEM private key") != NULL);
    CHECK(t.ca_file == NULL && t.cert == NULL);

    unlink(first);
    unlink(second);
    rmdir(dir);
    free(a);
    free(b);
    free(sys);
    return CHECK_DONE();
}
