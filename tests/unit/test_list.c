/* bridge/base/list.h: order, removal while walking, re-removal, counts. */
#include "bridge/base/list.h"
#include "check.h"

struct item {
    int v;
    list_node link;
};

int main(void)
{
    list_node q;
    list_init(&q);
    CHECK(list_empty(&q));
    CHECK(list_front(&q) == NULL);
    CHECK(list_pop_front(&q) == NULL);

    struct item it[5];
    for (int i = 0; i < 5; i++) {
        it[i].v = i;
        list_node_init(&it[i].link);
    }
    CHECK(!list_linked(&it[0].link));
    list_push_back(&q, &it[2].link);
    list_push_back(&q, &it[3].link);
    list_push_front(&q, &it[1].link);
    list_push_front(&q, &it[0].link);
    list_push_back(&q, &it[4].link);
    CHECK(list_count(&q) == 5);
    CHECK(list_linked(&it[4].link));

    int want = 0;
    LIST_FOR_EACH(n, &q) CHECK(LIST_ENTRY(n, struct item, link)->v == want++);
    CHECK(want == 5);

    /* Remove the odd ones while walking. */
    LIST_FOR_EACH_SAFE(n, tmp, &q)
    {
        struct item *x = LIST_ENTRY(n, struct item, link);
        if (x->v % 2) list_remove(n);
    }
    CHECK(list_count(&q) == 3);
    CHECK(!list_linked(&it[1].link));
    list_remove(&it[1].link); /* a second removal is harmless */
    CHECK(list_count(&q) == 3);

    int order[3], k = 0;
    list_node *n;
    while ((n = list_pop_front(&q)))
        order[k++] = LIST_ENTRY(n, struct item, link)->v;
    CHECK(k == 3 && order[0] == 0 && order[1] == 2 && order[2] == 4);
    CHECK(list_empty(&q));
    return CHECK_DONE();
}
