"""Differential fuzzing of the native Javadoc parser against the Python one.

``codetune.extract.javadoc_native.parse(raw)`` returns ``None`` (not handled: use Python) or the
tuple ``(summary, description, params, returns, throws, tags, inherit_doc)`` that the Python parser
gives, dict insertion order included. This module supplies the inputs and the comparison:

- :func:`random_comment`: adversarial comments composed from the tricky pieces of the Javadoc syntax
  (layouts, inline tags nested and unterminated, HTML, entities, ``<pre>`` in varied case, block
  tags, sentence ends, odd white space), or with some probability a short random string over a
  small alphabet; now and then a non-ASCII or control character that the native parser must bail on.
- :func:`jdk_comments`: every ``/** ... */`` of a few JDK packages, read from ``src.zip``.
- :func:`problem`: what is wrong with the native result for one comment, or None;
  :func:`shrink`: a delta-debugging minimiser, to make a failing input readable.

Run as a script (``python tests/support/javadoc_fuzz.py [--cases N] [--seed S] [--jdk [--mutations M]]``) it
fuzzes until the first problem, which it prints shrunk; ``tests/extract/test_javadoc_native.py``
runs the same checks under pytest.
"""

from __future__ import annotations

import argparse
import importlib
import random
import re
import sys
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

SRC_ZIP = Path("/usr/lib/jvm/openjdk-17/lib/src.zip")
# About 23,500 comments, read in under a second: java.base's public packages and three small modules.
JDK_PREFIXES = ("java.base/java/", "java.sql/", "java.logging/", "java.net.http/")
_COMMENT = re.compile(r"/\*\*.*?\*/", re.S)

# What the native parser never handles, by its contract: it must answer None. ({@snippet} is declined
# too, but only where javadoc.py would render one: `{@a{@snippet` holds none, and may be handled.)
_MUST_BAIL = re.compile(r"[^\x00-\x7f]|[\x01-\x04]")


# --------------------------------------------------------------------------------------------------
# The two parsers, normalised for comparison


def native_module() -> Any | None:
    """``codetune.extract.javadoc_native``, or None where it does not import."""
    try:
        return importlib.import_module("codetune.extract.javadoc_native")
    except ImportError:
        return None


def reference_tuple(raw: str) -> tuple[Any, ...]:
    """What the Python parser, the definition, gives for ``raw``."""
    from codetune.extract.javadoc import parse_javadoc_python

    doc = parse_javadoc_python(raw)
    return (
        doc.summary,
        doc.description,
        list(doc.params.items()),
        doc.returns,
        list(doc.throws.items()),
        list(doc.tags),
        doc.inherit_doc,
    )


def shape_error(result: object) -> str | None:
    """Why ``result`` is not a tuple of the types the Python parser gives, or None when it is."""
    if result is None:
        return None
    if type(result) is not tuple or len(result) != 7:
        return f"not a 7-tuple: {type(result).__name__} {result!r}"
    summary, description, params, returns, throws, tags, inherit_doc = result
    if type(summary) is not str or type(description) is not str:
        return "summary/description are not str"
    if returns is not None and type(returns) is not str:
        return "returns is neither str nor None"
    for name, value in (("params", params), ("throws", throws)):
        if type(value) is not dict or any(type(k) is not str or type(v) is not str for k, v in value.items()):
            return f"{name} is not a dict of str to str"
    if type(tags) is not list or any(
        type(tag) is not tuple or len(tag) != 2 or type(tag[0]) is not str or type(tag[1]) is not str
        for tag in tags
    ):
        return "tags is not a list of (str, str) tuples"
    if type(inherit_doc) is not bool:
        return "inherit_doc is not a bool"
    return None


def _normalise(result: Any) -> tuple[Any, ...] | None:
    if result is None:
        return None
    summary, description, params, returns, throws, tags, inherit_doc = result
    return (
        summary,
        description,
        list(params.items()),
        returns,
        list(throws.items()),
        list(tags),
        inherit_doc,
    )


def must_bail(raw: str) -> bool:
    """Does ``raw`` hold what the native parser never handles (non-ASCII, \\x01-\\x04)?"""
    return _MUST_BAIL.search(raw) is not None


def problem(raw: str, native_parse: Callable[[str], Any] | None = None) -> tuple[str, str] | None:
    """``(kind, detail)`` of what is wrong with the native result for ``raw``, or None.

    Kinds: ``reference raised`` (a bug of the Python parser), ``native raised``, ``bad shape``,
    ``handled but must bail``, ``mismatch``. A None from the native parser is never wrong, except
    that it must come for the inputs of :func:`must_bail`.
    """
    return check(raw, native_parse)[1]


