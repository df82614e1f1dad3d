/* SPDX-License-Identifier: Apache-2.0 */
/* md2man.c - build-time converter of the manual pages in docs/ (Markdown) to
 * man(7) roff, so `man servebench-serve` shows the same text as docs/serve.md.
 *
 *   md2man page OUT.1 VERSION docs/serve.md     one page, servebench-serve(1)
 *   md2man index OUT.1 VERSION docs/a.md ...    servebench(1), listing the pages
 *
 * Only the Markdown the docs use is understood: "#" to "###" headings, fenced
 * code blocks, "- " and "1. " list items with indented continuation lines,
 * pipe tables (each row becomes a tagged paragraph: the first cell is the
 * tag), paragraphs, and inline `code`, **bold**, *italic* and [text](link).
 * A host tool of the build, not part of servebench: it exits non-zero with a
 * message naming the file and line on anything it cannot read or write. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LINE_MAX_LEN = 65536, CELLS_MAX = 16 };

static const char *src_path;
static long src_line;

static void die(const char *what)
{
    fprintf(stderr, "md2man: %s:%ld: %s\n", src_path ? src_path : "-", src_line, what);
    exit(1);
}

/* Writes text with roff's special characters escaped; `code`, **bold** and
 * *italic* become font changes; [text](link) keeps the text. */
static void put_inline(FILE *o, const char *s, size_t n, int line_start)
{
    int code = 0, bold = 0, ital = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (line_start && i == 0 && (c == '.' || c == '\''))
            fputs("\\&", o);
        if (c == '`') {
            code = !code;
            fputs(code ? "\\fB" : "\\fR", o);
            continue;
        }
        if (!code && c == '*' && i + 1 < n && s[i + 1] == '*') {
            bold = !bold;
            fputs(bold ? "\\fB" : "\\fR", o);
            i++;
            continue;
        }
        if (!code && c == '*' && (ital || (i + 1 < n && !isspace((unsigned char)s[i + 1])))) {
            ital = !ital;
            fputs(ital ? "\\fI" : "\\fR", o);
            continue;
        }
        if (!code && c == '[') {
            const char *close = memchr(s + i, ']', n - i);
            if (close && (size_t)(close - s) + 1 < n && close[1] == '(' &&
                memchr(close, ')', n - (size_t)(close - s))) {
                put_inline(o, s + i + 1, (size_t)(close - s) - i - 1, 0);
                i = (size_t)((const char *)memchr(close, ')', n - (size_t)(close - s)) - s);
                continue;
            }
        }
        if (c == '\\' && i + 1 < n && s[i + 1] == '|')
            continue; /* Markdown's \| in a table cell */
        if (c == '\\')
            fputs("\\e", o);
        else if (c == '-')
            fputs("\\-", o);
        else
            fputc(c, o);
    }
    if (code || bold || ital)
        fputs("\\fR", o);
}

static void put_line(FILE *o, const char *s)
{
    put_inline(o, s, strlen(s), 1);
    fputc('\n', o);
}

/* Splits "| a | b |" into cells, leaving a '|' inside `code` in its cell. */
static int split_row(char *s, char *cells[CELLS_MAX])
{
    int n = 0, code = 0;
    char *p = s;
    while (*p == ' ')
        p++;
    if (*p == '|')
        p++;
    char *start = p;
    for (; *p; p++) {
        if (*p == '\\' && p[1] == '|')
            p++; /* an escaped pipe stays in its cell */
        else if (*p == '`')
            code = !code;
        else if (*p == '|' && !code) {
            *p = '\0';
            if (n == CELLS_MAX)
                die("table row has too many cells");
            cells[n++] = start;
            start = p + 1;
        }
    }
    if (*start && n < CELLS_MAX) /* a row without the closing pipe */
        cells[n++] = start;
    for (int i = 0; i < n; i++) {
        while (*cells[i] == ' ')
            cells[i]++;
        size_t len = strlen(cells[i]);
        while (len && cells[i][len - 1] == ' ')
            cells[i][--len] = '\0';
    }
    return n;
}

