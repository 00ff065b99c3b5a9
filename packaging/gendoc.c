/* gendoc: writes the man page, the README's options table and the shell
 * completions from options_table[] and command_names[], so --help, the docs and
 * the completions cannot drift apart. Usage: gendoc man|readme-options|bash|zsh|fish */
#include "bridge/cli/options.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GROUP_COUNT (OPT_GROUP_GENERAL + 1)
#define group_titles option_group_titles

/* Options whose argument is one of a few words. */
static const char *const token_store_values[] = {"keychain", "file", "memory", NULL};
/* mcp-remote's --protocol values, accepted here (see its help). */
static const char *const protocol_values[] = {"legacy", "auto", NULL};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gendoc: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* Fills `out` (NULL-terminated, at most 8) with the fixed values of option `name`;
 * returns 0 when the option takes free text. */
static int option_values(const char *name, const char **out)
{
    size_t n = 0;
    if (!strcmp(name, "transport")) {
        for (int m = TRANSPORT_HTTP_FIRST; m <= TRANSPORT_SSE_ONLY; m++)
            out[n++] = transport_mode_name((transport_mode_t)m);
    } else if (!strcmp(name, "protocol")) {
        for (; protocol_values[n]; n++)
            out[n] = protocol_values[n];
    } else if (!strcmp(name, "token-store")) {
        for (; token_store_values[n]; n++)
            out[n] = token_store_values[n];
    }
    out[n] = NULL;
    return n > 0;
}

/* The argument is a file name (JSON|@FILE is completed as text). */
static int arg_is_file(const opt_def_t *d)
{
    return d->arg && !strcmp(d->arg, "FILE");
}

/* The argument is JSON or @FILE: after an '@', a file name. */
static int arg_is_at_file(const opt_def_t *d)
{
    size_t n = d->arg ? strlen(d->arg) : 0;
    return n >= 5 && !strcmp(d->arg + n - 5, "@FILE");
}

/* `mcp-bridge help TOPIC`: the words TOPIC may be, space-separated. */
static void print_help_topics(FILE *out)
{
    fputs("options commands", out);
    for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++)
        fprintf(out, " %s", command_names[c]);
    for (size_t i = 0; i < options_table_len; i++)
        fprintf(out, " --%s", options_table[i].name);
}

/* The one line on a subcommand (options_table.c's command_docs[]), and its arguments. */
static const char *command_help(const char *name, const char **args)
{
    for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++) {
        if (!strcmp(command_names[c], name) && command_docs[c].help) {
            if (args) *args = command_docs[c].args;
            return command_docs[c].help;
        }
    }
    die("subcommand \"%s\" has no description in bridge/cli/options_table.c (command_docs)", name);
}

/* Every option's group and every subcommand must be known here: a new one fails the build
 * instead of vanishing from the docs. */
static void check_tables(void)
{
    for (size_t i = 0; i < options_table_len; i++) {
        int g = options_table[i].group;
        if (g < 0 || (size_t)g >= GROUP_COUNT || !group_titles[g])
            die("option --%s has a group bridge/cli/options_table.c has no title for (option_group_titles)",
                options_table[i].name);
        if (options_table[i].remote == OPT_REMOTE_DIFFERS && !options_table[i].remote_note)
            die("option --%s differs from mcp-remote's but does not say how (remote_note)",
                options_table[i].name);
        if (!options_table[i].commands)
            die("option --%s applies to no command (commands)", options_table[i].name);
    }
    static const char *const with_values[] = {"transport", "protocol", "token-store"};
    for (size_t v = 0; v < sizeof with_values / sizeof with_values[0]; v++) {
        size_t i = 0;
        while (i < options_table_len && strcmp(options_table[i].name, with_values[v]))
            i++;
        if (i == options_table_len || !options_table[i].arg)
            die("--%s, whose values gendoc completes, is no longer an option with an argument",
                with_values[v]);
    }
    for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++)
        command_help(command_names[c], NULL);
}

/* ---- roff -------------------------------------------------------------------------------- */

