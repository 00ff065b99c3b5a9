/* Which revision the server speaks, found out as the 2026-07-28 versioning
 * page says: a modern request first (server/discover), and a fall back to
 * initialize only when the answer is not a recognised modern one. The answer
 * is recorded per server URL so that the next start does not ask again; a
 * record that stops working is asked again. Also the header lines every
 * message to the server carries (Mcp-Method, Mcp-Name, ...). */
#include "bridge/relay/relay_impl.h"
#include "bridge/base/err.h"
#include "bridge/base/log.h"
#include "bridge/base/privfile.h"
#include "bridge/mcp/modern.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PROBE_SENDS 3

/* ---- the record: $XDG_CACHE_HOME/mcp-bridge/era/<sha256(url)> ---- */

int relay_cache_path(const relay_t *r, const char *kind, char *dir, size_t dn, char *file,
                     size_t fn)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg == '/')
        n = snprintf(dir, dn, "%s/mcp-bridge/%s", xdg, kind);
    else if (home && *home)
        n = snprintf(dir, dn, "%s/.cache/mcp-bridge/%s", home, kind);
    else
        return BRIDGE_EINVAL;
    if (n < 0 || (size_t)n >= dn) return BRIDGE_ETOOBIG;
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)r->cfg->url, strlen(r->cfg->url), md);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    n = snprintf(file, fn, "%s/%s", dir, hex);
    return n < 0 || (size_t)n >= fn ? BRIDGE_ETOOBIG : 0;
}

static void record_write(relay_t *r, const char *what)
{
    char dir[1024], file[1100];
    if (relay_cache_path(r, "era", dir, sizeof dir, file, sizeof file) != 0) return;
    if (!what) {
        unlink(file);
        return;
    }
    if (privdir_make(dir) != 0) return;
    char line[64];
    int n = snprintf(line, sizeof line, "%s\n", what);
    if (privfile_write(file, line, (size_t)n) != 0)
        log_debug("could not record the server's revision in %s", file);
}

static void record_read(relay_t *r)
{
    char dir[1024], file[1100], line[64] = "";
    if (relay_cache_path(r, "era", dir, sizeof dir, file, sizeof file) != 0) return;
    FILE *f = fopen(file, "r");
    if (!f) return;
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
    if (!strcmp(line, "legacy\n")) {
        r->era = ERA_LEGACY;
        r->era_cached = 1;
        log_debug("%s spoke a revision before 2026-07-28 last time; not asking again", r->cfg->url);
    } else if (!strncmp(line, "modern ", 7)) {
        r->era_cached = 1; /* the probe still runs: a 2025-era host's initialize needs it */
    }
}

void relay_era_init(relay_t *r)
{
    if (r->cfg->protocol_legacy || r->cfg->transport == TRANSPORT_SSE_ONLY ||
        r->cfg->transport == TRANSPORT_SSE_FIRST) {
        r->era = ERA_LEGACY;
        return;
    }
    record_read(r);
}

/* ---- header lines ---- */

int relay_msg_headers(relay_t *r, out_msg_t *m, json_t *msg, const char *method)
{
    char **lines = NULL;
    size_t n = 0;
    int rc;
    if (msg) {
        rc = mcp_request_headers(r->era == ERA_MODERN ? r->tool_headers : NULL, msg, &lines, &n);
    } else {
        /* Only the method: no need to look inside the message. */
        for (const char *c = method; *c; c++)
            if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) return BRIDGE_EINVAL;
        lines = malloc(sizeof *lines);
        rc = lines && (lines[0] = malloc(strlen(method) + 13)) ? 0 : BRIDGE_ENOMEM;
        if (!rc) {
            sprintf(lines[0], "Mcp-Method: %s", method);
            n = 1;
        }
    }
    if (rc) {
        if (lines) mcp_header_lines_free(lines, n);
        return rc;
    }
    if (r->era != ERA_MODERN && n && !strncmp(lines[0], "MCP-Protocol-Version:", 21)) {
        /* A session's version is the transport's to send. */
        free(lines[0]);
        memmove(lines, lines + 1, (n - 1) * sizeof *lines);
        n--;
    }
    mcp_header_lines_free(m->hdrs, m->nhdrs);
    m->hdrs = lines;
    m->nhdrs = n;
    return 0;
}

/* ---- the probe ---- */

/* A probe carries the modern headers whatever the era so far. */
static int probe_headers(out_msg_t *m, json_t *msg)
{
    char **lines = NULL;
    size_t n = 0;
    int rc = mcp_request_headers(NULL, msg, &lines, &n);
    if (rc) return rc;
    mcp_header_lines_free(m->hdrs, m->nhdrs);
    m->hdrs = lines;
    m->nhdrs = n;
    return 0;
}