def check(raw: str, native_parse: Callable[[str], Any] | None = None) -> tuple[bool, tuple[str, str] | None]:
    """Whether the native parser handled ``raw`` (answered other than None), and :func:`problem`."""
    if native_parse is None:
        module = native_module()
        if module is None:
            raise RuntimeError("codetune.extract.javadoc_native does not import")
        native_parse = module.parse
    try:
        result = native_parse(raw)
    except Exception as error:  # any exception is the finding
        return False, ("native raised", f"{type(error).__name__}: {error}")
    if result is None:
        return False, None
    shape = shape_error(result)
    if shape is not None:
        return True, ("bad shape", shape)
    if must_bail(raw):
        return True, ("handled but must bail", f"native: {_normalise(result)!r}")
    try:
        expected = reference_tuple(raw)
    except Exception as error:
        return True, ("reference raised", f"{type(error).__name__}: {error}")
    got = _normalise(result)
    if got != expected:
        return True, ("mismatch", _difference(expected, got))
    return True, None


_FIELDS = ("summary", "description", "params", "returns", "throws", "tags", "inherit_doc")


def _difference(expected: tuple[Any, ...], got: tuple[Any, ...] | None) -> str:
    if got is None:
        return f"reference: {expected!r}\nnative:    None"
    lines = [f"reference: {expected!r}", f"native:    {got!r}"]
    for name, want, have in zip(_FIELDS, expected, got, strict=True):
        if want != have:
            lines.append(f"  {name}: reference {want!r} != native {have!r}")
    return "\n".join(lines)


def explain(raw: str, native_parse: Callable[[str], Any] | None = None) -> str:
    """A readable report of the problem with ``raw``: the shrunk input, then both results."""
    found = problem(raw, native_parse)
    if found is None:
        return f"no problem with {raw!r}"
    kind = found[0]

    def same_kind(candidate: str) -> bool:
        again = problem(candidate, native_parse)
        return again is not None and again[0] == kind

    small = shrink(raw, same_kind)
    detail = problem(small, native_parse)
    assert detail is not None
    if kind == "mismatch":  # the detail shows both results already
        return f"{kind}\nshrunk input: {small!r}\n{detail[1]}\noriginal input ({len(raw)} chars): {raw!r}"
    try:
        reference: object = reference_tuple(small)
    except Exception as error:
        reference = f"raised {type(error).__name__}: {error}"
    return (
        f"{kind}\nshrunk input: {small!r}\n{detail[1]}\nreference tuple: {reference!r}\n"
        f"original input ({len(raw)} chars): {raw!r}"
    )


# --------------------------------------------------------------------------------------------------
# Shrinking