/* Text for a roff line: backslashes escaped, a leading '.' or '\'' neutralized. With `minus`
 * every '-' becomes \- (typed text); otherwise only an option named in prose (--name) gets
 * \- so it renders as typed, and other hyphens stay hyphens. */
static void roff(FILE *out, const char *s, int minus)
{
    int in_option = 0;
    if (*s == '.' || *s == '\'') fputs("\\&", out);
    for (const char *p = s; *p; p++) {
        if (*p == '-' && p[1] == '-' && (p == s || !isalnum((unsigned char)p[-1])))
            in_option = 1;
        else if (!isalnum((unsigned char)*p) && *p != '-')
            in_option = 0;
        if (*p == '\\')
            fputs("\\e", out);
        else if (*p == '-' && (minus || in_option))
            fputs("\\-", out);
        else
            fputc(*p, out);
    }
}

/* Prose for roff, one sentence a line (as roff wants, to space sentences right). */
static void roff_sentences(FILE *out, const char *s)
{
    char line[1024];
    while (*s) {
        const char *end = strstr(s, ". ");
        size_t len = end ? (size_t)(end - s) + 1 : strlen(s);
        if (len >= sizeof line) die("a sentence of the options table is too long: %.40s", s);
        memcpy(line, s, len);
        line[len] = 0;
        roff(out, line, 0);
        fputc('\n', out);
        s += len;
        while (*s == ' ')
            s++;
    }
}

static void man_option_tag(FILE *out, const opt_def_t *d)
{
    fputs("\\fB\\-\\-", out);
    roff(out, d->name, 1);
    fputs("\\fR", out);
    if (d->arg) {
        fputs(" \\fI", out);
        roff(out, d->arg, 0);
        fputs("\\fR", out);
    }
    fputc('\n', out);
}

