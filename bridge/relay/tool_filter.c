/* --ignore-tool: the tools hidden from the host, removed from tools/list
 * results (a tools/call of one is refused in host_input.c). */
#include "bridge/relay/relay_impl.h"
#include "bridge/relay/toolmatch.h"

int relay_tool_ignored(const relay_t *r, const char *name)
{
    for (size_t i = 0; name && i < r->cfg->ignore_tools_len; i++)
        if (toolmatch(r->cfg->ignore_tools[i], name)) return 1;
    return 0;
}

/* tools/list result without the ignored tools; NULL when nothing changed. */
char *relay_filter_tools(const relay_t *r, json_t *root)
{
    json_t *tools = json_object_get(json_object_get(root, "result"), "tools");
    if (!json_is_array(tools)) return NULL;
    int changed = 0;
    for (size_t i = json_array_size(tools); i-- > 0;) {
        json_t *name = json_object_get(json_array_get(tools, i), "name");
        if (json_is_string(name) && relay_tool_ignored(r, json_string_value(name))) {
            json_array_remove(tools, i);
            changed = 1;
        }
    }
    return changed ? json_dumps(root, JSON_COMPACT) : NULL;
}

/* Takes ownership of raw. */