/* The server's era is known now. A 2026 host given stand-ins during a sign-in
 * hears what changed (result: the server's DiscoverResult, when it sent one).
 * Returns 1 when p, the host's own server/discover, was answered then and is
 * forgotten now. */
static int set_era(relay_t *r, int era, const char *version, pending_t *p, json_t *result)
{
    r->era = era;
    r->era_cached = 0;
    if (era == ERA_MODERN) {
        free(r->modern_version);
        r->modern_version = strdup(version ? version : MODERN_VERSION);
        relay_modern_meta_changed(r);
        if (r->transport->ops->set_modern) r->transport->ops->set_modern(r->transport);
        char what[48];
        snprintf(what, sizeof what, "modern %s", r->modern_version ? r->modern_version : "");
        record_write(r, what);
        log_debug("%s speaks %s", r->cfg->url, r->modern_version);
    } else {
        record_write(r, "legacy");
        log_debug("%s speaks a revision before 2026-07-28", r->cfg->url);
    }
    return relay_signin_era_known(r, p, result);
}

/* The probe of a 2025-era host's initialize, or of a modern host's first
 * request that is not server/discover: a server/discover of the bridge's own
 * with what the host said of itself. */
static int send_probe(relay_t *r, json_t *host_msg, const char *version)
{
    json_t *params = json_object_get(host_msg, "params");
    json_t *caps, *client;
    if (r->host_era == ERA_MODERN) {
        json_t *meta = json_object_get(params, "_meta");
        caps = json_object_get(meta, MODERN_META_CAPS);
        client = json_object_get(meta, MODERN_META_CLIENT);
    } else {
        caps = json_object_get(params, "capabilities");
        client = json_object_get(params, "clientInfo");
    }
    char id[48];
    snprintf(id, sizeof id, "mcp-bridge-discover-%u", ++r->probe_seq);
    json_t *req = json_pack("{s:s, s:s, s:s, s:{}}", "jsonrpc", "2.0", "id", id, "method",
                            "server/discover", "params");
    char *body = NULL;
    if (req && modern_set_meta(req, version, json_is_object(caps) ? caps : NULL,
                               json_is_object(client) ? client : NULL, NULL) == 0)
        body = json_dumps(req, JSON_COMPACT);
    out_msg_t *m =
        body ? relay_msg_new(body, strlen(body), JR_REQUEST, json_object_get(req, "id")) : NULL;
    free(body);
    int rc = m ? probe_headers(m, req) : BRIDGE_ENOMEM;
    json_decref(req);
    if (rc) {
        relay_msg_free(m);
        return rc;
    }
    m->internal = INTERNAL_PROBE;
    free(r->probe_key);
    r->probe_key = strdup(m->id_key);
    r->probe_msg = m;
    r->probe_sends++;
    log_debug("asking %s which revisions it speaks (server/discover, %s)", r->cfg->url, version);
    if (relay_transport_send(r, m) != 0) {
        r->probe_msg = NULL;
        relay_msg_free(m);
        return BRIDGE_ENOMEM;
    }
    return 0;
}

/* What the host's first request says of it: initialize is the older
 * revisions'; server/discover, or _meta with a modern version, the new one. */
static void note_host(relay_t *r, const char *method, json_t *msg)
{
    if (r->host_era == ERA_UNKNOWN) {
        if (!strcmp(method, "initialize"))
            r->host_era = ERA_LEGACY;
        else if (!strcmp(method, "server/discover") ||
                 modern_version_is_modern(modern_meta_version(msg)))
            r->host_era = ERA_MODERN;
    }
    if (strcmp(method, "initialize") != 0) return;
    /* What a 2025-era host says of itself goes into every modern request. */
    json_t *params = json_object_get(msg, "params");
    json_t *caps = json_object_get(params, "capabilities");
    json_t *info = json_object_get(params, "clientInfo");
    json_t *version = json_object_get(params, "protocolVersion");
    json_decref(r->client_caps);
    json_decref(r->client_info);
    r->client_caps = json_is_object(caps) ? json_deep_copy(caps) : NULL;
    r->client_info = json_is_object(info) ? json_deep_copy(info) : NULL;
    free(r->host_version);
    r->host_version = json_is_string(version) ? strdup(json_string_value(version)) : NULL;
    relay_modern_meta_changed(r);
}