static void print_man(FILE *out)
{
    /* The build date, or SOURCE_DATE_EPOCH's for a reproducible build. */
    char date[32] = "";
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    time_t t = epoch && *epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm)) strftime(date, sizeof date, "%Y-%m-%d", &tm);
    fprintf(out,
            ".\\\" Generated by packaging/gendoc.c from bridge/cli/options_table.c; do not edit.\n"
            ".TH MCP\\-BRIDGE 1 \"%s\" \"mcp\\-bridge %s\" \"User Commands\"\n"
            ".\\\" Option names and URLs read better unbroken and ragged.\n"
            ".nh\n"
            ".ad l\n",
            date, MCP_BRIDGE_VERSION);
    fputs(
        ".SH NAME\n"
        "mcp\\-bridge \\- relay an MCP host's stdio to a remote MCP server, with OAuth sign\\-in\n"
        ".SH SYNOPSIS\n"
        ".B mcp\\-bridge\n"
        ".I server\\-url\n"
        ".RI [ callback\\-port ]\n"
        ".RI [ options ]\n",
        out);
    for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++) {
        const char *args;
        command_help(command_names[c], &args);
        fputs(".br\n.B mcp\\-bridge ", out);
        roff(out, command_names[c], 1);
        fputs("\n", out);
        roff(out, args, 1);
        fputs("\n.RI [ options ]\n", out);
    }
    fputs(".br\n.B mcp\\-bridge help\n.RI [ options | commands | option ]\n", out);
    fputs(".SH DESCRIPTION\n"
          ".B mcp\\-bridge\n"
          "lets an MCP host that can only start local servers (a command speaking\n"
          "newline\\-delimited JSON\\-RPC on standard input and output) use a remote MCP server\n"
          "over Streamable HTTP or the older HTTP+SSE transport.\n"
          "It is a drop\\-in replacement for the\n"
          ".B mcp\\-remote\n"
          "npm package: the same option names where the meaning is the same.\n"
          ".PP\n"
          "Requests, notifications and responses are relayed both ways as the bytes they arrived\n"
          "in.\n"
          "When the server asks for authorization, the bridge signs in with OAuth 2.1 (discovery,\n"
          "dynamic client registration, PKCE) in the browser, keeps the tokens in the OS keychain\n"
          "and refreshes them.\n"
          "Only JSON\\-RPC is written to standard output; logs go to standard error.\n"
          ".PP\n"
          "The URL must be https://, or http:// to a loopback host (localhost, 127.0.0.0/8,\n"
          "[::1]); other plain\\-http hosts need\n"
          ".BR \\-\\-allow\\-http .\n"
          "A number after the URL is the port of the sign\\-in redirect listener, as with\n"
          ".BR mcp\\-remote .\n"
          "An option's value may follow it as the next argument or after an equals sign\n"
          "(\\fB\\-\\-transport=sse\\-only\\fR).\n"
          ".SH OPTIONS\n",
          out);
    for (size_t g = 0; g < GROUP_COUNT; g++) {
        fputs(".SS ", out);
        roff(out, group_titles[g], 0);
        fputc('\n', out);
        for (size_t i = 0; i < options_table_len; i++) {
            const opt_def_t *d = &options_table[i];
            if ((size_t)d->group != g) continue;
            fputs(".TP\n", out);
            man_option_tag(out, d);
            roff(out, d->help, 0);
            size_t len = strlen(d->help);
            fputs(len && d->help[len - 1] == '.' ? "\n" : ".\n", out);
            if (d->repeatable) fputs("May be given more than once.\n", out);
            if (d->detail) {
                fputs(".IP\n", out);
                roff_sentences(out, d->detail);
            }
            if (d->remote == OPT_REMOTE_SAME) {
                fputs("As in mcp\\-remote.\n", out);
            } else if (d->remote == OPT_REMOTE_DIFFERS) {
                fputs("mcp\\-remote has this option too; here it differs: ", out);
                roff(out, d->remote_note, 0);
                fputs(".\n", out);
            }
        }
    }
    fputs(".SH SUBCOMMANDS\n"
          "Commands for people, run in a terminal; each says what it did in sentences.\n",
          out);
    for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++) {
        const char *args, *help = command_help(command_names[c], &args);
        fputs(".TP\n\\fB", out);
        roff(out, command_names[c], 1);
        fputs("\\fR ", out);
        roff(out, args, 1);
        fputc('\n', out);
        roff(out, help, 0);
        fputs(".\n", out);
    }
    fputs(
        ".SH FILES\n"
        "Tokens and client registrations are kept in the OS keychain: the Secret Service\n"
        "(GNOME Keyring, for example) through libsecret on Linux, the login Keychain on macOS.\n"
        "When no keychain answers, or with\n"
        ".BR \"\\-\\-token\\-store file\" ,\n"
        "they are kept in files readable only by their owner:\n"
        ".TP\n"
        ".I $XDG_CONFIG_HOME/mcp\\-bridge/credentials/\n"
        "(default\n"
        ".IR ~/.config/mcp\\-bridge/credentials/ )\n"
        "the file store.\n"
        ".TP\n"
        ".I $XDG_RUNTIME_DIR/mcp\\-bridge/\n"
        "locks that let processes for the same server share one sign\\-in and one refresh\n"
        "(else under\n"
        ".IR $XDG_CONFIG_HOME/mcp\\-bridge/locks/ ).\n"
        ".SH ENVIRONMENT\n"
        ".TP\n"
        ".B BROWSER\n"
        "Program (or colon\\-separated list of programs) that opens the sign\\-in page;\n"
        "default\n"
        ".BR xdg\\-open (1)\n"
        "on Linux,\n"
        ".BR open (1)\n"
        "on macOS.\n"
        ".TP\n"
        ".BR CURL_CA_BUNDLE \", \" SSL_CERT_FILE\n"
        "A PEM file of certificate authorities trusted instead of the system's, when\n"
        ".B \\-\\-cacert\n"
        "is not given (the first one set wins).\n"
        ".TP\n"
        ".BR HTTPS_PROXY \", \" HTTP_PROXY \", \" NO_PROXY\n"
        "Read only with\n"
        ".BR \\-\\-enable\\-proxy ,\n"
        "as mcp\\-remote reads them (a lower\\-case spelling wins; https:// requests use\n"
        "the http proxy when no https one is set;\n"
        ".B ALL_PROXY\n"
        "is not read).\n"
        ".TP\n"
        ".B MCP_BRIDGE_REFRESH_TOKEN\n"
        "A refresh token to start from when none is stored, like\n"
        ".BR \\-\\-refresh\\-token\\-file .\n"
        ".TP\n"
        ".B NODE_EXTRA_CA_CERTS\n"
        "A PEM file of certificate authorities trusted in addition to the others, as in\n"
        "Node.js (and so mcp\\-remote).\n"
        ".B MCP_REMOTE_CONFIG_DIR\n"
        "Where mcp\\-remote keeps its files; when set to an absolute path, the file\n"
        "credential store is\n"
        ".I $MCP_REMOTE_CONFIG_DIR/mcp\\-bridge/credentials/\n"
        "instead, so a configuration that moves mcp\\-remote's store moves this one.\n"
        ".TP\n"
        ".B XDG_CONFIG_HOME\n"
        "Base of the file credential store (default\n"
        ".IR ~/.config ).\n"
        ".TP\n"
        ".B XDG_RUNTIME_DIR\n"
        "Where the sign\\-in and refresh locks live.\n"
        ".PP\n"
        "A\n"
        ".B ${VAR}\n"
        "reference in a\n"
        ".B \\-\\-header\n"
        "value or in the static OAuth client JSON is replaced by that environment variable;\n"
        "an unset variable is a usage error.\n"
        ".SH EXIT STATUS\n"
        "Relaying:\n"
        ".TP\n"
        ".B 0\n"
        "normal shutdown: standard input closed, or SIGTERM/SIGINT.\n"
        ".TP\n"
        ".B 1\n"
        "a fatal error (out of memory, standard input or output unusable).\n"
        ".TP\n"
        ".B 2\n"
        "a usage error: unknown option, bad value, missing URL, unset ${VAR}.\n"
        ".PP\n"
        "A remote server that is down, slow or broken never makes the bridge exit: the\n"
        "requests concerned get JSON\\-RPC errors.\n"
        "Subcommands exit with 0 on success, 1 on failure and 2 on a usage error.\n"
        ".SH SIGNING IN\n"
        "On the first HTTP 401 the bridge reads the server's WWW\\-Authenticate challenge,\n"
        "finds its authorization server (RFC 9728 protected resource metadata, then RFC 8414\n"
        "or OpenID Connect discovery, with the MCP 2025\\-03\\-26 fallbacks), registers\n"
        "(a client given with\n"
        ".BR \\-\\-static\\-oauth\\-client\\-info ,\n"
        "a client ID metadata document, or dynamic registration), and opens the\n"
        "authorization page with PKCE.\n"
        "The browser comes back to a listener on\n"
        ".IR http://127.0.0.1:PORT/oauth/callback ,\n"
        "started first and closed after one request; the port is derived from the server\n"
        "URL so that it stays the same, or given as the second argument.\n"
        "Tokens are refreshed before they expire; a 403 insufficient_scope leads to a new\n"
        "sign\\-in with the wider scope.\n"
        "Several bridges for one server sign in and refresh once between them.\n"
        "Without a browser:\n"
        ".B mcp\\-bridge login\n"
        "and\n"
        ".B export\n"
        "where there is one,\n"
        ".B import\n"
        "here, then\n"
        ".BR \\-\\-no\\-browser .\n"
        ".SH MOVING FROM MCP-REMOTE\n"
        "Replace\n"
        ".B npx mcp\\-remote\n"
        "with\n"
        ".B mcp\\-bridge\n"
        "and keep the arguments: the options marked \"As in mcp\\-remote\" keep their\n"
        "meaning, and the callback port may still be the second argument.\n"
        "Tokens stored by mcp\\-remote are not read: the first start signs in once.\n"
        ".SH EXAMPLES\n"
        "Claude Desktop (\\fIclaude_desktop_config.json\\fR):\n"
        ".PP\n"
        ".in +4n\n"
        ".EX\n"
        "{\n"
        "  \"mcpServers\": {\n"
        "    \"remote\\-example\": {\n"
        "      \"command\": \"mcp\\-bridge\",\n"
        "      \"args\": [\"https://mcp.example.com/mcp\"]\n"
        "    }\n"
        "  }\n"
        "}\n"
        ".EE\n"
        ".in\n"
        ".PP\n"
        "Claude Code:\n"
        ".PP\n"
        ".in +4n\n"
        ".EX\n"
        "claude mcp add remote\\-example \\-\\- mcp\\-bridge https://mcp.example.com/mcp\n"
        ".EE\n"
        ".in\n"
        ".PP\n"
        "Cursor (\\fI~/.cursor/mcp.json\\fR) takes the same \\fBmcpServers\\fR object as Claude "
        "Desktop.\n"
        "VS Code (\\fI.vscode/mcp.json\\fR):\n"
        ".PP\n"
        ".in +4n\n"
        ".EX\n"
        "{\n"
        "  \"servers\": {\n"
        "    \"remote\\-example\": {\n"
        "      \"type\": \"stdio\",\n"
        "      \"command\": \"mcp\\-bridge\",\n"
        "      \"args\": [\"https://mcp.example.com/mcp\"]\n"
        "    }\n"
        "  }\n"
        "}\n"
        ".EE\n"
        ".in\n"
        ".PP\n"
        "A server that takes a static token instead of OAuth:\n"
        ".PP\n"
        ".in +4n\n"
        ".EX\n"
        "mcp\\-bridge https://mcp.example.com/mcp \\-\\-header \"Authorization: Bearer ${TOKEN}\"\n"
        ".EE\n"
        ".in\n"
        ".PP\n"
        "Sign in ahead of time, then check what is stored:\n"
        ".PP\n"
        ".in +4n\n"
        ".EX\n"
        "mcp\\-bridge login https://mcp.example.com/mcp\n"
        "mcp\\-bridge status\n"
        ".EE\n"
        ".in\n"
        ".SH SEE ALSO\n"
        ".BR secret\\-tool (1),\n"
        ".BR xdg\\-open (1)\n"
        ".PP\n"
        "The Model Context Protocol: https://modelcontextprotocol.io\n",
        out);
}