def shrink(raw: str, still_fails: Callable[[str], bool], max_calls: int = 20_000) -> str:
    """A small input for which ``still_fails`` is true, found by delta debugging from ``raw``.

    Removes chunks of decreasing size, then single characters, then replaces characters by ``a``
    or a space, until nothing changes (or ``max_calls`` predicate calls are spent). A predicate that
    raises counts as not failing. ``raw`` itself is returned when it does not fail.

    >>> shrink("xx{@code abc}yy", lambda s: "{@" in s and "}" in s)
    '{@}'
    """
    seen: dict[str, bool] = {}
    calls = 0

    def fails(candidate: str) -> bool:
        nonlocal calls
        if candidate in seen:
            return seen[candidate]
        if calls >= max_calls:
            return False
        calls += 1
        try:
            verdict = bool(still_fails(candidate))
        except Exception:
            verdict = False
        seen[candidate] = verdict
        return verdict

    if not fails(raw):
        return raw
    current = raw
    while True:
        before = current
        chunk = max(len(current) // 2, 1)
        while chunk >= 1:
            pos = 0
            while pos < len(current):
                candidate = current[:pos] + current[pos + chunk :]
                if fails(candidate):
                    current = candidate
                else:
                    pos += chunk
            chunk //= 2
        # Simpler characters: anything -> "a" or " ", and " " -> "a" (never back, so this ends).
        for pos in range(len(current)):
            char = current[pos]
            for simpler in ("a", " "):
                if char == simpler or (char == "a" and simpler == " "):
                    break
                candidate = current[:pos] + simpler + current[pos + 1 :]
                if fails(candidate):
                    current = candidate
                    break
        if current == before or calls >= max_calls:
            return current


# --------------------------------------------------------------------------------------------------
# JDK comments


def jdk_comments(limit: int | None = None, prefixes: tuple[str, ...] = JDK_PREFIXES) -> list[str]:
    """Every ``/** ... */`` of the ``.java`` files under ``prefixes`` of the JDK's src.zip (CRLF made
    LF), in archive order; the first ``limit`` of them; [] where the zip is missing."""
    if not SRC_ZIP.is_file():
        return []
    comments: list[str] = []
    with zipfile.ZipFile(SRC_ZIP) as archive:
        for name in archive.namelist():
            if not (name.endswith(".java") and name.startswith(prefixes)):
                continue
            text = archive.read(name).decode("utf-8", errors="replace").replace("\r\n", "\n")
            comments.extend(_COMMENT.findall(text))
            if limit is not None and len(comments) >= limit:
                return comments[:limit]
    return comments


# --------------------------------------------------------------------------------------------------
# The generator

# The vocabulary. Each list holds pieces that some rule of the parser treats specially.
# fmt: off
_WHITESPACE = list(" \t\r\x0b\x0c\x1c\x1d\x1e\x1f")  # all split by str.split(); only " \t" in [ \t]
_NON_ASCII = ["\u00e9", "\u00a0", "\u2028", "\u0085", "\u3000", "\U0001f600", "\u00df", "\u2019", "\x80", "\xff"]
_CONTROL = ["\x01", "\x02", "\x03", "\x04"]  # the Python parser's markers, removed from its input
_WORDS = [
    "the", "list", "value", "index", "returns", "Returns", "a", "an", "It", "This", "x", "y", "Foo", "null",
    "true", "element", "map", "key", "K", "V", "I", "is", "of", "to", "in", "if", "and", "or", "not",
    "e.g.", "i.e.", "etc.", "1.5", "v2.0", "Mr.", "U.S.", "x.y", "foo()", "Map.Entry", "java.util.List",
    "bar(int)", "0", "42", "-1", "'q'", '"quoted"', "(paren)", "[x]", "a,b", "a;b", "x=y", "50%", "$x",
    "_under", "a\\b", "`tick`", "```", "~", "^", "|", "a+b",
]
_SENTENCE = [
    ". ", ". Next", ". lower", ".  Two", "! ", "? ", "?!", ".)", '."', ". 5", ".\tNext", ".\x0cX", ". _x",
    "...", ".", "!", "?", ".\n", ". (x)", ".<p>", ". {@code X}", ". <b>X</b>", ".&nbsp;Next",
    "e.g. x", "1.5", ". ```",
]
# Angle brackets that are no HTML element: kept as text.
_PROSE_ANGLES = [
    "List<String>", "Map<K, V>", "a < b", "b > a", "a<b", "x->y", "<T>", "<E extends Comparable<? super E>>",
    "<", ">", "<<", ">>", "<=", "i<n", "<1>", "</>", "< p>", "<h7>", "<foo bar>", "<x>", "<p_x>",
    "<?xml?>", "<!DOCTYPE html>", "<prefix>", "<preface>", "<br", "<p", '<a href="x>y">', "<!-->", "<!---->",
]
_HTML = [
    "<p>", "<P>", "</p>", "<p/>", '<p class="x">', "<br>", "<br/>", "<br />", "<BR>", "</br>", "<li>", "</li>",
    "<LI>", "<ul>", "</ul>", "<ol>", "</ol>", "<dl>", "<dt>", "<dd>", "</dl>", "<td>", "</td>", "<th>",
    "<tr>", "</tr>", '<table class="striped">', "</table>", "<caption>", "</caption>", "<h3>", "</h3>",
    '<h1 id="x">', "<H2>", "<hr>", "<div>", "</div>", "<blockquote>", "<b>", "</b>", "<i>", "<em>",
    "</em>", "<code>", "</code>", "<tt>", "<strong>", '<a href="x">', "</a>", '<a name="y"></a>',
    "<img src=x alt=y>", "<span style='a:b'>", "</span>", "<section>", "<p-x>", "<p1>", "<h1x>",
    "<br.x>", "<Summary>", "<wbr>", "<sup>", "<var>", "<unknown>", "</unknown>", '<p\n class="x">',
    '<a\n href="x">',
]
_HTML_COMMENTS = ["<!-- c -->", "<!-- a\n b -->", "<!--", "<!-- -- -->", "<!--x-->", "<!-- <b> -->"]
_LIST_ITEMS = ["<li>", "<LI>", "<li>", "</li>", "<dt>", "<dd>"]
_TABLE_CELLS = ["<td>", "<th>", "<tr>", "</td>"]
# Entities the native parser handles, those it declines, and "&" that is plain text.
_ENTITIES_OK = [
    "&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&nbsp;", "&#60;", "&#x3C;", "&#x3c;", "&#65;",
    "&#x41;", "&#32;", "&#126;", "&#X41;", "&#0065;", "&#x7e;", "&#33;",
]
_ENTITIES_OTHER = [
    "&eacute;", "&copy;", "&mdash;", "&hellip;", "&LT;", "&AMP;", "&Lt;", "&lt", "&ltb", "&gt", "&amp",
    "&nbsp", "&quot", "&ampx", "&#233;", "&#128;", "&#0;", "&#9;", "&#10;", "&#13;", "&#127;", "&#65",
    "&#x41", "&#xD800;", "&#99999999999;", "&#1114112;", "&foo;", "&x;", "&ensp;", "&amp;lt;",
    "&amp;amp;", "&#;", "&#x;", "&#xZZ;", "&#-1;", "&lt;&gt;", "&NotANamedEntity;", "&zwnj;",
]
_AMP_TEXT = ["&&", "& ", "&0xFF", "a & b", "&", "&;", "&1;", "& lt;", "&\t", "&_x", "&-", "&.", "&#", "&#x"]
_STRAY = ["{", "}", "{@", "@", "email@example.com", "a @b", " @param x", "{@ x}", "{{", "}}"]
_ODD = ["*/", "/**", "/*", "*", "**", "\\u00e9", "\\n", "%n", "#", "@@", "{@}"]
# An "@" at the start of a line where it starts no block tag (inside an inline tag or <pre>), or does.
_AT_LINE_START = [
    "{@code a\n@param b}", "{@link Foo\n * @see x}", "<pre>\n@Override\n</pre>", "<PRE>\n@Override\n</PRE>",
    "<Pre>\n@Override\n</Pre>", "<pre>x</pre> <PRE>\n@foo x\n</PRE>", "<PRE>\n@foo\n</pre>",
    "{@code {@literal x}\n@see y}", "<prefix>\n@param p q",
]
_BLOCK_NAMES = [
    "param", "param", "param", "return", "returns", "throws", "throws", "exception", "see", "see", "since",
    "deprecated", "author", "version", "apiNote", "implSpec", "implNote", "jls", "serial", "serialData",
    "hidden", "foo.bar-baz", "Override", "return.", "see:", "throws-x", "paramx", "x", "Z9", "inheritDoc",
    "summary", "code", "value", "uses", "provides",
]
_BLOCK_KEYS = ["x", "index", "<T>", "E", "IOException", "java.io.IOException", "x", "E", "", "\n y"]
_SEE_TEXTS = [
    '"a string"', '"unterminated', '"a" b', '<a href="x">y</a>', '<a href="x">y</a> more', "<b>x</b>", "<",
    "Foo#bar(int) label", "#foo()", "Foo#bar(int, String)", "{@link X}", "", " ", "Foo#bar(int",
    "Foo label {@code x}", '""', "Foo &lt;x&gt;", "Foo\n more",
]
_REFERENCES = [
    "Foo", "#x", "#size()", "Foo#bar(int, String)", "java.util.List#add(int, Object)", "Foo#bar(int",
    "Foo#bar()", "#bar(int[], java.lang.String...)", "Foo.Bar", "String#format(String, Object...)",
    "Foo#bar(int, String) label", "#x the x", "Foo label with {@code code}", "Foo#bar(int) <b>bold</b>",
    "(", "()", "#", "Foo#bar(Map<K, V>)", "Foo#bar(int,\n int) multi line", "Foo\tlabel", "",
    " ", "Foo  two  spaces", "Foo#bar( int ) x",
]
_INLINE_SIMPLE = [
    "{@inheritDoc}", "{@inheritDoc }", "{@inheritdoc}", "{@inheritDocX}", "{@docRoot}", "{@docRoot}/x.html",
    "{@value}", "{@value #X}", "{@value  Foo#BAR }", "{@value\n #X}", '{@index "a b" c}', "{@index word}",
    '{@index "unterminated}', '{@index ""}', "{@index}", "{@index  two words}", "{@code}", "{@code x}",
    "{@code  x  }", "{@code\nx}", "{@code\t x}", "{@literal}", "{@literal <b>x</b>}", "{@literal &lt;}",
    "{@code Map<K, V>}", "{@code new int[] {1, 2}}", "{@code {}", "{@code }}", "{@code a}b}",
    "{@systemProperty a.b}", "{@unknownTag <b>x</b>}", "{@custom}", "{@foo.bar-baz x}", "{@code &nbsp;}",
    "{@code a\n@param b}", "{@ code x}", "{@}", "{@1}", "{@-x}", "{@@}", "{@ }", "{@{@code x}}", "{{@code x}}",
    "{@code", "{@link", "{@link }", "{@return}", "{@summary}", "{@code {@code x}}", "{@literal {@link X}}",
    "{@link {@code x}}", "{@link Foo {@code x}}", "{@linkplain Foo the foo}", "{@link Foo\n@param x}",
    "{@code a\n * @Override\n * b}", "{@link #x}\n@see y", "{@snippet :\n code\n}", "{@snippet file=x}",
    "{@summary a&nbsp;b}", "{@return <pre>x</pre>}", "{@summary a <pre>x</pre> b}", "{@code <pre>}",
    "{@serial include}", "{@code x}{@code y}", "{@code a\r\nb}",
]
_DEEP_NAMES = ["unknownTag", "summary", "link Foo", "return", "systemProperty", "code", "x"]
_DEEP_INNER = ["x", "<b>y</b>", "&lt;", "{@code z}", "a. B", "{@inheritDoc}", "\n@param p q\n", "<pre>c</pre>"]
_PRE_OPEN = ["<pre>", "<PRE>", "<Pre>", '<pre class="x">', "<pre\n>", "<pre >", "<pRe>", "<pre>{@code", "<pre><code>"]
_PRE_CLOSE = ["</pre>", "</PRE>", "</pre >", "</Pre>", "</pre\n>", "}</pre>", "</code></pre>", ""]
_CODE_LINES = [
    "int x = 1;", "\tint y = 2;", "    return a && b;", "if (a < b) {", "}", "@Override", "@param x not a tag",
    '  @SuppressWarnings("x")', "List<String> s = new ArrayList<>();", "a &lt; b &amp;&amp; c &gt; d",
    'String s = "{@code x}";', "{@code inner}", "{@link Foo#bar()}", "{@literal <T>}", "<b>bold</b>",
    "<p>para</p>", "<i>x</i>  <em>y</em>", "x\ty\tz", "a\r\tb", "", " ", "\t", "\x0c  formfeed", "\x0bvt",
    "  trailing   ", "// comment", "/* c */", "*/", "* star", "**", "```", "@", "{", "}", "{@", "&nbsp;x",
    "&#65;", "&eacute;", "<pre>", "{@inheritDoc}", "{@summary s}", "{@return r}", "<li>item", "<!-- c -->",
    "   deep", "        deeper", "\t\tx", " \t mixed",
]
_CODE_INDENTS = ["    ", "\t", "  ", " \t"]
_PARA_BREAKS = ["\n\n", "\n \t\n", "\n<p>\n", "<p>", "\n<P>", "\n\n<p>", "<br>", "\n", "\n\t\n", "\n \n \n"]
_STAR_STYLES = [" * ", " * ", " * ", " *", "*", " ** ", "\t * ", "   ", "", " *\t", "  *  ", " *** ", "\t*", "  * "]
_OPENINGS = ["/**\n", "/**\n", "/**\n", "/** ", "/**", "/*****\n", "/** \n", "/**\t", "/***\n", "/**\r\n"]
_ODD_OPENINGS = ["/*", "", " /**", "/**/"]
_CLOSINGS = ["\n */", "\n */", "\n */", " */", "*/", "\n **/", "\n *****/", "", "\n*/", "\n */\n", "\n\t */", " **/"]
_SPECIAL = [
    "/***/", "/**/", "/** */", "/**\n */", "/***\n***/", "/**", "", "*/", "/***", "/** @param */",
    "/**@return x*/", "/**{@inheritDoc}*/", "/** {@code */", "/**\n *\n */", "/**\n * @\n */",
    "/** . */", "/** <pre> */", "/**\n * <pre>\n */", "/** @ */", "/** {@} */", "/** &#; */",
]
# The alphabet of the short random strings: characters and the tokens the parser looks for.
_ALPHABET = list("{}@<>/!-pre\n *#()&;. aZ\t\"") + [
    "{@", "{@code ", "{@link ", "<pre>", "</pre>", "<p>", "@param ", "@return ", "@throws ", "&lt;",
    "&nbsp;", "&#65;", "*/", "/**", "\n * ", "<!--", "-->", "{@summary ", "{@return ", "{@inheritDoc}",
    "{@index ", "\r", "\x0c", "\x1c", "e.g. ", ". ", "```", "<li>", "<br>", "<PRE>", "@see ",
]
# fmt: on


def _pick(rng: random.Random, items: list[str]) -> str:
    return items[rng.randrange(len(items))]


def _words(rng: random.Random, low: int = 1, high: int = 6) -> str:
    out = []
    for _ in range(rng.randint(low, high)):
        out.append(_pick(rng, _WORDS))
        roll = rng.random()
        out.append(
            " " if roll < 0.85 else "  " if roll < 0.9 else "\n" if roll < 0.96 else _pick(rng, _WHITESPACE)
        )
    return "".join(out).rstrip(" ")


def _reference(rng: random.Random, depth: int) -> str:
    ref = _pick(rng, _REFERENCES)
    if rng.random() < 0.2:
        ref += " " + _flow(rng, depth + 1, 1, 3)
    return ref


def _inline(rng: random.Random, depth: int = 0) -> str:
    """One inline tag, its content built recursively."""
    roll = rng.random()
    if roll < 0.35 or depth > 3:
        return _pick(rng, _INLINE_SIMPLE)
    if roll < 0.55:
        name = _pick(rng, ["link", "linkplain", "link", "see", "value"])
        return "{@" + name + _pick(rng, [" ", " ", "\n", "\t", "  "]) + _reference(rng, depth) + "}"
    if roll < 0.65:
        return "{@code " + _flow(rng, depth + 1, 1, 4, inline=False) + _pick(rng, ["}", "}", "}", " }", ""])
    name = _pick(
        rng, ["summary", "return", "unknownTag", "systemProperty", "literal", "index", "foo", "summary"]
    )
    end = _pick(rng, ["}", "}", "}", "}", "", "}}", " }"])
    return "{@" + name + " " + _flow(rng, depth + 1, 1, 4) + end


def _deep_inline(rng: random.Random) -> str:
    """Inline tags nested about as deep as the nesting limit (20), or deeper."""
    levels = rng.choice([18, 19, 20, 21, 22, 25, 40])
    name = _pick(rng, _DEEP_NAMES)
    inner = _pick(rng, _DEEP_INNER)
    text = "{@" + name + " " * rng.randint(0, 2)
    return text * levels + inner + "}" * (levels - rng.choice([0, 0, 0, 1, 5]))


def _pre_block(rng: random.Random) -> str:
    lines = [_pick(rng, _CODE_LINES) for _ in range(rng.randint(0, 6))]
    if rng.random() < 0.3:
        indent = _pick(rng, _CODE_INDENTS)
        lines = [indent + line for line in lines]
    opening = _pick(rng, _PRE_OPEN)
    closing = _pick(rng, _PRE_CLOSE)
    first_break = "\n" if rng.random() < 0.8 else ""
    last_break = "\n" if rng.random() < 0.8 else ""
    return opening + first_break + "\n".join(lines) + last_break + closing


def _piece(rng: random.Random, depth: int, inline: bool) -> str:
    roll = rng.random()
    if roll < 0.40:
        return _words(rng)
    if roll < 0.50:
        return _pick(rng, _SENTENCE)
    if roll < 0.62:
        return _inline(rng, depth) if inline else _pick(rng, _INLINE_SIMPLE)
    if roll < 0.70:
        return _pick(rng, _HTML)
    if roll < 0.74:
        return _pick(rng, _PROSE_ANGLES)
    if roll < 0.79:
        return _pick(rng, _ENTITIES_OK)
    if roll < 0.81:
        return _pick(rng, _ENTITIES_OTHER)
    if roll < 0.84:
        return _pick(rng, _AMP_TEXT)
    if roll < 0.86:
        return _pick(rng, _HTML_COMMENTS)
    if roll < 0.89:
        return _pick(rng, _WHITESPACE) * rng.randint(1, 3)
    if roll < 0.91:
        return _pick(rng, _STRAY)
    if roll < 0.93:
        return _pick(rng, _AT_LINE_START)
    if roll < 0.95:
        items = "".join(_pick(rng, _LIST_ITEMS) + _words(rng, 1, 3) for _ in range(3))
        return _pick(rng, ["<ul>", "<ol>", "<dl>", ""]) + items + _pick(rng, ["</ul>", "</ol>", "</dl>", ""])
    if roll < 0.97:
        cells = "".join(_pick(rng, _TABLE_CELLS) + _words(rng, 1, 2) for _ in range(4))
        return '<table class="striped">\n<caption>' + _words(rng, 1, 2) + "</caption>" + cells + "</table>"
    if roll < 0.98:
        return "\n" + _pick(rng, ["", " ", "\t", " \t ", "  "]) + "\n"  # a blank line
    return _pick(rng, _ODD)


def _flow(rng: random.Random, depth: int, low: int, high: int, inline: bool = True) -> str:
    return "".join(_piece(rng, depth, inline) for _ in range(rng.randint(low, high)))


def _paragraph(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 8)):
        roll = rng.random()
        if roll < 0.07:
            parts.append("\n" + _pre_block(rng) + "\n")
        elif roll < 0.09:
            parts.append(_deep_inline(rng))
        else:
            parts.append(_piece(rng, 0, True))
        if rng.random() < 0.25:
            parts.append("\n")
        elif rng.random() < 0.5:
            parts.append(" ")
    return "".join(parts)


