/* The help screens (--help, a subcommand's --help, `mcp-bridge help TOPIC`), written
 * from options_table[] and command_docs[] and wrapped to fit 80 columns. */
#include "bridge/cli/options.h"

#include <string.h>

#define HELP_WIDTH 79      /* characters on a line, before its newline */
#define OVERVIEW_INDENT 16 /* "Authentication: " */
#define OPTION_HELP_COL 31 /* "  " + a 28-column synopsis + " " */

/* "--name ARG" (a quoted ARG when it has spaces). */
static void option_synopsis(const opt_def_t *d, char *out, size_t n)
{
    const char *q = d->arg && strchr(d->arg, ' ') ? "\"" : "";
    snprintf(out, n, "--%s%s%s%s%s", d->name, d->arg ? " " : "", q, d->arg ? d->arg : "", q);
}

/* `text` from column `col` on, broken between words so no line passes HELP_WIDTH;
 * continuation lines start at column `indent`. Ends the line. */
static void print_wrapped(FILE *out, const char *text, size_t col, size_t indent)
{
    size_t start = col;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (col > start && col + 1 + word > HELP_WIDTH) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = start = indent;
        } else if (col > start) {
            fputc(' ', out);
            col++;
        }
        fwrite(text, 1, word, out);
        col += word;
        text += word;
        while (*text == ' ')
            text++;
    }
    fputc('\n', out);
}

static void print_option(const opt_def_t *d, FILE *out)
{
    char lhs[80];
    option_synopsis(d, lhs, sizeof lhs);
    size_t len = strlen(lhs);
    fprintf(out, "  %s", lhs);
    if (len > OPTION_HELP_COL - 3)
        fprintf(out, "\n%*s", OPTION_HELP_COL, "");
    else
        fprintf(out, "%*s", (int)(OPTION_HELP_COL - 2 - len), "");
    print_wrapped(out, d->help, OPTION_HELP_COL, OPTION_HELP_COL);
}

static void print_command(int c, FILE *out)
{
    fprintf(out, "mcp-bridge %s %s [options]\n    ", command_names[c], command_docs[c].args);
    print_wrapped(out, command_docs[c].help, 4, 4);
}

/* `help OPTION`: what it does, how it relates to mcp-remote, where it applies. */
static void print_option_topic(const opt_def_t *d, FILE *out)
{
    print_option(d, out);
    if (d->detail) {
        fputs("\n  ", out);
        print_wrapped(out, d->detail, 2, 2);
    }
    char line[512];
    if (d->remote == OPT_REMOTE_SAME)
        snprintf(line, sizeof line, "mcp-remote: --%s, the same.", d->name);
    else if (d->remote == OPT_REMOTE_DIFFERS)
        snprintf(line, sizeof line, "mcp-remote: --%s, which differs: %s.", d->name,
                 d->remote_note);
    else if (d->remote_note)
        snprintf(line, sizeof line, "mcp-remote: no --%s; %s.", d->name, d->remote_note);
    else
        snprintf(line, sizeof line, "mcp-remote: has no --%s.", d->name);
    fputs("\n  ", out);
    print_wrapped(out, line, 2, 2);
    size_t n = (size_t)snprintf(line, sizeof line, "Applies to:");
    for (int c = COMMAND_RELAY; c < COMMAND_COUNT && n < sizeof line; c++)
        if (d->commands & OPT_CMD(c))
            n += (size_t)snprintf(line + n, sizeof line - n, "%s %s", c ? "," : "",
                                  c ? command_names[c] : "relaying");
    fputs("  ", out);
    print_wrapped(out, line, 2, 2);
}

static void print_overview(FILE *out)
{
    fputs("Usage: mcp-bridge <server-url> [callback-port] [options]\n"
          "       mcp-bridge login|logout|status|token|doctor|export|import|key|config ...\n"
          "Relays an MCP host's stdio JSON-RPC to a remote MCP server (Streamable HTTP or\n"
          "HTTP+SSE), signing in with OAuth when the server asks.\n\n",
          out);
    for (int g = 0; g <= OPT_GROUP_GENERAL; g++) {
        /* The group's title up to its first space, then its options' names in a
         * column: their arguments are in `help options`, so that the overview
         * stays one screen however many options there are. */
        const char *t = option_group_titles[g];
        int tlen = (int)strcspn(t, " ");
        fprintf(out, "%.*s:%*s", tlen, t, OVERVIEW_INDENT - tlen - 1, "");
        size_t col = OVERVIEW_INDENT;
        int first = 1;
        for (size_t i = 0; i < options_table_len; i++) {
            const opt_def_t *d = &options_table[i];
            if (d->group != g) continue;
            char syn[80];
            snprintf(syn, sizeof syn, "--%s", d->name);
            size_t len = strlen(syn);
            if (!first && col + 2 + len > HELP_WIDTH) {
                fprintf(out, "\n%*s", OVERVIEW_INDENT, "");
                col = OVERVIEW_INDENT;
            } else if (!first) {
                fputs("  ", out);
                col += 2;
            }
            fputs(syn, out);
            col += len;
            first = 0;
        }
        fputc('\n', out);
    }
    fputs("\nmcp-bridge help options: what each option does (help OPTION: one of them);\n"
          "mcp-bridge help commands: the subcommands. man mcp-bridge: signing in, where\n"
          "tokens are kept, host configuration, moving from mcp-remote.\n"
          "Exit status: 0 after a normal shutdown, 1 on a fatal error, 2 on a usage error.\n",
          out);
}

void options_print_help(FILE *out, int command)
{
    if (command <= COMMAND_RELAY || command >= COMMAND_COUNT) {
        print_overview(out);
        return;
    }
    fputs("Usage: ", out);
    print_command(command, out);
    fputs("\nOptions:\n", out);
    for (size_t i = 0; i < options_table_len; i++)
        if (options_table[i].commands & OPT_CMD(command)) print_option(&options_table[i], out);
    fprintf(out, "\nmcp-bridge help OPTION: more on one of them.\n");
}

int options_help(const char *topic, FILE *out)
{
    if (!topic) {
        print_overview(out);
        return 0;
    }
    if (!strcmp(topic, "options")) {
        for (int g = 0; g <= OPT_GROUP_GENERAL; g++) {
            fprintf(out, "%s%s:\n", g ? "\n" : "", option_group_titles[g]);
            for (size_t i = 0; i < options_table_len; i++)
                if (options_table[i].group == g) print_option(&options_table[i], out);
        }
        return 0;
    }
    if (!strcmp(topic, "commands")) {
        for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++)
            print_command(c, out);
        return 0;
    }
    const char *name = topic;
    while (*name == '-')
        name++;
    if (!strcmp(topic, "-h")) name = "help";
    const opt_def_t *d = options_find(name, strlen(name));
    if (d) {
        print_option_topic(d, out);
        return 0;
    }
    for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++) {
        if (!strcmp(command_names[c], name)) {
            options_print_help(out, c);
            return 0;
        }
    }
    fprintf(stderr,
            "mcp-bridge: no help on \"%s\"; try: mcp-bridge help options | commands | "
            "OPTION | COMMAND\n",
            topic);
    return 2;
}
