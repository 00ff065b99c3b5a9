/* Admission of requests into curl: requests beyond the connection budget wait
 * in a queue of ours, one per origin, and are handed to curl oldest first as
 * others finish, an origin at its full share waiting without holding up the
 * others. (curl's own queue would count the wait against the request's
 * timeouts, and how fast it drains differs between versions.) */
#include "bridge/base/err.h"
#include "bridge/net/http_internal.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

/* How many connections may be open at once: half the descriptors left after
 * a reserve for stdio, files and the loop, at most 256. Without a cap, a few
 * thousand requests in flight each open a connection, and those past the
 * descriptor limit fail as if the server had refused them. The server's host
 * may use 7/8 of them, so that an authorization server can still be reached. */
long http_connection_budget(void)
{
    struct rlimit rl;
    long fds = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)LONG_MAX)
        fds = (long)rl.rlim_cur;
    long budget = (fds - 64) / 2;
    if (budget > 256) budget = 256;
    if (budget < 8) budget = 8;
    return budget;
}

/* scheme://host:port of a URL (what follows is cut at the first '/', '?' or '#'). */
origin_t *http_origin_of(http_client_t *c, const char *url)
{
    const char *p = strstr(url, "://");
    size_t n = p ? (size_t)(p + 3 - url) + strcspn(p + 3, "/?#") : strlen(url);
    LIST_FOR_EACH(node, &c->origins)
    {
        origin_t *o = LIST_ENTRY(node, origin_t, link);
        if (strlen(o->key) == n && !strncasecmp(o->key, url, n)) return o;
    }
    origin_t *o = calloc(1, sizeof *o);
    if (!o || !(o->key = strndup(url, n))) {
        free(o);
        return NULL;
    }
    list_init(&o->waiting);
    list_node_init(&o->link);
    list_push_front(&c->origins, &o->link);
    return o;
}

void http_origins_free(http_client_t *c)
{
    list_node *n;
    while ((n = list_pop_front(&c->origins))) {
        origin_t *o = LIST_ENTRY(n, origin_t, link);
        assert(list_empty(&o->waiting));
        free(o->key);
        free(o);
    }
}

void http_admit_enqueue(http_req_t *r)
{
    assert(r->origin && !r->added && !list_linked(&r->wait_link));
    r->seq = r->c->next_seq++;
    list_push_back(&r->origin->waiting, &r->wait_link);
}

void http_admit_unqueue(http_req_t *r)
{
    list_remove(&r->wait_link);
}

/* Out of curl: its place goes to the next request waiting. */
void http_admit_retire(http_req_t *r)
{
    assert(r->added);
    curl_multi_remove_handle(r->c->multi, r->easy);
    r->added = 0;
    r->c->active--;
    r->origin->active--;
}

/* The oldest waiting request whose origin has room, or NULL. Walks the origins,
 * a handful, not the requests. */
static http_req_t *next_admissible(http_client_t *c)
{
    http_req_t *best = NULL;
    LIST_FOR_EACH(n, &c->origins)
    {
        origin_t *o = LIST_ENTRY(n, origin_t, link);
        list_node *w = list_front(&o->waiting);
        if (!w || o->active >= c->max_per_origin) continue;
        http_req_t *r = LIST_ENTRY(w, http_req_t, wait_link);
        if (!best || r->seq < best->seq) best = r;
    }
    return best;
}

/* Hand waiting requests to curl, oldest first, while the budget allows. Not
 * from inside curl (depth 0 only). */
void http_admit_waiting(http_client_t *c)
{
    assert(c->depth == 0);
    if (c->closing) return;
    http_client_enter(c);
    http_req_t *r;
    while (!c->closing && c->active < c->max_active && (r = next_admissible(c))) {
        list_remove(&r->wait_link);
        if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
            /* Only out of memory: report it as this request's end. */
            http_req_finish(r, BRIDGE_ENOMEM, "out of memory");
            continue; /* on_done may have changed the queues: next_admissible looks again */
        }
        r->added = 1;
        c->active++;
        r->origin->active++;
        r->last_activity = uv_now(c->loop); /* the limits count from here */
    }
    http_client_leave(c);
}
