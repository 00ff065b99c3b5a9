/* The relay's table of requests awaiting responses, and batch replies. */
#include "bridge/base/jsonrpc.h"
#include "bridge/relay/pending.h"
#include "check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pending_t *find_id(pending_table_t *t, json_t *id)
{
    char *key = jr_id_key(id);
    pending_t *p = key ? pending_find(t, key) : NULL;
    free(key);
    return p;
}

/* Strings and integers are the ids the relay accepts; "1" and 1 are different
 * requests. */
static void test_id_types(void)
{
    pending_table_t t;
    pending_table_init(&t);
    json_t *ids[] = {json_integer(1),         json_string("1"),
                     json_integer(0),         json_integer(-7),
                     json_string(""),         json_string("é"),
                     json_integer(INT64_MAX), json_string("with \"quotes\" and \\")};
    size_t n = sizeof ids / sizeof ids[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(find_id(&t, ids[i]) == NULL);
        pending_t *p = pending_add(&t, ids[i], "tools/call", NULL);
        CHECK(p != NULL);
        CHECK(p && json_equal(p->id, ids[i]));
        CHECK_STR(p ? p->method : NULL, "tools/call");
    }
    CHECK(t.count == (long)n);
    for (size_t i = 0; i < n; i++) {
        pending_t *p = find_id(&t, ids[i]);
        CHECK(p != NULL && json_equal(p->id, ids[i]));
    }
    /* An id with no key (null, a real, an object) is never recorded. */
    json_t *bad[] = {json_null(), json_real(1.5), json_object(), json_true()};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(pending_add(&t, bad[i], "ping", NULL) == NULL);
        json_decref(bad[i]);
    }
    CHECK(t.count == (long)n);
    /* The table holds its own reference to each id. */
    for (size_t i = 0; i < n; i++)
        json_decref(ids[i]);
    pending_t *p = pending_first(&t);
    CHECK(p && json_is_string(p->id)); /* newest first: the last one added */
    pending_table_clear(&t);
    CHECK(t.count == 0 && pending_first(&t) == NULL);
}

/* A duplicate is found before it is added; a removed id can be used again. */
static void test_duplicates_and_removal(void)
{
    pending_table_t t;
    pending_table_init(&t);
    json_t *a = json_string("a"), *b = json_integer(2);
    pending_t *pa = pending_add(&t, a, "initialize", NULL);
    pending_t *pb = pending_add(&t, b, NULL, NULL);
    CHECK(pa && pb);
    CHECK_STR(pb ? pb->method : NULL, "");
    CHECK(find_id(&t, a) == pa);
    json_t *a2 = json_string("a");
    CHECK(find_id(&t, a2) == pa); /* what the relay asks before adding */
    pending_remove(&t, pa);
    CHECK(t.count == 1);
    CHECK(find_id(&t, a) == NULL);
    CHECK(find_id(&t, b) == pb);
    pending_t *again = pending_add(&t, a2, "tools/list", NULL);
    CHECK(again != NULL && find_id(&t, a) == again);
    pending_remove(&t, pb);
    pending_remove(&t, again);
    CHECK(t.count == 0 && pending_first(&t) == NULL);
    json_decref(a);
    json_decref(a2);
    json_decref(b);
}

static char *dup_str(const char *s)
{
    return strdup(s);
}

/* Responses go into the reply in the order they are completed; the reply comes
 * out once, with the last one. */
static void test_batch(void)
{
    batch_t *b = batch_new(3);
    size_t len = 0;
    CHECK(b != NULL);
    CHECK(batch_add(b, dup_str("{\"id\":2}"), 8, &len) == NULL);
    CHECK(batch_add(b, dup_str("{\"id\":\"x\"}"), 10, &len) == NULL);
    char *reply = batch_add(b, dup_str("{\"id\":1}"), 8, &len);
    CHECK_STR(reply, "[{\"id\":2},{\"id\":\"x\"},{\"id\":1}]");
    CHECK(reply && len == strlen(reply));
    free(reply);

    b = batch_new(1);
    reply = batch_add(b, dup_str("{}"), 2, &len);
    CHECK_STR(reply, "[{}]");
    free(reply);

    /* Pending requests share their batch; removing them leaves it alone. */
    pending_table_t t;
    pending_table_init(&t);
    b = batch_new(2);
    json_t *i1 = json_integer(1), *i2 = json_integer(2);
    pending_t *p1 = pending_add(&t, i1, "ping", b), *p2 = pending_add(&t, i2, "ping", b);
    CHECK(p1 && p2 && p1->batch == b && p2->batch == b);
    pending_remove(&t, p2);
    pending_remove(&t, p1);
    CHECK(batch_add(b, dup_str("1"), 1, &len) == NULL);
    batch_free(b);
    json_decref(i1);
    json_decref(i2);
}

/* Many requests at once (the default --max-pending is 1024): every one is found
 * until it is removed, in any order. */
static void test_growth(void)
{
    enum { N = 5000 };
    pending_table_t t;
    pending_table_init(&t);
    for (int i = 0; i < N; i++) {
        json_t *id = (i % 2) ? json_integer(i) : json_sprintf("req-%d", i);
        CHECK(pending_add(&t, id, "tools/call", NULL) != NULL);
        json_decref(id);
    }
    CHECK(t.count == N);
    int found = 0;
    for (int i = 0; i < N; i++) {
        char key[32];
        if (i % 2)
            snprintf(key, sizeof key, "n:%d", i);
        else
            snprintf(key, sizeof key, "s:req-%d", i);
        pending_t *p = pending_find(&t, key);
        if (p && !strcmp(p->id_key, key)) found++;
    }
    CHECK(found == N);
    /* Remove every third, then check what is left. */
    for (int i = 0; i < N; i += 3) {
        char key[32];
        snprintf(key, sizeof key, i % 2 ? "n:%d" : "s:req-%d", i);
        pending_t *p = pending_find(&t, key);
        CHECK(p != NULL);
        if (p) pending_remove(&t, p);
    }
    CHECK(t.count == N - (N + 2) / 3);
    int left = 0, gone = 0;
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, i % 2 ? "n:%d" : "s:req-%d", i);
        if (pending_find(&t, key))
            left++;
        else if (i % 3 == 0)
            gone++;
    }
    CHECK(left == t.count && gone == (N + 2) / 3);
    pending_table_clear(&t);
    CHECK(t.count == 0);
}

int main(void)
{
    test_id_types();
    test_duplicates_and_removal();
    test_batch();
    test_growth();
    return CHECK_DONE();
}