def _block_tag(rng: random.Random) -> str:
    name = _pick(rng, _BLOCK_NAMES)
    roll = rng.random()
    if name in ("param", "throws", "exception") and roll < 0.85:
        key = _pick(rng, _BLOCK_KEYS)
        rest = _flow(rng, 0, 0, 3) if rng.random() < 0.9 else _pre_block(rng)
        return f"@{name} {key} {rest}" if key else f"@{name}" + _pick(rng, ["", " ", "\n"])
    if name == "see" and roll < 0.8:
        return "@see " + _pick(rng, _SEE_TEXTS)
    if name in ("return", "returns") and roll < 0.15:
        return "@" + name
    separator = _pick(rng, [" ", " ", " ", "", "\t", "\n", "  "])
    return "@" + name + separator + (_paragraph(rng) if rng.random() < 0.3 else _flow(rng, 0, 0, 4))


def _body(rng: random.Random) -> str:
    parts = []
    for index in range(rng.choice([0, 1, 1, 1, 2, 2, 3, 4])):
        if index:
            parts.append(_pick(rng, _PARA_BREAKS))
        parts.append(_paragraph(rng))
    if rng.random() < 0.02:
        parts.extend("\n" + _pre_block(rng) for _ in range(rng.randint(10, 14)))  # two-digit code markers
    tags = [_block_tag(rng) for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 4, 6]))]
    if tags and rng.random() < 0.15:
        tags.append(_pick(rng, ["@throws E first", "@param x first", "@return first"]))
        tags.append(_pick(rng, ["@throws E second", "@param x second", "@returns second", "@throws E"]))
    if tags:
        joiner = _pick(rng, ["\n", "\n", "\n", "\n\n", "\n \t\n"])
        parts.append(_pick(rng, ["\n", "\n\n", "\n", " "]) + joiner.join(tags))
    return "".join(parts)


