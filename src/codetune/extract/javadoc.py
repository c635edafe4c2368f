"""Parse one ``/** ... */`` comment into a :class:`codetune.records.Javadoc`: pure string code.

The text a reader sees is what we keep: inline tags are rendered (``{@code x}`` -> ``x``,
``{@link Foo#bar(int) label}`` -> ``label``, ``{@link Foo#bar}`` -> ``Foo.bar``), HTML is stripped to
text (``<p>`` becomes a paragraph break, ``<li>`` a ``- `` item), entities are decoded, and ``<pre>``
blocks are kept as code in a fenced block. The summary follows the javadoc tool: the first sentence
of the main description (a period, ``?`` or ``!`` followed by white space and no lower-case word),
or the text of ``{@summary ...}`` when the comment has one.

Block tags are recognised only at the start of a line and never inside an inline tag or a
``<pre>`` block, so the ``@Override`` of a code sample stays in the sample.
"""

from __future__ import annotations

import html
import re
import textwrap

from codetune.extract.limits import MAX_INLINE_NESTING
from codetune.records import Javadoc

# Markers stand for structure while white space is collapsed, then become newlines and fenced code.
# They are ASCII control characters, which a comment never needs (any in one are removed first), so
# that the text of an ASCII comment stays ASCII: Python's string operations are fastest on it.
_PARA = "\x01"
_LINE = "\x02"
_CODE_OPEN = "\x03"
_CODE_CLOSE = "\x04"
_SPACE_OR_LINE = " " + _LINE
_MARKERS = re.compile(f"[{_PARA}{_LINE}{_CODE_OPEN}{_CODE_CLOSE}]")

