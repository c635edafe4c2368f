/* The Javadoc parser of javadoc.py, in C, for the comments real code is made of.
 *
 * javadoc.py is the definition; this module gives the very same result, faster, for every comment
 * it takes on, and declines the rest (parse() returns None and javadoc.py parses the comment
 * itself). Declined: any character outside ASCII, the marker characters \x01-\x04 (which
 * javadoc.py removes first), a {@snippet} tag, and any HTML entity but &lt; &gt; &amp; &quot;
 * &apos; &nbsp; (and the forms without semicolon html.unescape reads the same) and numeric ones
 * for printable ASCII; an '&' before a letter counts as an entity. That leaves out 95 of
 * java.base's 32,790 comments (0.3%), and none of Python's Unicode rules are needed for the rest:
 * the text stays in one byte per character, Latin-1, where the only character past ASCII is U+00A0
 * from &nbsp;.
 *
 * Each regular expression of javadoc.py is a hand-written scan here; the comment above each says
 * which, and why the scan finds the same matches (where backtracking could matter, it cannot
 * change the outcome). tests/extract/test_javadoc_native.py compares the two on the JDK's comments
 * and on generated ones.
 *
 * Memory: everything a parse builds lives in one arena, freed (or kept for the next parse) at the
 * end, so that declining a comment halfway leaks nothing. Parsing calls no Python API, so it runs
 * start to end under the GIL, alone. Building the result does: it can run the cyclic GC, whose
 * finalizers may parse a comment too, in this thread or (releasing the GIL) in another. So the
 * arena is handed to the call before that, and the module's state is as before any parse.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* limits.MAX_INLINE_NESTING; the module exports it and a test checks that the two agree. */
#define MAX_INLINE_NESTING 20

#define PARA '\x01'
#define LINE '\x02'
#define CODE_OPEN '\x03'
#define CODE_CLOSE '\x04'
#define NBSP '\xa0'

/* ------------------------------------------------------------------------------------------ */
/* Arena */

typedef struct Chunk {
    struct Chunk *next;
    size_t size, used;
    char data[];
} Chunk;

static Chunk *arena = NULL; /* while a comment is parsed: the chunk being filled; older ones follow */
static Chunk *spare = NULL;  /* between parses: a chunk kept for the next one */
#define FIRST_CHUNK (64 * 1024)

static void *arena_alloc(size_t n) {
    n = (n + 7) & ~(size_t)7;
    if (arena == NULL || arena->size - arena->used < n) {
        size_t size = n > FIRST_CHUNK ? n : FIRST_CHUNK;
        if (arena != NULL && arena->size * 2 > size && n <= arena->size) {
            size = arena->size * 2;
        }
        Chunk *chunk = PyMem_Malloc(sizeof(Chunk) + size);
        if (chunk == NULL) {
            return NULL;
        }
        chunk->next = arena;
        chunk->size = size;
        chunk->used = 0;
        arena = chunk;
    }
    void *p = arena->data + arena->used;
    arena->used += n;
    return p;
}

/* A parse's chunks, once it is done with them: the newest (the largest) is kept as the spare if
 * there is none, the others are freed. */