def _lay_out(rng: random.Random, body: str) -> str:
    """The body as a comment: an opening, each later line behind a star prefix, a closing."""
    style = _pick(rng, _STAR_STYLES)
    lines = body.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        prefix = style if rng.random() < 0.85 else _pick(rng, _STAR_STYLES)
        out.append(prefix + line)
    newline = "\r\n" if rng.random() < 0.05 else "\n"
    opening = _pick(rng, _OPENINGS)
    if rng.random() < 0.02:
        opening = _pick(rng, _ODD_OPENINGS)
    text = newline.join(out)
    if opening.endswith("\n") and rng.random() < 0.8 and text:
        text = style + text
    return opening + text + _pick(rng, _CLOSINGS).replace("\n", newline)


def _random_string(rng: random.Random) -> str:
    text = "".join(_pick(rng, _ALPHABET) for _ in range(rng.randint(0, 40)))
    roll = rng.random()
    if roll < 0.6:
        return "/**" + text + "*/"
    if roll < 0.8:
        return "/**" + text
    return text


def _sprinkle(rng: random.Random, text: str, chars: list[str]) -> str:
    pos = rng.randint(0, len(text))
    return text[:pos] + _pick(rng, chars) + text[pos:]


def random_comment(rng: random.Random) -> str:
    """An adversarial Javadoc comment: mostly ASCII, now and then a character the native parser
    must bail on (non-ASCII or \\x01-\\x04).

    >>> comment = random_comment(random.Random(1))
    >>> isinstance(comment, str)
    True
    """
    roll = rng.random()
    if roll < 0.12:
        raw = _random_string(rng)
    elif roll < 0.14:
        raw = _pick(rng, _SPECIAL)
    else:
        raw = _lay_out(rng, _body(rng))
    roll = rng.random()
    if roll < 0.03:
        raw = _sprinkle(rng, raw, _NON_ASCII)
    elif roll < 0.05:
        raw = _sprinkle(rng, raw, _CONTROL)
    elif roll < 0.10:
        raw = _sprinkle(rng, raw, _WHITESPACE)
    return raw