/* ---- Markdown ---------------------------------------------------------------------------- */

/* A table cell: '|' would end the cell, even inside a code span. */
static void md_cell(FILE *out, const char *s, size_t len)
{
    for (const char *e = s + len; s < e; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '<')
            fputs("&lt;", out);
        else
            fputc(*s, out);
    }
}

/* Help text for a cell, with what is typed (--option, ${VAR}, $VAR) as code. */
static void md_help(FILE *out, const char *s)
{
    while (*s) {
        size_t code = 0;
        if (s[0] == '-' && s[1] == '-' && isalpha((unsigned char)s[2])) {
            code = 2;
            while (isalnum((unsigned char)s[code]) || s[code] == '-')
                code++;
        } else if (s[0] == '$' && s[1] == '{' && strchr(s, '}')) {
            code = (size_t)(strchr(s, '}') - s) + 1;
        } else if (s[0] == '$' && (isalpha((unsigned char)s[1]) || s[1] == '_')) {
            code = 1;
            while (isalnum((unsigned char)s[code]) || s[code] == '_')
                code++;
        }
        if (code) {
            fputc('`', out);
            md_cell(out, s, code);
            fputc('`', out);
            s += code;
        } else {
            md_cell(out, s++, 1);
        }
    }
}

static void print_readme_options(FILE *out)
{
    fputs("| Option | mcp-remote | Meaning |\n| --- | --- | --- |\n", out);
    for (size_t g = 0; g < GROUP_COUNT; g++) {
        for (size_t i = 0; i < options_table_len; i++) {
            const opt_def_t *d = &options_table[i];
            if ((size_t)d->group != g) continue;
            fputs("| `--", out);
            md_cell(out, d->name, strlen(d->name));
            if (d->arg) {
                int quote = strchr(d->arg, ' ') != NULL;
                fputs(quote ? " \"" : " ", out);
                md_cell(out, d->arg, strlen(d->arg));
                if (quote) fputc('"', out);
            }
            fputs("` | ", out);
            if (d->remote == OPT_REMOTE_SAME) {
                fputs("same", out);
            } else if (d->remote == OPT_REMOTE_DIFFERS) {
                fputs("differs: ", out);
                md_help(out, d->remote_note);
            } else if (d->remote_note) {
                fputs("no such option: ", out);
                md_help(out, d->remote_note);
            } else {
                fputs("—", out);
            }
            fputs(" | ", out);
            md_help(out, d->help);
            size_t len = strlen(d->help);
            fputs(len && d->help[len - 1] == '.' ? "" : ".", out);
            fputs(d->repeatable ? " Repeatable. |\n" : " |\n", out);
        }
    }
}