static void fail_discover(relay_t *r, out_msg_t *m, pending_t *p)
{
    /* The host falls back to initialize on this error at once (stdio
     * Backward Compatibility), rather than after a timeout. */
    LIST_FOR_EACH (n, &r->pending.all)
        if (LIST_ENTRY(n, pending_t, link) == p) {
            p->msg = NULL;
            relay_pending_fail(r, p, JR_METHOD_NOT_FOUND,
                               "Method not found: the server speaks a revision before 2026-07-28 "
                               "(use initialize)");
            break;
        }
    relay_msg_free(m);
}

int relay_era_intercept(relay_t *r, out_msg_t *m, const char *method, pending_t *p)
{
    if (m->kind != JR_REQUEST || !method) return 0;
    if (r->era_cached && r->era == ERA_LEGACY && !strcmp(method, "server/discover")) {
        /* The record says "older", but a 2026 host asks: its own request is
         * the probe (it costs no more than the answer the record would give),
         * so a server that has moved on is not hidden from it. */
        r->era = ERA_UNKNOWN;
        r->era_cached = 0;
    }
    int first = r->host_era == ERA_UNKNOWN;
    if (!first && strcmp(method, "initialize") != 0 &&
        !(r->era == ERA_UNKNOWN && !r->probe_msg && !r->probe_held))
        goto decided;
    json_t *msg = json_loadb(m->body, m->len, 0, NULL);
    if (!msg) return 0;
    note_host(r, method, msg);
    int taken = 0;
    if (r->era == ERA_UNKNOWN && !r->probe_msg && !r->probe_held && r->host_era != ERA_UNKNOWN) {
        if (r->host_era == ERA_MODERN && !strcmp(method, "server/discover")) {
            /* The host's own probe tells the era. */
            if (probe_headers(m, msg) == 0) {
                m->shaped = 1;
                free(r->probe_key);
                r->probe_key = strdup(p->id_key);
                r->probe_msg = m;
                r->probe_sends++;
                relay_dispatch(r, m);
                taken = 1;
            }
        } else {
            const char *version = MODERN_VERSION;
            const char *v = modern_meta_version(msg);
            if (r->host_era == ERA_MODERN && modern_version_spoken(v)) version = v;
            if (send_probe(r, msg, version) == 0) {
                r->probe_held = m;
                taken = 1;
            }
        }
    }
    json_decref(msg);
    if (taken) return 1;
decided:
    if (r->era == ERA_LEGACY && r->host_era == ERA_MODERN && !strcmp(method, "server/discover")) {
        fail_discover(r, m, p);
        return 1;
    }
    return 0;
}

int relay_era_shape(relay_t *r, out_msg_t *m)
{
    if (m->shaped || m->internal) return 0;
    if (r->era == ERA_UNKNOWN && (r->probe_msg || r->probe_held)) {
        relay_waitq_push(r, m); /* sent once the era is known */
        return 1;
    }
    m->shaped = 1;
    json_t *id = NULL;
    const char *method = NULL;
    if (r->era != ERA_MODERN && r->host_era == ERA_MODERN && relay_up_host_message(r, m)) return 1;
    if (r->era != ERA_MODERN) {
        /* The older revisions: only Mcp-Method, which costs no decoding. */
        if (m->method && strcmp(r->transport->ops->name, "sse") != 0)
            relay_msg_headers(r, m, NULL, m->method);
        return 0;
    }
    char err[128];
    json_t *msg = jr_decode(m->body, m->len, err, sizeof err);
    jr_kind_t kind = msg ? jr_classify(msg, &id, &method, NULL) : JR_INVALID;
    if (kind == JR_INVALID || kind == JR_BATCH) {
        json_decref(msg);
        return 0;
    }
    int taken = relay_modern_host_message(r, m, msg, kind, method, m->pending, NULL);
    json_decref(msg);
    return taken;
}

/* The era is known: the held host message goes on. */
static void release_held(relay_t *r)
{
    out_msg_t *m = r->probe_held;
    r->probe_held = NULL;
    if (!m) {
        relay_flush_waitq(r); /* it was answered during a sign-in: what followed it goes */
        return;
    }
    if (r->era == ERA_MODERN && m->is_initialize) {
        pending_t *p = m->pending;
        relay_msg_free(m);
        if (p) {
            p->msg = NULL;
            if (!relay_signin_take_modern_init(r, p)) relay_modern_answer_initialize(r, p);
        }
        relay_host_init_settled(r);
        return;
    }
    relay_dispatch(r, m); /* shaped there for the era now known */
    relay_flush_waitq(r);
}