_SPLICES = (
    _INLINE_SIMPLE + _HTML + _ENTITIES_OK + _AMP_TEXT + _SENTENCE + _PROSE_ANGLES + _AT_LINE_START
    + _PRE_OPEN + _PRE_CLOSE + _HTML_COMMENTS + _STRAY + _WHITESPACE
    + ["\n", "\n * ", "\n * @param x ", "\n * @throws E ", "\n * @return ", "\n *\n * "]
)  # fmt: skip


def mutated_comment(rng: random.Random, comments: list[str]) -> str:
    """One of ``comments`` (real ones) with one to four edits: a piece of the vocabulary spliced
    in, a few characters cut out, or a stretch of another comment copied in."""
    raw = _pick(rng, comments)
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        pos = rng.randint(0, len(raw))
        if roll < 0.6:
            raw = raw[:pos] + _pick(rng, _SPLICES) + raw[pos:]
        elif roll < 0.8:
            raw = raw[:pos] + raw[pos + rng.randint(1, 20) :]
        else:
            other = _pick(rng, comments)
            start = rng.randint(0, len(other))
            raw = raw[:pos] + other[start : start + rng.randint(1, 200)] + raw[pos:]
    return raw


def random_comments(seed: int, count: int) -> Iterable[str]:
    rng = random.Random(seed)
    for _ in range(count):
        yield random_comment(rng)