/* The flags mcp-remote has too, one a line, for the test that compares them with the
 * flags mcp-remote's own parser reads. */
static void print_mcp_remote_flags(FILE *out)
{
    for (size_t i = 0; i < options_table_len; i++)
        if (options_table[i].remote != OPT_REMOTE_NONE)
            fprintf(out, "--%s\n", options_table[i].name);
}

/* ---- shell completions ------------------------------------------------------------------- */

/* `s` in single quotes; `quote_escape` stands for a ' inside (sh: '\\'', fish: \\'). */
static void single_quoted(FILE *out, const char *s, const char *quote_escape)
{
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'')
            fputs(quote_escape, out);
        else if (*s == '\\' && quote_escape[0] == '\\')
            fputs("\\\\", out); /* fish reads \\ in single quotes as one backslash */
        else
            fputc(*s, out);
    }
    fputc('\'', out);
}

/* Appends `s` to spec (of `size` bytes, length *n), with the characters _arguments treats
 * specially escaped when `escape`; on overflow *n becomes `size`. */
static void zsh_append(char *spec, size_t size, size_t *n, const char *s, int escape)
{
    for (; *s && *n < size; s++) {
        if (escape && strchr("[]:\\", *s) && *n + 1 < size) spec[(*n)++] = '\\';
        if (*n + 1 < size)
            spec[(*n)++] = *s;
        else
            *n = size;
    }
    spec[*n < size ? *n : size - 1] = 0;
}