static int is_table_sep(const char *s)
{
    if (*s != '|')
        return 0;
    for (; *s; s++)
        if (!strchr("|-: ", *s))
            return 0;
    return 1;
}

static void strip_eol(char *s)
{
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
}

static FILE *open_or_die(const char *path, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f) {
        fprintf(stderr, "md2man: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return f;
}

/* The subcommand a page documents: "# servebench serve" gives "serve". */
static int page_command(const char *first, char *cmd, size_t cap)
{
    const char *pre = "# servebench ";
    if (strncmp(first, pre, strlen(pre)) != 0)
        return -1;
    const char *c = first + strlen(pre);
    size_t n = strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789-");
    if (n == 0 || c[n] || n >= cap)
        return -1;
    memcpy(cmd, c, n);
    cmd[n] = '\0';
    return 0;
}

static void convert(FILE *in, FILE *o, const char *version)
{
    static char line[LINE_MAX_LEN], header[LINE_MAX_LEN];
    char cmd[64] = "";
    char *hcells[CELLS_MAX];
    int fence = 0, in_name = 0, ncols = 0, in_item = 0, para = 0;
    src_line = 0;
    while (fgets(line, sizeof line, in)) {
        src_line++;
        if (!strchr(line, '\n') && !feof(in))
            die("line too long");
        strip_eol(line);
        if (src_line == 1) {
            if (page_command(line, cmd, sizeof cmd) != 0)
                die("a command page starts with \"# servebench <command>\"");
            char up[64];
            size_t i = 0;
            for (; cmd[i]; i++)
                up[i] = (char)toupper((unsigned char)cmd[i]);
            up[i] = '\0';
            fprintf(o, ".TH SERVEBENCH\\-%s 1 \"\" \"servebench %s\" \"servebench manual\"\n", up,
                    version);
            continue;
        }
        if (!strncmp(line, "```", 3)) {
            fence = !fence;
            fputs(fence ? ".PP\n.RS 4\n.nf\n" : ".fi\n.RE\n", o);
            continue;
        }
        if (fence) {
            put_line(o, line);
            continue;
        }
        if (line[0] == '\0') {
            ncols = 0;
            in_item = 0;
            para = 1;
            continue;
        }
        if (!strncmp(line, "## ", 3) || !strncmp(line, "### ", 4)) {
            int sub = line[2] == '#';
            const char *t = line + (sub ? 4 : 3);
            in_name = !sub && !strcmp(t, "NAME");
            ncols = in_item = para = 0;
            fputs(sub ? ".SS " : ".SH ", o);
            if (sub) {
                put_line(o, t);
            } else {
                for (const char *p = t; *p; p++)
                    fputc(toupper((unsigned char)*p), o);
                fputc('\n', o);
            }
            continue;
        }
        if (in_name) {
            /* whatis(1) reads "name \- summary" */
            const char *dash = strstr(line, " - ");
            if (dash) {
                fprintf(o, "servebench\\-%s \\- ", cmd);
                put_line(o, dash + 3);
                in_name = 0;
                continue;
            }
        }
        if (line[0] == '|') {
            if (ncols == 0) {
                strcpy(header, line);
                ncols = split_row(header, hcells);
                continue;
            }
            if (is_table_sep(line))
                continue;
            char *cells[CELLS_MAX];
            int n = split_row(line, cells);
            fputs(".TP\n", o);
            put_line(o, n > 0 ? cells[0] : "");
            for (int i = 1; i < n; i++) {
                if (i > 1)
                    fputs(".br\n", o);
                if (i < n - 1 && i < ncols && hcells[i][0]) {
                    put_inline(o, hcells[i], strlen(hcells[i]), 1);
                    fputs(": ", o);
                    put_line(o, cells[i]);
                } else {
                    put_line(o, cells[i]);
                }
            }
            continue;
        }
        const char *p = line;
        while (*p == ' ')
            p++;
        size_t digits = strspn(p, "0123456789");
        if (p == line && (!strncmp(p, "- ", 2) || !strncmp(p, "* ", 2))) {
            fputs(".IP \\(bu 2\n", o);
            put_line(o, p + 2);
            in_item = 1;
            continue;
        }
        if (p == line && digits && !strncmp(p + digits, ". ", 2)) {
            fprintf(o, ".IP %.*s. 4\n", (int)digits, p);
            put_line(o, p + digits + 2);
            in_item = 1;
            continue;
        }
        if (in_item && p != line) {
            put_line(o, p);
            continue;
        }
        if (in_item) {
            fputs(".IP\n", o);
            in_item = 0;
        } else if (para) {
            fputs(".PP\n", o);
        }
        para = 0;
        put_line(o, p);
    }
    if (ferror(in))
        die("read error");
    if (fence)
        die("code block not closed at end of file");
}

/* The one-line summary of a page: its NAME paragraph after " - ". */
static void page_summary(const char *path, char *cmd, size_t cap, char *sum, size_t sum_cap)
{
    static char line[LINE_MAX_LEN];
    FILE *in = open_or_die(path, "r");
    src_path = path;
    src_line = 0;
    int in_name = 0;
    sum[0] = '\0';
    cmd[0] = '\0';
    while (fgets(line, sizeof line, in)) {
        src_line++;
        strip_eol(line);
        if (src_line == 1 && page_command(line, cmd, cap) != 0)
            die("a command page starts with \"# servebench <command>\"");
        if (!strcmp(line, "## NAME")) {
            in_name = 1;
            continue;
        }
        if (!in_name)
            continue;
        if (line[0] == '#' || (!line[0] && sum[0]))
            break;
        const char *dash = strstr(line, " - ");
        size_t len = strlen(sum);
        if (!len && dash)
            snprintf(sum, sum_cap, "%s", dash + 3);
        else if (len)
            snprintf(sum + len, sum_cap - len, " %s", line);
    }
    fclose(in);
}

int main(int argc, char **argv)
{
    if (argc < 5 || (strcmp(argv[1], "page") && strcmp(argv[1], "index")) ||
        (!strcmp(argv[1], "page") && argc != 5)) {
        fprintf(stderr, "usage: md2man page OUT.1 VERSION PAGE.md\n"
                        "       md2man index OUT.1 VERSION PAGE.md...\n");
        return 2;
    }
    const char *out_path = argv[2], *version = argv[3];
    FILE *o = open_or_die(out_path, "w");
    if (!strcmp(argv[1], "page")) {
        src_path = argv[4];
        FILE *in = open_or_die(src_path, "r");
        convert(in, o, version);
        fclose(in);
    } else {
        fprintf(o, ".TH SERVEBENCH 1 \"\" \"servebench %s\" \"servebench manual\"\n", version);
        fputs(".SH NAME\nservebench \\- benchmark client for LLM inference servers\n"
              ".SH SYNOPSIS\n.B servebench\n\\fIcommand\\fR [\\fIoptions\\fR]\n"
              ".br\n.B servebench help\n[\\fIcommand\\fR]\n"
              ".SH DESCRIPTION\nA drop\\-in replacement for vLLM's \\fBvllm bench serve\\fR "
              "(same flags, datasets, formulas, printed block and result JSON), with a built\\-in "
              "simulated server. Each command has its own page.\n.SH COMMANDS\n",
              o);
        char cmd[64], sum[1024];
        for (int i = 4; i < argc; i++) {
            page_summary(argv[i], cmd, sizeof cmd, sum, sizeof sum);
            fprintf(o, ".TP\n.B %s\n", cmd);
            put_line(o, sum);
        }
        fputs(".SH SEE ALSO\n", o);
        for (int i = 4; i < argc; i++) {
            page_summary(argv[i], cmd, sizeof cmd, sum, sizeof sum);
            fprintf(o, ".BR servebench\\-%s (1)%s\n", cmd, i + 1 < argc ? "," : "");
        }
    }
    if (fclose(o) != 0) {
        fprintf(stderr, "md2man: %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    return 0;
}