# --------------------------------------------------------------------------------------------------
# The script


def _run(label: str, comments: Iterable[str], native_parse: Callable[[str], Any]) -> tuple[int, int] | str:
    """Check each comment; ``(handled, bailed)``, or the report of the first problem."""
    handled = bailed = 0
    for raw in comments:
        was_handled, found = check(raw, native_parse)
        if found is not None:
            return f"{label}: first problem after {handled} handled, {bailed} bailed:\n{explain(raw, native_parse)}"
        if was_handled:
            handled += 1
        else:
            bailed += 1
    return handled, bailed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cases", type=int, default=100_000, help="random comments to try (default 100000)")
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of the random comments (default: random)"
    )
    parser.add_argument(
        "--jdk", action="store_true", help=f"also every comment of {', '.join(JDK_PREFIXES)} in src.zip"
    )
    parser.add_argument(
        "--mutations", type=int, default=0, help="with --jdk: also this many JDK comments edited at random"
    )
    args = parser.parse_args(argv)
    module = native_module()
    if module is None:
        print("codetune.extract.javadoc_native does not import: nothing to compare", file=sys.stderr)
        return 2
    native_parse = module.parse
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    runs: list[tuple[str, Iterable[str]]] = [
        (f"random (--seed {seed}, --cases {args.cases})", random_comments(seed, args.cases))
    ]
    if args.jdk:
        jdk = jdk_comments()
        if not jdk:
            print(f"{SRC_ZIP} is missing: no JDK comments", file=sys.stderr)
        runs.insert(0, (f"JDK ({len(jdk)} comments)", jdk))
        if jdk and args.mutations:
            rng = random.Random(seed)
            mutated = (mutated_comment(rng, jdk) for _ in range(args.mutations))
            runs.append((f"mutated JDK (--seed {seed}, --mutations {args.mutations})", mutated))
    for label, comments in runs:
        started = time.perf_counter()
        outcome = _run(label, comments, native_parse)
        if isinstance(outcome, str):
            print(outcome)
            return 1
        handled, bailed = outcome
        total = handled + bailed
        share = f"{100 * handled / total:.1f}%" if total else "-"
        print(
            f"{label}: {handled} handled ({share}), {bailed} bailed, no problem [{time.perf_counter() - started:.1f} s]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