static void print_bash(FILE *out)
{
    fputs("# bash completion for mcp-bridge\n"
          "# Generated by packaging/gendoc.c from bridge/cli/options_table.c; do not edit.\n\n"
          "_mcp_bridge()\n{\n"
          "    local cur prev sub\n"
          "    cur=${COMP_WORDS[COMP_CWORD]}\n"
          "    prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    sub=${COMP_WORDS[1]}\n"
          "    COMPREPLY=()\n"
          "    # --option=value: COMP_WORDBREAKS splits at '='.\n"
          "    if [[ $cur == = ]]; then\n"
          "        cur=\n"
          "    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then\n"
          "        prev=${COMP_WORDS[COMP_CWORD-2]}\n"
          "    fi\n"
          "    case $prev in\n",
          out);
    const char *values[8];
    for (size_t i = 0; i < options_table_len; i++) {
        const opt_def_t *d = &options_table[i];
        if (!d->arg || !option_values(d->name, values)) continue;
        fprintf(out, "        --%s)\n            COMPREPLY=($(compgen -W '", d->name);
        for (size_t v = 0; values[v]; v++)
            fprintf(out, "%s%s", v ? " " : "", values[v]);
        fputs("' -- \"$cur\"))\n            return\n            ;;\n", out);
    }
    int first = 1;
    for (size_t i = 0; i < options_table_len; i++) {
        if (!arg_is_file(&options_table[i])) continue;
        fprintf(out, "%s--%s", first ? "        " : "|", options_table[i].name);
        first = 0;
    }
    if (!first)
        fputs(")\n            compopt -o filenames 2>/dev/null\n"
              "            COMPREPLY=($(compgen -f -- \"$cur\"))\n            return\n"
              "            ;;\n",
              out);
    first = 1;
    for (size_t i = 0; i < options_table_len; i++) {
        if (!arg_is_at_file(&options_table[i])) continue;
        fprintf(out, "%s--%s", first ? "        " : "|", options_table[i].name);
        first = 0;
    }
    if (!first)
        fputs(")\n            # JSON, or @FILE: a file name after the '@'.\n"
              "            [[ $cur == @* ]] && COMPREPLY=($(compgen -f -P @ -- \"${cur#@}\"))\n"
              "            return\n            ;;\n",
              out);
    first = 1;
    for (size_t i = 0; i < options_table_len; i++) {
        const opt_def_t *d = &options_table[i];
        if (!d->arg || arg_is_file(d) || arg_is_at_file(d) || option_values(d->name, values))
            continue;
        fprintf(out, "%s--%s", first ? "        " : "|", d->name);
        first = 0;
    }
    if (!first) fputs(")\n            return\n            ;;\n", out);
    fputs("    esac\n"
          "    if [[ $sub == help && $COMP_CWORD -eq 2 ]]; then\n"
          "        COMPREPLY=($(compgen -W '",
          out);
    print_help_topics(out);
    fputs("' -- \"$cur\"))\n"
          "    elif [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W '",
          out);
    for (size_t i = 0; i < options_table_len; i++)
        fprintf(out, "%s--%s", i ? " " : "", options_table[i].name);
    fputs("' -- \"$cur\"))\n"
          "    elif [[ $COMP_CWORD -eq 1 ]]; then\n"
          "        COMPREPLY=($(compgen -W '",
          out);
    for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++)
        fprintf(out, "%s ", command_names[c]);
    fputs("help' -- \"$cur\"))\n"
          "    elif [[ $sub == import ]]; then\n"
          "        compopt -o filenames 2>/dev/null\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "    fi\n"
          "}\n"
          "complete -F _mcp_bridge mcp-bridge\n",
          out);
}