static void arena_release(Chunk *chunks) {
    while (chunks != NULL) {
        Chunk *next = chunks->next;
        if (spare == NULL) {
            chunks->next = NULL;
            chunks->used = 0;
            spare = chunks;
        } else {
            PyMem_Free(chunks);
        }
        chunks = next;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Outcome of a parse: going on, declined (None to Python), or out of memory. */

enum { OK = 0, DECLINED = 1, NO_MEMORY = -1 };
static int outcome = OK;

#define FAILED (outcome != OK)

/* ------------------------------------------------------------------------------------------ */
/* Strings and builders */

typedef struct {
    const char *p;
    Py_ssize_t n;
} Str;

typedef struct {
    char *p;
    Py_ssize_t n, cap;
} Buf;

static const Str EMPTY = {"", 0};

static int reserve(Buf *b, Py_ssize_t extra) {
    if (b->n + extra <= b->cap) {
        return 1;
    }
    Py_ssize_t cap = b->cap * 2;
    if (cap < b->n + extra) {
        cap = b->n + extra;
    }
    if (cap < 64) {
        cap = 64;
    }
    char *p = arena_alloc((size_t)cap);
    if (p == NULL) {
        outcome = NO_MEMORY;
        return 0;
    }
    if (b->n) {
        memcpy(p, b->p, (size_t)b->n);
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

static void put(Buf *b, const char *p, Py_ssize_t n) {
    if (n > 0 && reserve(b, n)) {
        memcpy(b->p + b->n, p, (size_t)n);
        b->n += n;
    }
}

static void put_str(Buf *b, Str s) { put(b, s.p, s.n); }

static void put_char(Buf *b, char c) {
    if (reserve(b, 1)) {
        b->p[b->n++] = c;
    }
}

static Str done(Buf *b) {
    Str s = {b->p ? b->p : "", b->n};
    return s;
}

/* Copies text[i:] up to the next c (left out) to b; returns where that c is, or text.n. */
static Py_ssize_t copy_until(Buf *b, Str text, Py_ssize_t i, char c) {
    const char *hit = memchr(text.p + i, c, (size_t)(text.n - i));
    Py_ssize_t stop = hit ? hit - text.p : text.n;
    put(b, text.p + i, stop - i);
    return stop;
}

static Str slice(Str s, Py_ssize_t start, Py_ssize_t end) {
    Str r = {s.p + start, end - start};
    return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Character classes: Python's, for the characters this module sees */

static unsigned char SPACE[256]; /* str.isspace(), str.split(), str.strip() and \s agree on these */

static void init_classes(void) {
    const unsigned char spaces[] = {' ', '\t', '\n', '\x0b', '\x0c', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0};
    for (size_t i = 0; i < sizeof spaces; i++) {
        SPACE[spaces[i]] = 1;
    }
}

static inline int is_space(char c) { return SPACE[(unsigned char)c]; }
static inline int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline int is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }
static inline int is_word(char c) { return is_alnum(c) || c == '_'; } /* \w */
static inline int is_tag_name_char(char c) { return is_word(c) || c == '.' || c == '-'; } /* [\w.-] */
static inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

/* ------------------------------------------------------------------------------------------ */
/* str methods */

static int has_char(Str s, char c) { return s.n > 0 && memchr(s.p, c, (size_t)s.n) != NULL; }

/* What a rewrite does at each of its marker characters: appends to b what replaces the text that
 * starts at text[at], and returns where the rewrite goes on. */
typedef Py_ssize_t (*Rewriter)(Buf *b, Str text, Py_ssize_t at, void *context);

/* The text with what starts at each `marker` character replaced: a regular expression's sub(),
 * for an expression that starts with that character. */
static Str rewrite(Str text, char marker, Rewriter at_marker, void *context) {
    if (!has_char(text, marker)) {
        return text;
    }
    Buf b = {0};
    if (!reserve(&b, text.n)) {
        return EMPTY;
    }
    Py_ssize_t i = 0;
    while (i < text.n && !FAILED) {
        Py_ssize_t at = copy_until(&b, text, i, marker);
        if (at == text.n) {
            break;
        }
        i = at_marker(&b, text, at, context);
    }
    return FAILED ? EMPTY : done(&b);
}

/* str.find(needle, start, end); m is the needle's length */
static Py_ssize_t find_n(Str s, const char *needle, Py_ssize_t m, Py_ssize_t start, Py_ssize_t end) {
    if (end > s.n) {
        end = s.n;
    }
    for (Py_ssize_t i = start; i + m <= end;) {
        const char *hit = memchr(s.p + i, needle[0], (size_t)(end - m + 1 - i));
        if (hit == NULL) {
            return -1;
        }
        i = hit - s.p;
        if (memcmp(hit, needle, (size_t)m) == 0) {
            return i;
        }
        i++;
    }
    return -1;
}

/* for a literal needle */
#define find(s, needle, start, end) find_n(s, needle, (Py_ssize_t)sizeof(needle) - 1, start, end)

#define contains(s, needle) (find(s, needle, 0, (s).n) != -1)

/* for literals */
#define starts_with(s, prefix) ((s).n >= (Py_ssize_t)sizeof(prefix) - 1 && memcmp((s).p, prefix, sizeof(prefix) - 1) == 0)
#define equals(s, word) ((s).n == (Py_ssize_t)sizeof(word) - 1 && memcmp((s).p, word, sizeof(word) - 1) == 0)

static int equals_z(Str s, const char *word) {
    Py_ssize_t m = (Py_ssize_t)strlen(word);
    return s.n == m && memcmp(s.p, word, (size_t)m) == 0;
}

static Py_ssize_t count_char(Str s, char c, Py_ssize_t start, Py_ssize_t end) {
    Py_ssize_t count = 0;
    for (Py_ssize_t i = start; i < end; i++) {
        count += s.p[i] == c;
    }
    return count;
}

/* str.strip() */
static Str strip(Str s) {
    while (s.n > 0 && is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && is_space(s.p[s.n - 1])) {
        s.n--;
    }
    return s;
}

static Str rstrip(Str s) {
    while (s.n > 0 && is_space(s.p[s.n - 1])) {
        s.n--;
    }
    return s;
}

/* str.strip(chars), str.rstrip(chars) for one or two characters */
static Str strip_chars(Str s, char a, char b) {
    while (s.n > 0 && (s.p[0] == a || s.p[0] == b)) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && (s.p[s.n - 1] == a || s.p[s.n - 1] == b)) {
        s.n--;
    }
    return s;
}

/* " ".join(text.split()), or text itself when that is the same */
static Str collapse_spaces(Str s) {
    int clean = s.n == 0 || (!is_space(s.p[0]) && !is_space(s.p[s.n - 1]));
    for (Py_ssize_t i = 0; clean && i < s.n; i++) {
        if (is_space(s.p[i]) && (s.p[i] != ' ' || is_space(s.p[i + 1]))) {
            clean = 0;
        }
    }
    if (clean) {
        return s;
    }
    Buf b = {0};
    if (!reserve(&b, s.n)) {
        return EMPTY;
    }
    Py_ssize_t i = 0;
    while (i < s.n) {
        while (i < s.n && is_space(s.p[i])) {
            i++;
        }
        if (i >= s.n) {
            break;
        }
        if (b.n) {
            b.p[b.n++] = ' ';
        }
        while (i < s.n && !is_space(s.p[i])) {
            b.p[b.n++] = s.p[i++];
        }
    }
    return done(&b);
}

/* ------------------------------------------------------------------------------------------ */
/* Parse state, as javadoc._State */

typedef struct {
    int depth;
    int inherit_doc;
    int has_summary, has_inline_return;
    Str summary, inline_return;
    Str *codes;
    Py_ssize_t ncodes, codes_cap;
} State;

static Str render(Str text, State *st);
static Str render_flow(Str text, State *st);
static Str layout(Str flowed, State *st);

/* ------------------------------------------------------------------------------------------ */
/* _comment_body */

/* _LEADING_STARS, r"\n[ \t]*\*+ ?" -> "\n". Without a star after the blanks nothing matches. */
static Py_ssize_t leading_stars(Buf *b, Str s, Py_ssize_t at, void *unused) {
    (void)unused;
    put_char(b, '\n');
    Py_ssize_t j = at + 1;
    while (j < s.n && (s.p[j] == ' ' || s.p[j] == '\t')) {
        j++;
    }
    if (!(j < s.n && s.p[j] == '*')) {
        return at + 1;
    }
    while (j < s.n && s.p[j] == '*') {
        j++;
    }
    return j < s.n && s.p[j] == ' ' ? j + 1 : j;
}

static Str comment_body(Str raw) {
    Str s = raw;
    if (starts_with(s, "/**")) {
        s = slice(s, 3, s.n);
    }
    if (s.n >= 2 && s.p[s.n - 2] == '*' && s.p[s.n - 1] == '/') {
        s.n -= 2;
    }
    while (s.n > 0 && s.p[0] == '*') {
        s = slice(s, 1, s.n);
    }
    return rewrite(s, '\n', leading_stars, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* _inline_spans */

typedef struct {
    Py_ssize_t start, end;
    Str name, content;
} Span;

static int has_inline_tag(Str s) { return has_char(s, '{') && contains(s, "{@"); }

static Span *inline_spans(Str text, Py_ssize_t *count) {
    Py_ssize_t cap = count_char(text, '{', 0, text.n) + 1;
    Span *spans = arena_alloc(sizeof(Span) * (size_t)cap);
    *count = 0;
    if (spans == NULL) {
        outcome = NO_MEMORY;
        return NULL;
    }
    Py_ssize_t pos = find(text, "{@", 0, text.n);
    while (pos != -1) {
        /* _INLINE_NAME, r"\{@([A-Za-z][\w.-]*)" */
        Py_ssize_t name_end = pos + 2;
        if (!(name_end < text.n && is_alpha(text.p[name_end]))) {
            pos = find(text, "{@", pos + 2, text.n);
            continue;
        }
        while (name_end < text.n && is_tag_name_char(text.p[name_end])) {
            name_end++;
        }
        Py_ssize_t close = find(text, "}", name_end, text.n);
        Py_ssize_t end;
        Str content;
        if (close != -1 && find(text, "{", name_end, close) == -1) {
            end = close + 1;
            content = slice(text, name_end, close);
        } else {
            int depth = 1;
            Py_ssize_t cursor = name_end;
            end = text.n;
            while (depth) {
                Py_ssize_t brace = cursor;
                while (brace < text.n && text.p[brace] != '{' && text.p[brace] != '}') {
                    brace++;
                }
                if (brace >= text.n) {
                    break;
                }
                depth += text.p[brace] == '{' ? 1 : -1;
                cursor = brace + 1;
                end = cursor;
            }
            content = slice(text, name_end, depth == 0 ? end - 1 : end);
        }
        if (content.n > 0 && (content.p[0] == ' ' || content.p[0] == '\t' || content.p[0] == '\n')) {
            content = slice(content, 1, content.n);
        }
        Span *span = &spans[(*count)++];
        span->start = pos;
        span->end = end;
        span->name = slice(text, pos + 2, name_end);
        span->content = content;
        pos = find(text, "{@", end, text.n);
    }
    return spans;
}

/* ------------------------------------------------------------------------------------------ */
/* html.unescape, for the entities this module takes on */

typedef struct {
    const char *name;
    char value;
} Entity;

static const Entity ENTITIES[] = {
    {"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}, {"nbsp;", NBSP},
    /* the legacy names html.unescape also takes without the semicolon */
    {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"nbsp", NBSP},
};

static int is_entity_name_char(char c) {
    /* [^\t\n\f <&#;] */
    return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' && c != ';';
}

static int is_hex(char c) { return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f'); }

/* html._charref, r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)", at text[i] == '&':
 * the length of the reference (0: no match, the '&' is text) and its character in *value. */
static Py_ssize_t entity_at(Str text, Py_ssize_t i, char *value) {
    Py_ssize_t j = i + 1;
    if (j < text.n && text.p[j] == '#') {
        int hex = 0;
        Py_ssize_t k = j + 1;
        if (k < text.n && text.p[k] >= '0' && text.p[k] <= '9') {
            /* decimal */
        } else if (k + 1 < text.n && (text.p[k] == 'x' || text.p[k] == 'X') && is_hex(text.p[k + 1])) {
            hex = 1;
            k++;
        } else {
            return 0; /* "&#" and no number: no alternative matches */
        }
        long number = 0;
        Py_ssize_t digits = 0;
        while (k < text.n && (hex ? is_hex(text.p[k]) : (text.p[k] >= '0' && text.p[k] <= '9'))) {
            char c = lower(text.p[k]);
            if (++digits > 7) {
                outcome = DECLINED; /* a number beyond what is checked here */
                return 0;
            }
            number = number * (hex ? 16 : 10) + (c <= '9' ? c - '0' : c - 'a' + 10);
            k++;
        }
        if (k < text.n && text.p[k] == ';') {
            k++;
        }
        if (number < 32 || number > 126) {
            outcome = DECLINED; /* control characters, U+007F, non-ASCII: html.unescape's rules */
            return 0;
        }
        *value = (char)number;
        return k - i;
    }
    Py_ssize_t k = j;
    while (k < text.n && k - j < 32 && is_entity_name_char(text.p[k])) {
        k++;
    }
    if (k == j) {
        return 0;
    }
    if (!is_alpha(text.p[j])) {
        return 0; /* every HTML5 entity name starts with a letter: html.unescape keeps the text */
    }
    Py_ssize_t end = k < text.n && text.p[k] == ';' ? k + 1 : k;
    Str name = slice(text, j, end);
    for (size_t e = 0; e < sizeof ENTITIES / sizeof ENTITIES[0]; e++) {
        if (equals_z(name, ENTITIES[e].name)) {
            *value = ENTITIES[e].value;
            return end - i;
        }
    }
    outcome = DECLINED; /* another entity, or a name whose prefix may be one */
    return 0;
}

static Py_ssize_t entity(Buf *b, Str text, Py_ssize_t at, void *unused) {
    (void)unused;
    char value;
    Py_ssize_t length = entity_at(text, at, &value);
    put_char(b, length ? value : '&');
    return at + (length ? length : 1);
}

static Str unescape(Str text) { return rewrite(text, '&', entity, NULL); }

/* ------------------------------------------------------------------------------------------ */
/* HTML */

static const char *const HTML_ELEMENTS[] = {
    "a", "abbr", "article", "aside", "b", "big", "blockquote", "body", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr", "html", "i",
    "img", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "q", "s", "samp", "section", "small",
    "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "time", "tr", "tt", "u", "ul", "var", "wbr", NULL,
};
static const char *const PARAGRAPH_TAGS[] = {
    "p", "div", "table", "blockquote", "ul", "ol", "dl", "hr", "section", "article", "header", "footer",
    "nav", "h1", "h2", "h3", "h4", "h5", "h6", NULL,
};
static const char *const LINE_TAGS[] = {"br", "tr", "dt", "dd", "caption", NULL};
/* _PRE_HTML_TAG's names */
static const char *const PRE_HTML_TAGS[] = {
    "b", "i", "em", "strong", "code", "a", "span", "tt", "u", "font", "br", "sup", "sub", "var",
    "small", "big", "mark", "kbd", "samp", "cite", "dfn", "abbr", "s", "strike", "del", "ins", NULL,
};

/* Is the lower-cased name one of the list? */
static int one_of(const char *lowered, Py_ssize_t n, const char *const *names) {
    for (; *names; names++) {
        if ((*names)[0] == lowered[0] && (Py_ssize_t)strlen(*names) == n && memcmp(*names, lowered, (size_t)n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* _HTML_TAG, r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*>|<!--.*?-->" (re.S | re.I), at text[i] == '<'.
 * Returns the match's end, or -1; sets the name (empty for a comment) and whether it closes.
 * The name's run is maximal and only an end at a non-word character is a word boundary, so a
 * shorter run, or giving back the '/', cannot match where the maximal one did not. */
static Py_ssize_t html_tag_at(Str text, Py_ssize_t i, Str *name, int *closing, Py_ssize_t *no_close_from) {
    Py_ssize_t j = i + 1;
    *closing = 0;
    if (j < text.n && text.p[j] == '/') {
        *closing = 1;
        j++;
    }
    if (j < text.n && is_alpha(text.p[j])) {
        Py_ssize_t k = j + 1;
        while (k < text.n && is_alnum(text.p[k])) {
            k++;
        }
        if (k >= text.n || !is_word(text.p[k])) {
            Py_ssize_t m = k;
            while (m < text.n && text.p[m] != '<' && text.p[m] != '>') {
                m++;
            }
            if (m < text.n && text.p[m] == '>') {
                *name = slice(text, j, k);
                return m + 1;
            }
        }
    }
    *closing = 0;
    if (i + 4 <= text.n && memcmp(text.p + i, "<!--", 4) == 0 && i + 4 < *no_close_from) {
        Py_ssize_t close = find(text, "-->", i + 4, text.n);
        if (close != -1) {
            *name = EMPTY;
            return close + 3;
        }
        *no_close_from = i + 4; /* and every "<!--" after this one is unterminated too */
    }
    return -1;
}

/* _html_replacement for the _HTML_TAG match at text[at], if any; context: html_tag_at's memo */
static Py_ssize_t html_tag(Buf *b, Str text, Py_ssize_t at, void *no_close_from) {
    Str name;
    int closing;
    Py_ssize_t end = html_tag_at(text, at, &name, &closing, no_close_from);
    if (end == -1) {
        put_char(b, '<');
        return at + 1;
    }
    char lowered[16] = "";
    Py_ssize_t n = name.n;
    if (n > (Py_ssize_t)sizeof lowered) {
        put(b, text.p + at, end - at); /* longer than any element's name: text */
        return end;
    }
    for (Py_ssize_t c = 0; c < n; c++) {
        lowered[c] = lower(name.p[c]);
    }
    if (n && !one_of(lowered, n, HTML_ELEMENTS)) {
        put(b, text.p + at, end - at); /* `List<String>` in prose: not markup */
    } else if (n == 2 && memcmp(lowered, "li", 2) == 0) {
        if (closing) {
            put_char(b, ' ');
        } else {
            put_char(b, LINE);
            put(b, "- ", 2);
        }
    } else if (n && one_of(lowered, n, PARAGRAPH_TAGS)) {
        put_char(b, PARA);
    } else if (n && one_of(lowered, n, LINE_TAGS)) {
        put_char(b, LINE);
    } else if (n == 2 && (memcmp(lowered, "td", 2) == 0 || memcmp(lowered, "th", 2) == 0)) {
        put_char(b, ' ');
    }
    return end;
}

/* _strip_html: tags replaced as _html_replacement says, then entities decoded */
static Str strip_html(Str text) {
    Py_ssize_t no_close_from = text.n + 1;
    return unescape(rewrite(text, '<', html_tag, &no_close_from));
}

/* _PRE_HTML_TAG, r"</?(?:b|i|em|...)\b[^<>]*>" (re.I), at text[at]: dropped. With the word boundary
 * after the name, a name matches only if it is the whole run of word characters there. */
static Py_ssize_t pre_html_tag(Buf *b, Str text, Py_ssize_t at, void *unused) {
    (void)unused;
    Py_ssize_t j = at + 1;
    if (j < text.n && text.p[j] == '/') {
        j++;
    }
    Py_ssize_t k = j;
    while (k < text.n && is_word(text.p[k])) {
        k++;
    }
    char lowered[8];
    if (k > j && k - j <= (Py_ssize_t)sizeof lowered) {
        for (Py_ssize_t c = j; c < k; c++) {
            lowered[c - j] = lower(text.p[c]);
        }
        if (one_of(lowered, k - j, PRE_HTML_TAGS)) {
            Py_ssize_t m = k;
            while (m < text.n && text.p[m] != '<' && text.p[m] != '>') {
                m++;
            }
            if (m < text.n && text.p[m] == '>') {
                return m + 1;
            }
        }
    }
    put_char(b, '<');
    return at + 1;
}

static Str strip_pre_html(Str text) { return rewrite(text, '<', pre_html_tag, NULL); }

/* ------------------------------------------------------------------------------------------ */
/* References, inline tags */

/* _pretty_reference */
static Str pretty_reference(Str reference) {
    reference = strip(reference);
    if (reference.n > 0 && reference.p[0] == '#') {
        return slice(reference, 1, reference.n);
    }
    if (!has_char(reference, '#')) {
        return reference;
    }
    Buf b = {0};
    put_str(&b, reference);
    for (Py_ssize_t i = 0; i < b.n; i++) {
        if (b.p[i] == '#') {
            b.p[i] = '.';
        }
    }
    return done(&b);
}

/* _render_reference. _REFERENCE, r"\s*((?:[^\s(]|\([^)]*\)?)+)\s*(.*)" (re.S): what follows the
 * reference always matches, so its greedy first choice is the match. */
static Str render_reference(Str content, State *st) {
    Py_ssize_t i = 0;
    while (i < content.n && is_space(content.p[i])) {
        i++;
    }
    Py_ssize_t start = i;
    while (i < content.n) {
        char c = content.p[i];
        if (c == '(') {
            i++;
            while (i < content.n && content.p[i] != ')') {
                i++;
            }
            if (i < content.n) {
                i++;
            }
        } else if (!is_space(c)) {
            i++;
        } else {
            break;
        }
    }
    if (i == start) {
        return EMPTY;
    }
    Str reference = slice(content, start, i);
    while (i < content.n && is_space(content.p[i])) {
        i++;
    }
    Str label = slice(content, i, content.n);
    if (label.n) {
        return layout(render_flow(label, st), st);
    }
    return pretty_reference(reference);
}

static Str code_marker(Str code, State *st) {
    if (st->ncodes == st->codes_cap) {
        Py_ssize_t cap = st->codes_cap ? st->codes_cap * 2 : 8;
        Str *codes = arena_alloc(sizeof(Str) * (size_t)cap);
        if (codes == NULL) {
            outcome = NO_MEMORY;
            return EMPTY;
        }
        if (st->ncodes) {
            memcpy(codes, st->codes, sizeof(Str) * (size_t)st->ncodes);
        }
        st->codes = codes;
        st->codes_cap = cap;
    }
    st->codes[st->ncodes] = code;
    char marker[32];
    int n = snprintf(marker, sizeof marker, "%c%c%zd%c%c", PARA, CODE_OPEN, st->ncodes, CODE_CLOSE, PARA);
    st->ncodes++;
    Buf b = {0};
    put(&b, marker, n);
    return done(&b);
}

static Str render_inline(Str name, Str content, State *st) {
    if (equals(name, "code") || equals(name, "literal")) {
        return strip(content);
    }
    if (equals(name, "link") || equals(name, "linkplain")) {
        return render_reference(content, st);
    }
    if (equals(name, "inheritDoc")) {
        st->inherit_doc = 1;
        return EMPTY;
    }
    if (equals(name, "summary")) {
        Str rendered = layout(render_flow(content, st), st);
        st->summary = rendered;
        st->has_summary = 1;
        return rendered;
    }
    if (equals(name, "return")) {
        Str rendered = layout(render_flow(content, st), st);
        st->inline_return = rendered;
        st->has_inline_return = 1;
        Str kept = rendered;
        while (kept.n > 0 && kept.p[kept.n - 1] == '.') {
            kept.n--;
        }
        Buf b = {0};
        put(&b, "Returns ", 8);
        put_str(&b, kept);
        put_char(&b, '.');
        return done(&b);
    }
    if (equals(name, "value")) {
        Str value = strip(content);
        return value.n ? pretty_reference(value) : EMPTY;
    }
    if (equals(name, "docRoot")) {
        return EMPTY;
    }
    if (equals(name, "index")) {
        Str term = strip(content);
        if (term.n > 0 && term.p[0] == '"') {
            Py_ssize_t quote = find(term, "\"", 1, term.n);
            return slice(term, 1, quote == -1 ? term.n : quote);
        }
        Py_ssize_t i = 0;
        while (i < term.n && !is_space(term.p[i])) {
            i++;
        }
        return slice(term, 0, i);
    }
    if (equals(name, "snippet")) {
        outcome = DECLINED;
        return EMPTY;
    }
    return render_flow(content, st); /* {@systemProperty x}, unknown tags: their text */
}

/* ------------------------------------------------------------------------------------------ */
/* Rendering */

/* _BLANK_LINE, r"\n[ \t]*\n", at text[at] -> _PARA */
static Py_ssize_t blank_line(Buf *b, Str text, Py_ssize_t at, void *unused) {
    (void)unused;
    Py_ssize_t j = at + 1;
    while (j < text.n && (text.p[j] == ' ' || text.p[j] == '\t')) {
        j++;
    }
    if (j < text.n && text.p[j] == '\n') {
        put_char(b, PARA);
        return j + 1;
    }
    put_char(b, '\n');
    return at + 1;
}

/* _render_flow */
static Str render_flow(Str text, State *st) {
    if (has_char(text, '\n')) {
        text = rewrite(text, '\n', blank_line, NULL);
    }
    if (FAILED) {
        return EMPTY;
    }
    if (!has_inline_tag(text) || st->depth >= MAX_INLINE_NESTING) {
        return strip_html(text);
    }
    st->depth++;
    Py_ssize_t count;
    Span *spans = inline_spans(text, &count);
    Buf b = {0};
    Py_ssize_t pos = 0;
    for (Py_ssize_t s = 0; s < count && !FAILED; s++) {
        put_str(&b, strip_html(slice(text, pos, spans[s].start)));
        put_str(&b, render_inline(spans[s].name, spans[s].content, st));
        pos = spans[s].end;
    }
    put_str(&b, strip_html(slice(text, pos, text.n)));
    st->depth--;
    return FAILED ? EMPTY : done(&b);
}

/* _dedent_code: tabs expanded, blank lines at the ends dropped, lines right-stripped, then
 * textwrap.dedent, which (no tabs and no trailing blanks being left) removes the least indent of
 * the lines that are not empty from each of them. */
static Str dedent_code(Str code) {
    /* code.expandtabs(4): the column restarts after "\n" and "\r" */
    Buf expanded = {0};
    if (has_char(code, '\t')) {
        Py_ssize_t column = 0;
        for (Py_ssize_t i = 0; i < code.n; i++) {
            char c = code.p[i];
            if (c == '\t') {
                Py_ssize_t spaces = 4 - column % 4;
                for (Py_ssize_t k = 0; k < spaces; k++) {
                    put_char(&expanded, ' ');
                }
                column += spaces;
            } else {
                put_char(&expanded, c);
                column = (c == '\n' || c == '\r') ? 0 : column + 1;
            }
        }
        if (FAILED) {
            return EMPTY;
        }
        code = done(&expanded);
    }
    /* lines: split at "\n" */
    Py_ssize_t nlines = count_char(code, '\n', 0, code.n) + 1;
    Str *lines = arena_alloc(sizeof(Str) * (size_t)nlines);
    if (lines == NULL) {
        outcome = NO_MEMORY;
        return EMPTY;
    }
    Py_ssize_t start = 0, index = 0;
    for (Py_ssize_t i = 0; i <= code.n; i++) {
        if (i == code.n || code.p[i] == '\n') {
            lines[index++] = slice(code, start, i);
            start = i + 1;
        }
    }
    Py_ssize_t first = 0, last = nlines;
    while (first < last && strip(lines[first]).n == 0) {
        first++;
    }
    while (last > first && strip(lines[last - 1]).n == 0) {
        last--;
    }
    Py_ssize_t margin = -1;
    for (Py_ssize_t l = first; l < last; l++) {
        lines[l] = rstrip(lines[l]);
        if (lines[l].n == 0) {
            continue;
        }
        Py_ssize_t indent = 0;
        while (indent < lines[l].n && lines[l].p[indent] == ' ') {
            indent++;
        }
        if (margin == -1 || indent < margin) {
            margin = indent;
        }
    }
    if (margin < 0) {
        margin = 0;
    }
    Buf b = {0};
    for (Py_ssize_t l = first; l < last; l++) {
        if (l > first) {
            put_char(&b, '\n');
        }
        Str line = lines[l];
        put_str(&b, line.n ? slice(line, margin, line.n) : line);
    }
    return done(&b);
}

/* _render_code: a <pre> block */
static Str render_code(Str text, State *st) {
    Buf b = {0};
    Py_ssize_t pos = 0;
    if (has_inline_tag(text)) {
        Py_ssize_t count;
        Span *spans = inline_spans(text, &count);
        for (Py_ssize_t s = 0; s < count && !FAILED; s++) {
            put_str(&b, slice(text, pos, spans[s].start));
            Str name = spans[s].name;
            if (equals(name, "code") || equals(name, "literal")) {
                put_str(&b, spans[s].content);
            } else {
                put_str(&b, render_inline(name, spans[s].content, st));
            }
            pos = spans[s].end;
        }
    }
    put_str(&b, slice(text, pos, text.n));
    if (FAILED) {
        return EMPTY;
    }
    Str code = strip_pre_html(done(&b));
    if (FAILED) {
        return EMPTY;
    }
    code = unescape(code);
    if (FAILED) {
        return EMPTY;
    }
    return dedent_code(code);
}

static int has_pre(Str s) { return has_char(s, '<') && (contains(s, "<pre") || contains(s, "<PRE")); }

static int matches_ignoring_case(Str s, Py_ssize_t i, const char *lowered) {
    Py_ssize_t m = (Py_ssize_t)strlen(lowered);
    if (i + m > s.n) {
        return 0;
    }
    for (Py_ssize_t k = 0; k < m; k++) {
        if (lower(s.p[i + k]) != lowered[k]) {
            return 0;
        }
    }
    return 1;
}

/* _PRE, r"<pre\b[^>]*>(.*?)(?:</pre\s*>|\Z)" (re.I | re.S), at text[i] == '<': the match's end or
 * -1, and where the code in it starts and ends. */
static Py_ssize_t pre_at(Str text, Py_ssize_t i, Py_ssize_t *code_start, Py_ssize_t *code_end, Py_ssize_t *no_gt_from) {
    if (!matches_ignoring_case(text, i, "<pre")) {
        return -1;
    }
    Py_ssize_t j = i + 4;
    if (j < text.n && is_word(text.p[j])) {
        return -1;
    }
    const char *gt = j < *no_gt_from ? memchr(text.p + j, '>', (size_t)(text.n - j)) : NULL;
    if (gt == NULL) {
        *no_gt_from = j; /* and no "<pre" after this one has its '>' either */
        return -1;
    }
    j = gt - text.p;
    *code_start = j + 1;
    for (Py_ssize_t k = j + 1; k < text.n; k++) {
        if (text.p[k] == '<' && matches_ignoring_case(text, k, "</pre")) {
            Py_ssize_t m = k + 5;
            while (m < text.n && is_space(text.p[m])) {
                m++;
            }
            if (m < text.n && text.p[m] == '>') {
                *code_end = k;
                return m + 1;
            }
        }
    }
    *code_end = text.n;
    return text.n;
}

/* _render */
static Str render(Str text, State *st) {
    text = strip(text);
    Str flowed;
    if (has_pre(text)) {
        Buf b = {0};
        Py_ssize_t pos = 0, i = 0, no_gt_from = text.n + 1;
        while (i < text.n && !FAILED) {
            const char *lt = memchr(text.p + i, '<', (size_t)(text.n - i));
            if (lt == NULL) {
                break;
            }
            Py_ssize_t at = lt - text.p, code_start, code_end;
            Py_ssize_t end = pre_at(text, at, &code_start, &code_end, &no_gt_from);
            if (end == -1) {
                i = at + 1;
                continue;
            }
            put_str(&b, render_flow(slice(text, pos, at), st));
            put_str(&b, code_marker(render_code(slice(text, code_start, code_end), st), st));
            pos = i = end;
        }
        put_str(&b, render_flow(slice(text, pos, text.n), st));
        flowed = done(&b);
    } else {
        flowed = render_flow(text, st);
    }
    return FAILED ? EMPTY : layout(flowed, st);
}

/* _CODE_BLOCK, "\x03(\d+)\x04", at text[at] -> the code, fenced */
static Py_ssize_t code_block(Buf *b, Str text, Py_ssize_t at, void *state) {
    State *st = state;
    Py_ssize_t k = at + 1, index = 0;
    while (k < text.n && text.p[k] >= '0' && text.p[k] <= '9' && index < st->ncodes) {
        index = index * 10 + (text.p[k] - '0');
        k++;
    }
    if (k > at + 1 && k < text.n && text.p[k] == CODE_CLOSE && index < st->ncodes) {
        put(b, "```\n", 4);
        put_str(b, st->codes[index]);
        put(b, "\n```", 4);
        return k + 1;
    }
    put_char(b, CODE_OPEN);
    return at + 1;
}

/* _layout */
static Str layout(Str flowed, State *st) {
    if (FAILED) {
        return EMPTY;
    }
    Str text = collapse_spaces(flowed);
    int para = has_char(text, PARA), line = has_char(text, LINE);
    if (!para && !line) {
        return text;
    }
    Buf b = {0};
    int kept = 0;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i <= text.n; i++) {
        if (i < text.n && !(para && text.p[i] == PARA)) {
            continue;
        }
        Str piece = strip_chars(slice(text, start, i), ' ', LINE);
        start = i + 1;
        if (piece.n == 0) {
            continue;
        }
        if (kept++) {
            put(&b, "\n\n", 2);
        }
        if (!(line && has_char(piece, LINE))) {
            put_str(&b, piece);
            continue;
        }
        int parts = 0;
        Py_ssize_t part_start = 0;
        for (Py_ssize_t k = 0; k <= piece.n; k++) {
            if (k < piece.n && piece.p[k] != LINE) {
                continue;
            }
            Str part = strip_chars(slice(piece, part_start, k), ' ', ' ');
            part_start = k + 1;
            if (part.n) {
                if (parts++) {
                    put_char(&b, '\n');
                }
                put_str(&b, part);
            }
        }
    }
    text = done(&b);
    return st->ncodes ? rewrite(text, CODE_OPEN, code_block, st) : text;
}

/* first_sentence. _SENTENCE_END, r"[.!?](?=\s+[^a-z\s]|\s*$)": the run of blanks after the mark
 * is all the lookahead can take, so it matches when the run reaches the end, or is not empty and
 * is followed by anything but a lower-case letter. */
static Str first_sentence(Str text) {
    Str paragraph = text;
    if (has_char(text, '\n')) {
        Py_ssize_t cut = find(text, "\n\n", 0, text.n);
        if (cut != -1) {
            paragraph = slice(text, 0, cut);
        }
    }
    if (starts_with(paragraph, "```")) {
        return EMPTY;
    }
    for (Py_ssize_t i = 0; i < paragraph.n; i++) {
        char c = paragraph.p[i];
        if (c != '.' && c != '!' && c != '?') {
            continue;
        }
        Py_ssize_t j = i + 1;
        while (j < paragraph.n && (is_space(paragraph.p[j]))) {
            j++;
        }
        if (j == paragraph.n || (j > i + 1 && !(paragraph.p[j] >= 'a' && paragraph.p[j] <= 'z'))) {
            paragraph = slice(paragraph, 0, i + 1);
            break;
        }
    }
    if (!has_char(paragraph, '\n')) {
        return paragraph;
    }
    Buf b = {0};
    put_str(&b, paragraph);
    for (Py_ssize_t i = 0; i < b.n; i++) {
        if (b.p[i] == '\n') {
            b.p[i] = ' ';
        }
    }
    return done(&b);
}

/* ------------------------------------------------------------------------------------------ */
/* Block tags */

typedef struct {
    Str name, text;
} Block;

/* The last occurrence of a needle that ends by a position, for positions that only grow: what
 * str.rfind(needle, 0, pos) gives, in one forward pass over the text instead of one per position. */
typedef struct {
    const char *needle;
    Py_ssize_t m, next, last;
} LastSeen;

static LastSeen last_seen(Str s, const char *needle) {
    Py_ssize_t m = (Py_ssize_t)strlen(needle);
    LastSeen seen = {needle, m, find_n(s, needle, m, 0, s.n), -1};
    return seen;
}

static Py_ssize_t last_before(LastSeen *seen, Str s, Py_ssize_t pos) {
    while (seen->next != -1 && seen->next + seen->m <= pos) {
        seen->last = seen->next;
        seen->next = find_n(s, seen->needle, seen->m, seen->next + 1, s.n);
    }
    return seen->last;
}

/* _split_block_tags: the blocks, and where the main description ends (body.n: all of it).
 * _BLOCK_TAG, r"\n[ \t]*@([A-Za-z][\w.-]*)": every '@' after a newline and blanks, before a letter,
 * starts a tag (a match holds one newline, at its start, so matches never overlap). Found from
 * the '@'s, which are far fewer than the newlines. As in javadoc._unprotected, which tags a
 * <pre> or an inline tag hides is found going forward, the tags coming in order: the last "{@",
 * "<pre", "</pre"... before a tag, and the braces since that "{@". (Searching back from each tag
 * takes time in the square of the comment's length: 1.5 s for 20,000 tags after a <pre>.) */
static Block *split_block_tags(Str body, Py_ssize_t *main_end, Py_ssize_t *count) {
    *count = 0;
    *main_end = body.n;
    if (!has_char(body, '@')) {
        return NULL;
    }
    Buf shifted = {0};
    put_char(&shifted, '\n');
    put_str(&shifted, body);
    if (FAILED) {
        return NULL;
    }
    Str sb = done(&shifted);
    Py_ssize_t cap = 0;
    for (const char *at = sb.p; (at = memchr(at, '@', (size_t)(sb.p + sb.n - at))) != NULL; at++) {
        cap++;
    }
    Py_ssize_t *starts = arena_alloc(sizeof(Py_ssize_t) * 3 * (size_t)cap);
    Block *blocks = arena_alloc(sizeof(Block) * (size_t)cap);
    if (starts == NULL || blocks == NULL) {
        outcome = NO_MEMORY;
        return NULL;
    }
    int pre = has_pre(sb);
    LastSeen inline_open = last_seen(sb, "{@"), pre_lower = last_seen(sb, "<pre"), pre_upper = last_seen(sb, "<PRE");
    LastSeen end_lower = last_seen(sb, "</pre"), end_upper = last_seen(sb, "</PRE");
    Py_ssize_t last_open = -1, opens = 0, closes = 0, counted_to = 0; /* braces in sb[last_open:counted_to] */
    Py_ssize_t found = 0;
    for (const char *at = sb.p; (at = memchr(at, '@', (size_t)(sb.p + sb.n - at))) != NULL; at++) {
        Py_ssize_t a = at - sb.p, j = a;
        while (j > 0 && (sb.p[j - 1] == ' ' || sb.p[j - 1] == '\t')) {
            j--;
        }
        if (!(j > 0 && sb.p[j - 1] == '\n' && a + 1 < sb.n && is_alpha(sb.p[a + 1]))) {
            continue;
        }
        Py_ssize_t name_start = a + 1, name_end = a + 2;
        while (name_end < sb.n && is_tag_name_char(sb.p[name_end])) {
            name_end++;
        }
        int protected = 0; /* javadoc._unprotected */
        Py_ssize_t opened = last_before(&inline_open, sb, name_start);
        if (opened != last_open) {
            last_open = counted_to = opened;
            opens = closes = 0;
        }
        if (last_open != -1) {
            opens += count_char(sb, '{', counted_to, name_start);
            closes += count_char(sb, '}', counted_to, name_start);
            counted_to = name_start;
            protected = opens > closes;
        }
        if (!protected && pre) {
            Py_ssize_t open = last_before(&pre_lower, sb, name_start);
            if (open == -1) {
                open = last_before(&pre_upper, sb, name_start);
            }
            /* no "</pre" or "</PRE" since the "<pre" */
            protected = open != -1 && last_before(&end_lower, sb, name_start) < open &&
                        last_before(&end_upper, sb, name_start) < open;
        }
        if (!protected) {
            starts[3 * found] = j - 1;
            starts[3 * found + 1] = name_start;
            starts[3 * found + 2] = name_end;
            found++;
        }
    }
    if (found == 0) {
        return NULL;
    }
    for (Py_ssize_t f = 0; f < found; f++) {
        Py_ssize_t end = f + 1 < found ? starts[3 * (f + 1)] : sb.n;
        blocks[f].name = slice(sb, starts[3 * f + 1], starts[3 * f + 2]);
        blocks[f].text = slice(sb, starts[3 * f + 2], end);
    }
    *main_end = starts[0];
    *count = found;
    return blocks;
}

/* _first_word, r"\s*(\S+)\s*(.*)" (re.S) */
static int first_word(Str text, Str *key, Str *rest) {
    Py_ssize_t i = 0;
    while (i < text.n && is_space(text.p[i])) {
        i++;
    }
    Py_ssize_t start = i;
    while (i < text.n && !is_space(text.p[i])) {
        i++;
    }
    if (i == start) {
        return 0;
    }
    *key = slice(text, start, i);
    while (i < text.n && is_space(text.p[i])) {
        i++;
    }
    *rest = slice(text, i, text.n);
    return 1;
}

/* _render_see */
static Str render_see(Str text, State *st) {
    text = strip(text);
    if (text.n > 0 && text.p[0] == '"') {
        return strip_chars(text, '"', '"');
    }
    if (text.n > 0 && text.p[0] == '<') {
        return render(text, st);
    }
    return render_reference(text, st);
}

/* ------------------------------------------------------------------------------------------ */
/* To Python */

static PyObject *to_python(Str s) {
    for (Py_ssize_t i = 0; i < s.n; i++) {
        if ((unsigned char)s.p[i] >= 0x80) {
            return PyUnicode_DecodeLatin1(s.p, s.n, NULL);
        }
    }
    PyObject *result = PyUnicode_New(s.n, 127);
    if (result != NULL && s.n) {
        memcpy(PyUnicode_1BYTE_DATA(result), s.p, (size_t)s.n);
    }
    return result;
}

/* dict[key] = value, keeping the position of a key already there (as Python does) */
typedef struct {
    Str *keys, *values;
    Py_ssize_t n;
} Pairs;

static Py_ssize_t pairs_index(Pairs *pairs, Str key) {
    for (Py_ssize_t i = 0; i < pairs->n; i++) {
        if (pairs->keys[i].n == key.n && memcmp(pairs->keys[i].p, key.p, (size_t)key.n) == 0) {
            return i;
        }
    }
    return -1;
}

static PyObject *pairs_to_dict(Pairs *pairs) {
    PyObject *dict = PyDict_New();
    for (Py_ssize_t i = 0; dict != NULL && i < pairs->n; i++) {
        PyObject *key = to_python(pairs->keys[i]);
        PyObject *value = key ? to_python(pairs->values[i]) : NULL;
        if (value == NULL || PyDict_SetItem(dict, key, value) < 0) {
            Py_CLEAR(dict);
        }
        Py_XDECREF(key);
        Py_XDECREF(value);
    }
    return dict;
}

/* A parsed comment, in the arena */
typedef struct {
    Str summary, description, returns;
    int has_returns, inherit_doc;
    Pairs params, throws;
    Str *tag_names, *tag_texts;
    Py_ssize_t ntags;
} Parsed;

/* parse_javadoc, up to the Python objects; FAILED says whether it got there */
static void parse_comment(Str raw, Parsed *out) {
    State st = {0};
    Str body = comment_body(raw);
    Py_ssize_t main_end, nblocks;
    Block *blocks = FAILED ? NULL : split_block_tags(body, &main_end, &nblocks);
    if (FAILED) {
        return;
    }
    Str description = render(slice(body, 0, main_end), &st);
    Pairs params = {0}, throws = {0};
    Str *tag_names = NULL, *tag_texts = NULL;
    Py_ssize_t ntags = 0;
    int has_returns = 0;
    Str returns = EMPTY;
    if (nblocks) {
        params.keys = arena_alloc(sizeof(Str) * (size_t)nblocks * 6);
        if (params.keys == NULL) {
            outcome = NO_MEMORY;
            return;
        }
        params.values = params.keys + nblocks;
        throws.keys = params.keys + 2 * nblocks;
        throws.values = params.keys + 3 * nblocks;
        tag_names = params.keys + 4 * nblocks;
        tag_texts = params.keys + 5 * nblocks;
    }
    for (Py_ssize_t b = 0; b < nblocks && !FAILED; b++) {
        Str name = blocks[b].name, text = blocks[b].text, key, rest;
        if (equals(name, "param")) {
            if (first_word(text, &key, &rest)) {
                Str rendered = render(rest, &st);
                Py_ssize_t at = pairs_index(&params, key);
                if (at == -1) {
                    at = params.n++;
                    params.keys[at] = key;
                }
                params.values[at] = rendered;
            }
        } else if (equals(name, "return") || equals(name, "returns")) {
            returns = render(text, &st);
            has_returns = 1;
        } else if (equals(name, "throws") || equals(name, "exception")) {
            if (first_word(text, &key, &rest)) {
                Str rendered = render(rest, &st);
                Py_ssize_t at = pairs_index(&throws, key);
                if (at == -1) {
                    at = throws.n++;
                    throws.keys[at] = key;
                    throws.values[at] = rendered;
                } else {
                    Buf merged = {0};
                    put_str(&merged, throws.values[at]);
                    put_char(&merged, ' ');
                    put_str(&merged, rendered);
                    throws.values[at] = strip(done(&merged));
                }
            }
        } else {
            tag_names[ntags] = name;
            tag_texts[ntags++] = equals(name, "see") ? render_see(text, &st) : render(text, &st);
        }
    }
    if (!has_returns && st.has_inline_return) {
        returns = st.inline_return;
        has_returns = 1;
    }
    Str summary = st.has_summary ? st.summary : first_sentence(description);
    Parsed parsed = {summary, description, returns, has_returns, st.inherit_doc, params, throws, tag_names, tag_texts, ntags};
    *out = parsed;
}

/* The tuple parse() returns */
static PyObject *to_tuple(Parsed *parsed) {
    Py_ssize_t ntags = parsed->ntags;
    PyObject *tags = PyList_New(ntags);
    for (Py_ssize_t t = 0; tags != NULL && t < ntags; t++) {
        PyObject *tag = Py_BuildValue("(NN)", to_python(parsed->tag_names[t]), to_python(parsed->tag_texts[t]));
        if (tag == NULL) {
            Py_CLEAR(tags);
            break;
        }
        PyList_SET_ITEM(tags, t, tag);
    }
    PyObject *returns_object = parsed->has_returns ? to_python(parsed->returns) : Py_NewRef(Py_None);
    if (tags == NULL || returns_object == NULL) {
        Py_XDECREF(tags);
        Py_XDECREF(returns_object);
        return NULL;
    }
    return Py_BuildValue(
        "(NNNNNNO)",
        to_python(parsed->summary),
        to_python(parsed->description),
        pairs_to_dict(&parsed->params),
        returns_object,
        pairs_to_dict(&parsed->throws),
        tags,
        parsed->inherit_doc ? Py_True : Py_False);
}

static PyObject *parse(PyObject *module, PyObject *raw) {
    (void)module;
    if (!PyUnicode_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "parse() takes the comment as a str");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(raw)) {
        Py_RETURN_NONE;
    }
    Str text = {(const char *)PyUnicode_1BYTE_DATA(raw), PyUnicode_GET_LENGTH(raw)};
    if (has_char(text, PARA) || has_char(text, LINE) || has_char(text, CODE_OPEN) || has_char(text, CODE_CLOSE)) {
        Py_RETURN_NONE; /* javadoc.py removes them first; rare enough to leave to it */
    }
    /* Parse: no Python API, so nothing else runs meanwhile (see the header). */
    arena = spare;
    spare = NULL;
    outcome = OK;
    Parsed parsed;
    parse_comment(text, &parsed);
    Chunk *mine = arena;
    int parsed_outcome = outcome;
    arena = NULL;
    outcome = OK;
    /* Build the result: finalizers may parse meanwhile, each with an arena of its own. */
    PyObject *result = NULL;
    if (parsed_outcome == NO_MEMORY) {
        PyErr_NoMemory();
    } else if (parsed_outcome == DECLINED) {
        result = Py_NewRef(Py_None);
    } else {
        result = to_tuple(&parsed);
    }
    arena_release(mine);
    return result;
}

static PyMethodDef METHODS[] = {
    {"parse", parse, METH_O,
     "parse(raw) -> (summary, description, params, returns, throws, tags, inherit_doc), or None for\n"
     "a comment this module leaves to javadoc.py."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {
    PyModuleDef_HEAD_INIT, "javadoc_native", "javadoc.py's parser in C, for ASCII comments.", -1, METHODS,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_javadoc_native(void) {
    init_classes();
    PyObject *module = PyModule_Create(&MODULE);
    if (module != NULL && PyModule_AddIntConstant(module, "MAX_INLINE_NESTING", MAX_INLINE_NESTING) < 0) {
        Py_CLEAR(module);
    }
    return module;
}
