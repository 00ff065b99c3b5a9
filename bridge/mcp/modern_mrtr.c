/* The JSON of the 2026-07-28 revision's multi round-trip requests (an
 * InputRequiredResult checked, a request retried with the answers) and of
 * subscriptions/listen (its parameters, its notifications for an older
 * host); see modern.h. */
#include "bridge/base/err.h"
#include "bridge/mcp/modern.h"
#include "bridge/mcp/modern_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* The most input requests one InputRequiredResult may carry. */
#define MRTR_MAX_INPUT_REQUESTS 16
/* How much of an outside key or method a reason quotes. */
#define MRTR_QUOTE_MAX 64

static const char *const mrtr_methods[] = {"elicitation/create", "sampling/createMessage",
                                           "roots/list"};

/* ---- Multi round-trip requests ---- */

int mrtr_is_input_required(json_t *result)
{
    const char *type = modern_exact_string(json_object_get(result, "resultType"));
    return type != NULL && strcmp(type, "input_required") == 0;
}

/* Quote at most MRTR_QUOTE_MAX bytes of s into out (size MRTR_QUOTE_MAX + 4):
 * cut on a UTF-8 character boundary so the reason stays valid UTF-8, control
 * characters shown as '?', "..." when cut. */
static void quote_bounded(char *out, const char *s)
{
    size_t len = strlen(s), take = len;
    if (take > MRTR_QUOTE_MAX) {
        take = MRTR_QUOTE_MAX;
        while (take > 0 && ((unsigned char)s[take] & 0xC0) == 0x80)
            take--;
    }
    for (size_t i = 0; i < take; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    strcpy(out + take, take < len ? "..." : "");
}

/* Cut an incomplete UTF-8 character off the end of s (snprintf may have cut
 * one in two), so the reason can go into a JSON string. */
static void trim_partial_utf8(char *s)
{
    size_t len = strlen(s), lead = len;
    while (lead > 0 && len - lead < 4 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0) return;
    unsigned char c = (unsigned char)s[lead - 1];
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len - (lead - 1) < need) s[lead - 1] = '\0';
}

static int mrtr_refuse(char *why, size_t n, const char *reason)
{
    if (why && n > 0) snprintf(why, n, "%s", reason);
    return BRIDGE_EPROTO;
}

/* A refusal naming the inputRequests entry key (and the method it asks for,
 * when not NULL), both quoted within bounds. */
static int mrtr_refuse_entry(char *why, size_t n, const char *key, const char *method,
                             const char *problem)
{
    if (why && n > 0) {
        char qkey[MRTR_QUOTE_MAX + 4], qmethod[MRTR_QUOTE_MAX + 4];
        quote_bounded(qkey, key);
        if (method) {
            quote_bounded(qmethod, method);
            snprintf(why, n, "inputRequests entry \"%s\" asks for \"%s\", %s", qkey, qmethod,
                     problem);
        } else {
            snprintf(why, n, "inputRequests entry \"%s\" %s", qkey, problem);
        }
        trim_partial_utf8(why);
    }
    return BRIDGE_EPROTO;
}

static int mrtr_method_known(const char *m)
{
    for (size_t i = 0; m && i < sizeof mrtr_methods / sizeof *mrtr_methods; i++) {
        if (strcmp(m, mrtr_methods[i]) == 0) return 1;
    }
    return 0;
}