static void print_zsh(FILE *out)
{
    fputs("#compdef mcp-bridge\n"
          "# zsh completion for mcp-bridge\n"
          "# Generated by packaging/gendoc.c from bridge/cli/options_table.c; do not edit.\n\n"
          "_mcp_bridge_first() {\n"
          "  local -a subcommands\n"
          "  subcommands=(\n",
          out);
    for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++) {
        char entry[512];
        snprintf(entry, sizeof entry, "%s:%s", command_names[c],
                 command_help(command_names[c], NULL));
        fputs("    ", out);
        single_quoted(out, entry, "'\\''");
        fputc('\n', out);
    }
    fputs("    'help:Say what the options and subcommands do'\n", out);
    fputs("  )\n"
          "  _describe -t commands 'mcp-bridge subcommand' subcommands\n"
          "  _urls\n"
          "}\n\n"
          "_arguments -s -S \\\n",
          out);
    const char *values[8];
    for (size_t i = 0; i < options_table_len; i++) {
        const opt_def_t *d = &options_table[i];
        /* [*]--name[=][help]:message:action */
        char spec[2048];
        size_t n = 0;
        zsh_append(spec, sizeof spec, &n, d->repeatable ? "*--" : "--", 0);
        zsh_append(spec, sizeof spec, &n, d->name, 0);
        zsh_append(spec, sizeof spec, &n, d->arg ? "=[" : "[", 0);
        zsh_append(spec, sizeof spec, &n, d->help, 1);
        zsh_append(spec, sizeof spec, &n, "]", 0);
        if (d->arg) {
            zsh_append(spec, sizeof spec, &n, ":", 0);
            zsh_append(spec, sizeof spec, &n, d->arg, 1);
            zsh_append(spec, sizeof spec, &n, ":", 0);
            if (option_values(d->name, values)) {
                zsh_append(spec, sizeof spec, &n, "(", 0);
                for (size_t v = 0; values[v]; v++) {
                    if (v) zsh_append(spec, sizeof spec, &n, " ", 0);
                    zsh_append(spec, sizeof spec, &n, values[v], 0);
                }
                zsh_append(spec, sizeof spec, &n, ")", 0);
            } else {
                zsh_append(spec, sizeof spec, &n,
                           arg_is_file(d)      ? "_files"
                           : arg_is_at_file(d) ? "{compset -P @ && _files}"
                                               : " ",
                           0);
            }
        }
        if (n >= sizeof spec) die("the zsh spec of --%s is too long", d->name);
        fputs("  ", out);
        single_quoted(out, spec, "'\\''");
        fputs(" \\\n", out);
    }
    fputs("  '1:subcommand or server URL:_mcp_bridge_first' \\\n"
          "  '*:file or help topic:{if [[ $words[2] == import ]]; then _files; "
          "elif [[ $words[2] == help ]]; then compadd -- ",
          out);
    print_help_topics(out);
    fputs("; fi}'\n", out);
}

