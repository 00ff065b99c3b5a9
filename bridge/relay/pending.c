/* The table of requests awaiting responses and the assembly of batch replies:
 * see pending.h. */
#include "bridge/relay/pending.h"
#include "bridge/base/jsonrpc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

batch_t *batch_new(size_t expected)
{
    assert(expected > 0);
    batch_t *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    buf_init(&b->reply, 0);
    b->expected = expected;
    return b;
}

char *batch_add(batch_t *b, char *json, size_t len, size_t *reply_len)
{
    assert(b->got < b->expected);
    buf_append_byte(&b->reply, b->got ? ',' : '[');
    buf_append(&b->reply, json, len);
    free(json);
    if (++b->got < b->expected) return NULL;
    buf_append_byte(&b->reply, ']');
    *reply_len = b->reply.len;
    char *reply = buf_steal(&b->reply);
    free(b);
    return reply;
}

void batch_free(batch_t *b)
{
    if (!b) return;
    buf_free(&b->reply);
    free(b);
}

void pending_table_init(pending_table_t *t)
{
    list_init(&t->all);
    t->count = 0;
}

pending_t *pending_find(const pending_table_t *t, const char *key)
{
    LIST_FOR_EACH (n, &t->all) {
        pending_t *p = LIST_ENTRY(n, pending_t, link);
        if (!strcmp(p->id_key, key)) return p;
    }
    return NULL;
}

pending_t *pending_add(pending_table_t *t, json_t *id, const char *method, batch_t *b)
{
    pending_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->id_key = jr_id_key(id);
    p->method = strdup(method ? method : "");
    if (!p->id_key || !p->method) {
        free(p->id_key);
        free(p->method);
        free(p);
        return NULL;
    }
    assert(!pending_find(t, p->id_key));
    p->id = json_incref(id);
    p->batch = b;
    list_node_init(&p->link);
    list_push_front(&t->all, &p->link);
    t->count++;
    return p;
}

void pending_remove(pending_table_t *t, pending_t *p)
{
    assert(t->count > 0 && list_linked(&p->link));
    list_remove(&p->link);
    t->count--;
    free(p->id_key);
    json_decref(p->id);
    free(p->method);
    free(p->wire_key);
    json_decref(p->orig);
    json_decref(p->mrtr_responses);
    json_decref(p->mrtr_state);
    free(p);
}

pending_t *pending_find_wire(const pending_table_t *t, const char *key)
{
    pending_t *plain = NULL;
    LIST_FOR_EACH (n, &t->all) {
        pending_t *p = LIST_ENTRY(n, pending_t, link);
        if (p->wire_key && !strcmp(p->wire_key, key)) return p;
        if (!p->wire_key && !plain && !strcmp(p->id_key, key)) plain = p;
    }
    return plain;
}

pending_t *pending_first(const pending_table_t *t)
{
    list_node *n = list_front(&t->all);
    return n ? LIST_ENTRY(n, pending_t, link) : NULL;
}

void pending_table_clear(pending_table_t *t)
{
    pending_t *p;
    while ((p = pending_first(t)))
        pending_remove(t, p);
    assert(t->count == 0);
}