# Both start with a literal newline, which the regex engine searches for quickly.
_LEADING_STARS = re.compile(r"\n[ \t]*\*+ ?")
_BLOCK_TAG = re.compile(r"\n[ \t]*@([A-Za-z][\w.-]*)")
_PRE = re.compile(r"<pre\b[^>]*>(.*?)(?:</pre\s*>|\Z)", re.I | re.S)
_INLINE_NAME = re.compile(r"\{@([A-Za-z][\w.-]*)")
_BRACE = re.compile(r"[{}]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# A reference may hold spaces inside its parameter list: "Foo#bar(int, String) the label".
_REFERENCE = re.compile(r"\s*((?:[^\s(]|\([^)]*\)?)+)\s*(.*)", re.S)
_FIRST_WORD = re.compile(r"\s*(\S+)\s*(.*)", re.S)
_SENTENCE_END = re.compile(r"[.!?](?=\s+[^a-z\s]|\s*$)")
_CODE_BLOCK = re.compile(_CODE_OPEN + r"(\d+)" + _CODE_CLOSE)

# HTML elements that separate paragraphs or lines; every other tag is dropped silently.
_PARAGRAPH_TAGS = frozenset(
    (
        "p",
        "div",
        "table",
        "blockquote",
        "ul",
        "ol",
        "dl",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "nav",
    )
    + tuple(f"h{level}" for level in range(1, 7))
)
_LINE_TAGS = frozenset(("br", "tr", "dt", "dd", "caption"))
# Only real HTML elements are markup: `List<String>` written in prose stays as the reader sees it.
# fmt: off
_HTML_ELEMENT_NAMES = frozenset((
    "a", "abbr", "article", "aside", "b", "big", "blockquote", "body", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr", "html", "i",
    "img", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "q", "s", "samp", "section", "small",
    "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "time", "tr", "tt", "u", "ul", "var", "wbr",
))
# fmt: on
# Any tag-shaped text; _html_replacement keeps it unless its name is an element's. (Cheaper than
# trying sixty names at every "<", and the same: a tag's text holds no other "<".)
_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*>|<!--.*?-->", re.S | re.I)
# Inside <pre> only tags we know are HTML are dropped, so `List<String>` written raw survives.
_PRE_HTML_TAG = re.compile(
    r"</?(?:b|i|em|strong|code|a|span|tt|u|font|br|sup|sub|var|small|big|mark|kbd|samp|cite|dfn|abbr|s|strike|del|ins)\b[^<>]*>",
    re.I,
)


def parse_javadoc(raw: str) -> Javadoc:
    """Parse a Javadoc comment (``/**`` and ``*/`` included).

    >>> doc = parse_javadoc('''/**
    ...  * Returns the {@code size} of the list. More text.
    ...  * @param index where, see {@link List#get(int)}
    ...  * @return the size
    ...  * @throws IllegalStateException when closed
    ...  * @since 1.2
    ...  */''')
    >>> doc.summary, doc.params, doc.returns, doc.throws, doc.tags
    ('Returns the size of the list.', {'index': 'where, see List.get(int)'}, 'the size', {'IllegalStateException': 'when closed'}, [('since', '1.2')])
    """
    body = _comment_body(raw)
    state = _State()
    main_end, blocks = _split_block_tags(body)
    description = _render(body[:main_end], state)
    params: dict[str, str] = {}
    throws: dict[str, str] = {}
    tags: list[tuple[str, str]] = []
    returns: str | None = None
    for name, text in blocks:
        if name == "param":
            key, rest = _first_word(text)
            if key:
                params[key] = _render(rest, state)
        elif name == "return" or name == "returns":
            returns = _render(text, state)
        elif name == "throws" or name == "exception":
            key, rest = _first_word(text)
            if key:
                rendered = _render(rest, state)
                throws[key] = f"{throws[key]} {rendered}".strip() if key in throws else rendered
        elif name == "see":
            tags.append((name, _render_see(text, state)))
        else:
            tags.append((name, _render(text, state)))
    if returns is None and state.inline_return is not None:
        returns = state.inline_return
    summary = state.summary if state.summary is not None else first_sentence(description)
    return new_javadoc(raw, summary, description, params, returns, throws, tags, state.inherit_doc)


_new_object = object.__new__


def new_javadoc(
    raw: str,
    summary: str,
    description: str,
    params: dict[str, str],
    returns: str | None,
    throws: dict[str, str],
    tags: list[tuple[str, str]],
    inherit_doc: bool,
) -> Javadoc:
    """``Javadoc(...)``, its instance dict filled in field order (as ``members.new_member``)."""
    doc: Javadoc = _new_object(Javadoc)
    fields = doc.__dict__
    fields["raw"] = raw
    fields["summary"] = summary
    fields["description"] = description
    fields["params"] = params
    fields["returns"] = returns
    fields["throws"] = throws
    fields["tags"] = tags
    fields["inherit_doc"] = inherit_doc
    return doc


def _has_other_ascii_space(text: str) -> bool:
    """Does ASCII ``text`` hold white space other than space and newline that str.split() splits at?"""
    return (
        "\t" in text
        or "\r" in text
        or "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
    )


def collapse_spaces(text: str) -> str:
    """``" ".join(text.split())``, without splitting text whose only white space is single spaces
    and line breaks (most lines of a comment): those just become spaces.

    >>> collapse_spaces(" a\\n b  c\\t"), collapse_spaces("a\\nb c")
    ('a b c', 'a b c')
    """
    if text.isascii():
        flat = text.replace("\n", " ") if "\n" in text else text
        if "  " not in flat and flat[:1] != " " and flat[-1:] != " " and not _has_other_ascii_space(flat):
            return flat
    return " ".join(text.split())


def first_sentence(text: str) -> str:
    """The summary sentence of rendered text: the first paragraph, cut after its first sentence.

    >>> first_sentence("Sorts the list, e.g. by name. Stable.\\n\\nMore.")
    'Sorts the list, e.g. by name.'
    >>> first_sentence("Version 1.5 of it")
    'Version 1.5 of it'
    """
    paragraph = text.split("\n\n", 1)[0] if "\n" in text else text
    if paragraph.startswith("```"):
        return ""
    paragraph = paragraph.replace("\n", " ")
    match = _SENTENCE_END.search(paragraph)
    return paragraph[: match.end()] if match else paragraph


class _State:
    """What rendering learns on the way: {@inheritDoc}, {@summary}, {@return}."""

    __slots__ = ("inherit_doc", "summary", "inline_return", "codes", "depth")

    def __init__(self) -> None:
        self.depth = 0  # inline tags being rendered, one inside the other
        self.inherit_doc = False
        self.summary: str | None = None
        self.inline_return: str | None = None
        self.codes: list[str] = []  # code blocks, put back by _layout after white space is collapsed


def _comment_body(raw: str) -> str:
    """The comment without its delimiters and the leading ``*`` of each line."""
    body = raw[3:] if raw.startswith("/**") else raw
    if body.endswith("*/"):
        body = body[:-2]
    if body.startswith("*"):
        body = body.lstrip("*")  # a "/*****" banner
    if _PARA in body or _LINE in body or _CODE_OPEN in body or _CODE_CLOSE in body:
        body = _MARKERS.sub("", body)
    return _LEADING_STARS.sub("\n", body)


def _first_word(text: str) -> tuple[str, str]:
    match = _FIRST_WORD.match(text)
    return (match.group(1), match.group(2)) if match else ("", "")


def _inline_spans(text: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, name, content)`` of each top-level inline tag; braces inside are balanced.

    >>> _inline_spans("a {@code Map<K, V> {x}} b {@link Foo}")
    [(2, 23, 'code', 'Map<K, V> {x}'), (26, 37, 'link', 'Foo')]
    """
    spans = []
    pos = text.find("{@")
    while pos != -1:
        match = _INLINE_NAME.match(text, pos)
        if match is None:
            pos = text.find("{@", pos + 2)
            continue
        name_end = match.end()
        close = text.find("}", name_end)
        if close != -1 and text.find("{", name_end, close) == -1:
            end = close + 1  # the common case: no braces inside the tag
            content = text[name_end:close]
        else:
            depth, cursor, end = 1, name_end, len(text)
            while depth:
                brace = _BRACE.search(text, cursor)
                if brace is None:
                    break  # unterminated: the tag runs to the end of the text
                depth += 1 if brace.group() == "{" else -1
                cursor = brace.end()
                end = cursor
            content = text[name_end : end - 1 if depth == 0 else end]
        if content[:1] in (" ", "\t", "\n"):
            content = content[1:]
        spans.append((pos, end, match.group(1), content))
        pos = text.find("{@", end)
    return spans


def _split_block_tags(body: str) -> tuple[int, list[tuple[str, str]]]:
    """Where the main description ends, and the ``(tag, text)`` of each block tag in order."""
    if "@" not in body:
        return len(body), []
    body = "\n" + body  # so that a tag on the first line starts a line too; offsets are shifted by one
    starts = list(_BLOCK_TAG.finditer(body))
    if starts:
        inline, pre = _has_inline_tag(body), _has_pre(body)
        if inline or pre:
            starts = _unprotected(body, starts, inline, pre)
    if not starts:
        return len(body) - 1, []
    blocks = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        blocks.append((match.group(1), body[match.end() : end]))
    return starts[0].start(), blocks


def _unprotected(body: str, starts: list[re.Match[str]], inline: bool, pre: bool) -> list[re.Match[str]]:
    """The tags that are not inside an inline tag or a ``<pre>`` block (where ``@`` starts no tag).

    A tag is inside an inline tag when the last ``{@`` before it has more ``{`` than ``}`` since;
    inside ``<pre>`` when the last ``<pre`` before it (or ``<PRE``, without any ``<pre``) has no
    ``</pre`` or ``</PRE`` since. ``inline`` and ``pre`` say whether the body holds any at all.
    The tags come in order, so each part of the body is searched once: searching back from each
    tag took time in the square of the comment's length (1.5 s for 20,000 tags after a ``<pre>``).

    >>> body = "\\nA {@code\\n@x} b\\n@y <pre>\\n@z\\n</pre>\\n@w"
    >>> [m.group(1) for m in _unprotected(body, list(_BLOCK_TAG.finditer(body)), True, True)]
    ['y', 'w']
    """
    kept = []
    inline_open = _LastSeen(body, "{@")
    pre_lower, pre_upper = _LastSeen(body, "<pre"), _LastSeen(body, "<PRE")
    end_lower, end_upper = _LastSeen(body, "</pre"), _LastSeen(body, "</PRE")
    last_open, opens, closes, counted_to = -1, 0, 0, 0  # the braces in body[last_open:counted_to]
    for match in starts:
        pos = match.start(1)
        protected = False
        if inline:
            opened = inline_open.before(pos)
            if opened != last_open:
                last_open = counted_to = opened
                opens = closes = 0
            if last_open != -1:
                opens += body.count("{", counted_to, pos)
                closes += body.count("}", counted_to, pos)
                counted_to = pos
                protected = opens > closes
        if not protected and pre:
            start = pre_lower.before(pos)
            if start == -1:
                start = pre_upper.before(pos)
            protected = start != -1 and end_lower.before(pos) < start and end_upper.before(pos) < start
        if not protected:
            kept.append(match)
    return kept


class _LastSeen:
    """``text.rfind(needle, 0, pos)`` for positions that only grow, each part of the text searched once."""

    __slots__ = ("text", "needle", "searched_to", "last")

    def __init__(self, text: str, needle: str) -> None:
        self.text = text
        self.needle = needle
        self.searched_to = 0  # every needle starting before this and ending by the last pos is seen
        self.last = -1

    def before(self, pos: int) -> int:
        found = self.text.rfind(self.needle, self.searched_to, pos)
        if found != -1:
            self.last = found
        self.searched_to = max(self.searched_to, pos - len(self.needle) + 1)
        return self.last


def _render(text: str, state: _State) -> str:
    """Readable text: inline tags rendered, HTML stripped, white space collapsed, ``<pre>`` fenced."""
    text = text.strip()
    if "<" not in text and not _has_inline_tag(text) and "&" not in text and not _has_blank_line(text):
        return collapse_spaces(text)  # the common case: plain running text
    if _has_pre(text):
        parts = []
        pos = 0
        for match in _PRE.finditer(text):
            parts.append(_render_flow(text[pos : match.start()], state))
            parts.append(_code_marker(_render_code(match.group(1), state), state))
            pos = match.end()
        parts.append(_render_flow(text[pos:], state))
        flowed = "".join(parts)
    else:
        flowed = _render_flow(text, state)
    return _layout(flowed, state.codes)


# Looking for one character first: str's search for one character is a vectorised memchr, while
# for two or more it steps through the text: 5% of all Javadoc parsing, on the JDK's comments.
def _has_inline_tag(text: str) -> bool:
    return "{" in text and "{@" in text


def _has_pre(text: str) -> bool:
    return "<" in text and ("<pre" in text or "<PRE" in text)


def _has_blank_line(text: str) -> bool:
    return "\n" in text and _BLANK_LINE.search(text) is not None


def _code_marker(code: str, state: _State) -> str:
    state.codes.append(code)
    return f"{_PARA}{_CODE_OPEN}{len(state.codes) - 1}{_CODE_CLOSE}{_PARA}"


def _render_flow(text: str, state: _State) -> str:
    """Running text (outside ``<pre>``): tags replaced, markers for paragraph and line breaks."""
    if "\n" in text:
        text = _BLANK_LINE.sub(_PARA, text)  # a blank line separates paragraphs, as the reader sees it
    if not _has_inline_tag(text) or state.depth >= MAX_INLINE_NESTING:
        return _strip_html(text)
    state.depth += 1
    out = []
    pos = 0
    for start, end, name, content in _inline_spans(text):
        out.append(_strip_html(text[pos:start]))
        out.append(_render_inline(name, content, state))
        pos = end
    out.append(_strip_html(text[pos:]))
    state.depth -= 1
    return "".join(out)


def _render_inline(name: str, content: str, state: _State) -> str:
    if name in ("code", "literal"):
        return content.strip()
    if name in ("link", "linkplain"):
        return _render_reference(content, state)
    if name == "inheritDoc":
        state.inherit_doc = True
        return ""
    if name == "summary":
        rendered = _layout(_render_flow(content, state), state.codes)
        state.summary = rendered
        return rendered
    if name == "return":
        rendered = _layout(_render_flow(content, state), state.codes)
        state.inline_return = rendered
        return f"Returns {rendered.rstrip('.')}."
    if name == "value":
        return _pretty_reference(content.strip()) if content.strip() else ""
    if name == "docRoot":
        return ""
    if name == "index":
        term = content.strip()
        if term.startswith('"'):
            return term[1:].split('"', 1)[0]
        return term.split(None, 1)[0] if term else ""
    if name == "snippet":
        _, colon, code = content.partition(":")
        if not colon:
            return ""  # an external snippet (file=..., class=...) has no text here
        return _code_marker(_dedent_code(code), state)
    return _render_flow(content, state)  # {@systemProperty x}, unknown tags: their text


def _render_reference(content: str, state: _State) -> str:
    """``Foo#bar(int, String) label`` -> ``label``; without a label the reference, readable."""
    match = _REFERENCE.match(content)
    if match is None:
        return ""
    label = match.group(2)
    if label:
        return _layout(_render_flow(label, state), state.codes)
    return _pretty_reference(match.group(1))


def _pretty_reference(reference: str) -> str:
    """``#bar`` -> ``bar``; ``Foo#bar(int)`` -> ``Foo.bar(int)``.

    >>> _pretty_reference("java.util.List#add(int, E)"), _pretty_reference("#size()")
    ('java.util.List.add(int, E)', 'size()')
    """
    reference = reference.strip()
    if reference.startswith("#"):
        return reference[1:]
    return reference.replace("#", ".")


def _render_see(text: str, state: _State) -> str:
    text = text.strip()
    if text.startswith('"'):
        return text.strip('"')
    if text.startswith("<"):
        return _render(text, state)
    return _render_reference(text, state)


def _strip_html(text: str) -> str:
    if "<" in text:
        text = _HTML_TAG.sub(_html_replacement, text)
    if "&" in text:
        text = html.unescape(text)
    return text


def _html_replacement(match: re.Match[str]) -> str:
    name = (match.group(2) or "").lower()
    if name and name not in _HTML_ELEMENT_NAMES:
        return match.group()  # `List<String>` in prose: not markup
    if name == "li":
        return f"{_LINE}- " if not match.group(1) else " "
    if name in _PARAGRAPH_TAGS:
        return _PARA
    if name in _LINE_TAGS:
        return _LINE
    if name in ("td", "th"):
        return " "
    return ""


def _render_code(text: str, state: _State) -> str:
    """A ``<pre>`` block: inline tags give their literal text, known HTML goes, layout stays."""
    out = []
    pos = 0
    for start, end, name, content in _inline_spans(text) if _has_inline_tag(text) else ():
        out.append(text[pos:start])
        out.append(content if name in ("code", "literal") else _render_inline(name, content, state))
        pos = end
    out.append(text[pos:])
    code = _PRE_HTML_TAG.sub("", "".join(out))
    if "&" in code:
        code = html.unescape(code)
    return _dedent_code(code)


def _dedent_code(code: str) -> str:
    lines = code.expandtabs(4).split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return textwrap.dedent("\n".join(line.rstrip() for line in lines))


def _layout(flowed: str, codes: list[str]) -> str:
    """Collapse white space, turn markers into newlines, put code blocks back.

    A run of markers (and the spaces around them) is a paragraph break if it holds a paragraph
    marker, else a line break; runs at the ends go. Splitting at the markers finds the runs with
    memchr, where replacing two-character pairs until none is left stepped through the text again
    and again.
    """
    text = collapse_spaces(flowed)
    para, line = _PARA in text, _LINE in text
    if not para and not line:
        return text
    kept = []
    for piece in text.split(_PARA) if para else (text,):
        piece = piece.strip(_SPACE_OR_LINE)  # what touches a paragraph marker is part of its run
        if line and _LINE in piece:
            lines = [part.strip(" ") for part in piece.split(_LINE)]
            piece = "\n".join([part for part in lines if part])
        if piece:
            kept.append(piece)
    text = "\n\n".join(kept)
    if codes:
        text = _CODE_BLOCK.sub(lambda m: f"```\n{codes[int(m.group(1))]}\n```", text)
    return text