static void print_fish(FILE *out)
{
    fputs("# fish completion for mcp-bridge\n"
          "# Generated by packaging/gendoc.c from bridge/cli/options_table.c; do not edit.\n\n"
          "complete -c mcp-bridge -f\n",
          out);
    for (int c = COMMAND_RELAY + 1; c < COMMAND_COUNT; c++) {
        fprintf(out, "complete -c mcp-bridge -n __fish_use_subcommand -a %s -d ", command_names[c]);
        single_quoted(out, command_help(command_names[c], NULL), "\\'");
        fputc('\n', out);
    }
    fputs("complete -c mcp-bridge -n __fish_use_subcommand -a help "
          "-d 'Say what the options and subcommands do'\n",
          out);
    fputs("complete -c mcp-bridge -n '__fish_seen_subcommand_from import' -F\n", out);
    fputs("complete -c mcp-bridge -n '__fish_seen_subcommand_from help' -a '", out);
    print_help_topics(out);
    fputs("'\n"
          "function __fish_mcp_bridge_at_file\n"
          "    set -l tok (commandline -ct)\n"
          "    string match -q -- '@*' $tok; or return\n"
          "    __fish_complete_path (string sub -s 2 -- $tok) | string replace -r '^' '@'\n"
          "end\n",
          out);
    const char *values[8];
    for (size_t i = 0; i < options_table_len; i++) {
        const opt_def_t *d = &options_table[i];
        fprintf(out, "complete -c mcp-bridge -l %s", d->name);
        if (d->arg && option_values(d->name, values)) {
            /* value\tPLACEHOLDER: the option's help would otherwise describe each value. */
            fputs(" -x -a '", out);
            for (size_t v = 0; values[v]; v++)
                fprintf(out, "%s%s\\t%s", v ? " " : "", values[v], d->arg);
            fputc('\'', out);
        } else if (arg_is_file(d)) {
            fputs(" -r -F", out);
        } else if (arg_is_at_file(d)) {
            fputs(" -x -a '(__fish_mcp_bridge_at_file)'", out);
        } else if (d->arg) {
            fputs(" -x", out);
        }
        fputs(" -d ", out);
        single_quoted(out, d->help, "\\'");
        fputc('\n', out);
    }
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*print)(FILE *);
    } outputs[] = {
        {"man", print_man},   {"readme-options", print_readme_options},
        {"bash", print_bash}, {"zsh", print_zsh},
        {"fish", print_fish}, {"mcp-remote-flags", print_mcp_remote_flags},
    };
    if (argc != 2 && argc != 3) {
        fprintf(stderr,
                "usage: gendoc man|readme-options|bash|zsh|fish|mcp-remote-flags [OUTPUT-FILE]\n");
        return 2;
    }
    check_tables();
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        if (strcmp(argv[1], outputs[i].name) != 0) continue;
        FILE *out = argc == 3 ? fopen(argv[2], "w") : stdout;
        if (!out) die("cannot write %s", argv[2]);
        outputs[i].print(out);
        if (ferror(out) || (out != stdout && fclose(out) != 0) || fflush(stdout) != 0) {
            if (argc == 3) remove(argv[2]);
            die("could not write the %s output", argv[1]);
        }
        return 0;
    }
    fprintf(
        stderr,
        "gendoc: unknown output \"%s\" (man, readme-options, bash, zsh, fish, mcp-remote-flags)\n",
        argv[1]);
    return 2;
}
