/* An intrusive, circular, doubly linked list: the one list the project uses.
 *
 * A structure that lives on a list embeds a list_node; the list's head is a
 * list_node of its own, linked to itself when empty. Insertion and removal are
 * O(1) and never allocate, so they cannot fail. A node that is on no list is
 * linked to itself (list_node_init, or after list_remove), which lets
 * list_remove be called on it again harmlessly.
 *
 *   struct req { list_node link; int id; };
 *   list_node q; list_init(&q);
 *   list_push_back(&q, &r->link);
 *   LIST_FOR_EACH_SAFE(n, tmp, &q) { struct req *x = LIST_ENTRY(n, struct req, link); ... }
 *
 * Removing the current node while walking needs LIST_FOR_EACH_SAFE; removing
 * any other node, or freeing the head, during a walk is not allowed. */
#ifndef MCP_BRIDGE_LIST_H
#define MCP_BRIDGE_LIST_H

#include <assert.h>
#include <stddef.h>

typedef struct list_node {
    struct list_node *prev, *next;
} list_node;

#define LIST_ENTRY(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

#define LIST_FOR_EACH(n, head) for (list_node *n = (head)->next; n != (head); n = n->next)
#define LIST_FOR_EACH_SAFE(n, tmp, head)                                                           \
    for (list_node *n = (head)->next, *tmp = n->next; n != (head); n = tmp, tmp = n->next)

static inline void list_init(list_node *head)
{
    head->prev = head->next = head;
}
static inline void list_node_init(list_node *n)
{
    n->prev = n->next = n;
}
static inline int list_empty(const list_node *head)
{
    return head->next == head;
}
/* Whether a node is on some list (it was inited, then pushed, and not removed). */
static inline int list_linked(const list_node *n)
{
    return n->next != n;
}

static inline void list_insert_before(list_node *at, list_node *n)
{
    assert(n->next == n || n->next == NULL); /* not on another list */
    n->prev = at->prev;
    n->next = at;
    at->prev->next = n;
    at->prev = n;
}
static inline void list_push_back(list_node *head, list_node *n)
{
    list_insert_before(head, n);
}
static inline void list_push_front(list_node *head, list_node *n)
{
    list_insert_before(head->next, n);
}

static inline void list_remove(list_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

/* The first node, or NULL when the list is empty. */
static inline list_node *list_front(const list_node *head)
{
    return list_empty(head) ? NULL : head->next;
}
static inline list_node *list_pop_front(list_node *head)
{
    list_node *n = list_front(head);
    if (n) list_remove(n);
    return n;
}
static inline size_t list_count(const list_node *head)
{
    size_t k = 0;
    for (const list_node *n = head->next; n != head; n = n->next)
        k++;
    return k;
}

#endif