int mrtr_validate(json_t *result, char *why, size_t n)
{
    if (!json_is_object(result))
        return mrtr_refuse(why, n, "the input-required result is not an object");
    json_t *requests = json_object_get(result, "inputRequests");
    json_t *state = json_object_get(result, "requestState");
    if (!requests && !state)
        return mrtr_refuse(why, n,
                           "the input-required result has neither inputRequests nor requestState");
    if (state && !json_is_string(state)) return mrtr_refuse(why, n, "requestState is not a string");
    if (!requests) return 0;
    if (!json_is_object(requests)) return mrtr_refuse(why, n, "inputRequests is not an object");
    if (json_object_size(requests) > MRTR_MAX_INPUT_REQUESTS) {
        if (why && n > 0)
            snprintf(why, n, "inputRequests has %zu entries, more than the %d the bridge takes",
                     json_object_size(requests), MRTR_MAX_INPUT_REQUESTS);
        return BRIDGE_EPROTO;
    }
    const char *key;
    json_t *req;
    json_object_foreach (requests, key, req) {
        if (!json_is_object(req)) return mrtr_refuse_entry(why, n, key, NULL, "is not an object");
        json_t *method_value = json_object_get(req, "method");
        if (!json_is_string(method_value))
            return mrtr_refuse_entry(why, n, key, NULL, "has no method string");
        const char *method = json_string_value(method_value);
        if (!modern_exact_string(method_value) || !mrtr_method_known(method))
            return mrtr_refuse_entry(
                why, n, key, method,
                "not one of elicitation/create, sampling/createMessage, roots/list");
        json_t *params = json_object_get(req, "params");
        if (params && !json_is_object(params))
            return mrtr_refuse_entry(why, n, key, NULL, "has params that are not an object");
    }
    return 0;
}

json_t *mrtr_retry(json_t *orig, json_t *new_id, json_t *responses, json_t *state)
{
    if (!json_is_object(orig) || !new_id) return NULL;
    json_t *params = json_object_get(orig, "params");
    if (params && !json_is_null(params) && !json_is_object(params)) return NULL;

    json_t *out = json_deep_copy(orig);
    if (!out) return NULL;
    json_t *p = json_object_get(out, "params");
    if (!json_is_object(p)) {
        p = json_object();
        if (!p || json_object_set_new(out, "params", p) != 0) goto fail;
    }
    json_object_del(p, "inputResponses");
    json_object_del(p, "requestState");
    json_t *id = json_deep_copy(new_id);
    if (!id || json_object_set_new(out, "id", id) != 0) goto fail;
    if (responses) {
        json_t *r = json_deep_copy(responses);
        if (!r || json_object_set_new(p, "inputResponses", r) != 0) goto fail;
    }
    /* requestState goes back exactly as the server sent it: the same string. */
    if (json_is_string(state) && json_object_set_new(p, "requestState", json_deep_copy(state)) != 0)
        goto fail;
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* ---- Subscriptions ---- */

json_t *modern_listen_params(int tools, int prompts, int resources, json_t *uris)
{
    json_t *filter = json_object();
    json_t *params = json_object();
    if (!filter || !params || json_object_set_new(params, "notifications", filter) != 0) {
        if (!params) json_decref(filter);
        json_decref(params);
        return NULL;
    }
    int rc = 0;
    if (tools) rc |= json_object_set_new(filter, "toolsListChanged", json_true());
    if (prompts) rc |= json_object_set_new(filter, "promptsListChanged", json_true());
    if (resources) rc |= json_object_set_new(filter, "resourcesListChanged", json_true());

    if (rc == 0 && json_is_array(uris)) {
        json_t *list = json_array();
        size_t i;
        json_t *u;
        if (!list) rc = -1;
        json_array_foreach (uris, i, u) {
            if (rc != 0) break;
            if (json_is_string(u)) rc = json_array_append_new(list, json_deep_copy(u));
        }
        if (rc == 0 && json_array_size(list) > 0)
            rc = json_object_set(filter, "resourceSubscriptions", list);
        json_decref(list);
    }
    if (rc != 0) {
        json_decref(params);
        return NULL;
    }
    return params;
}

int modern_listen_note_for_host(json_t *note)
{
    const char *method = json_string_value(json_object_get(note, "method"));
    if (!method) return 0; /* not a notification: nothing a host could take */
    if (strcmp(method, "notifications/subscriptions/acknowledged") == 0) return 0;
    json_t *meta = json_object_get(json_object_get(note, "params"), "_meta");
    if (json_is_object(meta)) {
        json_object_del(meta, MODERN_META_SUBSCRIPTION);
        if (json_object_size(meta) == 0) json_object_del(json_object_get(note, "params"), "_meta");
    }
    return 1;
}