int relay_era_on_probe_response(relay_t *r, pending_t *p, json_t *root)
{
    out_msg_t *probe = r->probe_msg;
    int host_probe = probe && !probe->internal;
    json_t *params = NULL;
    const char *asked = MODERN_VERSION;
    if (probe) {
        json_t *sent = json_loadb(probe->body, probe->len, 0, NULL);
        const char *v = modern_meta_version(sent);
        if (v) asked = v;
        params = sent;
    }
    const char *found = NULL;
    modern_probe_t verdict = modern_classify_probe(root, asked, &found);
    char version[32] = ""; /* found may point into the probe, freed below */
    if (found) snprintf(version, sizeof version, "%s", found);
    int consumed = !host_probe;
    int no_result = !json_is_object(json_object_get(root, "result"));
    if (verdict == MODERN_PROBE_MODERN && no_result && !host_probe)
        verdict = MODERN_PROBE_RETRY; /* a modern server that refused something: ask again */
    if (verdict == MODERN_PROBE_RETRY && !host_probe && r->probe_sends < MAX_PROBE_SENDS) {
        json_decref(params);
        /* The report on the old probe comes later, and finds it gone. */
        r->probe_msg = NULL;
        json_t *held =
            r->probe_held ? json_loadb(r->probe_held->body, r->probe_held->len, 0, NULL) : NULL;
        if (!held || send_probe(r, held, version) != 0) {
            json_decref(held);
            set_era(r, ERA_LEGACY, NULL, NULL, NULL);
            release_held(r);
            return 1;
        }
        json_decref(held);
        return 1;
    }
    json_decref(params);
    r->probe_msg = NULL;
    if (verdict == MODERN_PROBE_LEGACY) {
        if (set_era(r, ERA_LEGACY, NULL, host_probe ? p : NULL, NULL)) {
            consumed = 1; /* the host was given a DiscoverResult during the sign-in */
        } else if (host_probe && p) {
            relay_pending_fail(r, p, JR_METHOD_NOT_FOUND,
                               "Method not found: the server speaks a revision before "
                               "2026-07-28 (use initialize)");
            consumed = 1;
        }
        relay_flush_waitq(r);
    } else {
        json_t *result = json_object_get(root, "result");
        if (!host_probe) {
            /* Without a DiscoverResult (it kept refusing), the host gets an
             * initialize result with no capabilities. */
            json_decref(r->discover);
            r->discover = json_is_object(result) ? json_incref(result) : json_object();
        }
        if (set_era(r, ERA_MODERN, version[0] ? version : NULL, host_probe ? p : NULL, result))
            consumed = 1; /* the host was given a DiscoverResult during the sign-in */
    }
    release_held(r);
    return consumed;
}

int relay_era_on_probe_sent(relay_t *r, out_msg_t *m, int rc, const char *why)
{
    int current = m == r->probe_msg;
    if (!current && !m->internal) return 0; /* a host request like any other */
    if (!current) {
        relay_msg_free(m); /* a probe replaced by a retry */
        return 1;
    }
    r->probe_msg = NULL;
    if (rc == 0) {
        /* Not answered at all (the response would have settled the era). */
        if (r->era == ERA_UNKNOWN) {
            set_era(r, ERA_LEGACY, NULL, NULL, NULL);
            release_held(r);
        }
        if (!m->internal) return 0; /* its pending request fails as usual */
        relay_msg_free(m);
        return 1;
    }
    if (m->status >= 400 && m->status != 401 && m->status != 403) {
        /* An HTTP error whose body is not a modern JSON-RPC error: an older
         * server (streamable-http.mdx, Backward Compatibility). */
        set_era(r, ERA_LEGACY, NULL, NULL, NULL);
        if (!m->internal)
            fail_discover(r, m, m->pending);
        else
            relay_msg_free(m);
        release_held(r);
        relay_flush_waitq(r);
        return 1;
    }
    /* The server could not be reached: what waited fails for that reason. */
    out_msg_t *held = r->probe_held;
    r->probe_held = NULL;
    if (m->internal)
        relay_msg_free(m);
    else
        relay_fail_msg(r, m, why);
    if (held) relay_fail_msg(r, held, why);
    return 1;
}

int relay_era_reprobe(relay_t *r, out_msg_t *m)
{
    if (!r->era_cached || r->era != ERA_LEGACY || !m->is_initialize || m->internal) return 0;
    log_debug("%s no longer answers as it did last time; asking which revision it speaks",
              r->cfg->url);
    record_write(r, NULL);
    r->era = ERA_UNKNOWN;
    r->era_cached = 0;
    json_t *msg = json_loadb(m->body, m->len, 0, NULL);
    int rc = msg ? send_probe(r, msg, MODERN_VERSION) : BRIDGE_ENOMEM;
    json_decref(msg);
    if (rc) {
        r->era = ERA_LEGACY;
        return 0;
    }
    r->probe_held = m;
    return 1;
}
