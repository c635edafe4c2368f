"""The Javadoc parser: inline tags, HTML, <pre>, block tags, summaries."""

from __future__ import annotations

import pytest

from codetune.extract.javadoc import first_sentence, parse_javadoc


def doc(*lines: str) -> str:
    """A comment as javadoc writers lay it out."""
    return "/**\n" + "".join(f"     * {line}".rstrip() + "\n" for line in lines) + "     */"


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("Returns {@code true} if empty.", "Returns true if empty."),
        ("Uses {@code Map<K, V>} and {@literal a<b>}.", "Uses Map<K, V> and a<b>."),
        ("Nested braces: {@code new int[] {1, 2}} stay.", "Nested braces: new int[] {1, 2} stay."),
        ("See {@link java.util.List#add(int, Object) adding} here.", "See adding here."),
        ("See {@link java.util.List#add(int, Object)}.", "See java.util.List.add(int, Object)."),
        ("See {@link #size()} and {@linkplain Foo the foo}.", "See size() and the foo."),
        ("The {@value #MAX} is {@value}.", "The MAX is ."),
        (
            'At {@docRoot}/x.html, {@index "search term" why} and {@systemProperty user.home}.',
            "At /x.html, search term and user.home.",
        ),
        ("Unknown {@custom <b>tag</b>} text.", "Unknown tag text."),
        ("Unterminated {@code oops", "Unterminated oops"),
    ],
)
def test_inline_tags_render_to_readable_text(text: str, rendered: str) -> None:
    assert parse_javadoc(doc(text)).description == rendered


def test_inherit_doc_is_flagged_and_renders_to_nothing() -> None:
    parsed = parse_javadoc(doc("{@inheritDoc}", "", "@param x {@inheritDoc}"))
    assert parsed.inherit_doc is True
    assert (parsed.summary, parsed.description, parsed.params) == ("", "", {"x": ""})
    assert parse_javadoc(doc("Plain.")).inherit_doc is False


def test_summary_and_return_inline_tags() -> None:
    parsed = parse_javadoc(doc("{@summary Counts things. Quickly.} More detail here."))
    assert parsed.summary == "Counts things. Quickly."
    assert parsed.description == "Counts things. Quickly. More detail here."
    returned = parse_javadoc(doc("{@return the number of elements} Never negative."))
    assert returned.summary == "Returns the number of elements."
    assert returned.returns == "the number of elements"
    explicit = parse_javadoc(doc("{@return the size}", "@return the size, always"))
    assert explicit.returns == "the size, always"


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("One<p>Two", "One\n\nTwo"),
        ("One<br>two<br/>three", "One\ntwo\nthree"),
        ("Items:<ul><li>a</li><li>b</li></ul>after", "Items:\n\n- a\n- b\n\nafter"),
        # A run of breaks is one break: a paragraph if it holds one, else a line; none at the ends.
        ("<p>One <br> <p> <br>Two<br> <br>three<p> <p>", "One\n\nTwo\nthree"),
        ('A <a href="https://x.y/z?a=1&amp;b=2">link</a> and <b><i>nested</i></b>.', "A link and nested."),
        (
            "Escapes: &lt;T&gt; &amp; &#64;Override &nbsp;done &quot;q&quot;",
            'Escapes: <T> & @Override done "q"',
        ),
        ("<h2>Title</h2>Body <!-- hidden --> text", "Title\n\nBody text"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
        ("Generic List<String> in prose", "Generic List<String> in prose"),
    ],
)
def test_html_is_stripped_to_text(text: str, rendered: str) -> None:
    assert parse_javadoc(doc(text)).description == rendered


def test_blank_lines_separate_paragraphs() -> None:
    parsed = parse_javadoc(doc("First paragraph", "continues.", "", "Second one."))
    assert parsed.description == "First paragraph continues.\n\nSecond one."
    assert parsed.summary == "First paragraph continues."


def test_pre_blocks_stay_code() -> None:
    parsed = parse_javadoc(
        doc(
            "Example:",
            "<pre>{@code",
            'List<String> names = List.of("a");',
            "for (String n : names) {",
            '    @SuppressWarnings("x") var m = n;',
            "}",
            "}</pre>",
            "Raw:",
            "<pre>",
            "  x &lt; y &amp;&amp; <b>bold</b>",
            "    indented",
            "</pre>",
            "@since 3",
        )
    )
    assert parsed.description == (
        "Example:\n\n"
        '```\nList<String> names = List.of("a");\nfor (String n : names) {\n    @SuppressWarnings("x") var m = n;\n}\n```\n\n'
        "Raw:\n\n"
        "```\nx < y && bold\n  indented\n```"
    )
    assert parsed.tags == [("since", "3")], "an @ at the start of a line inside <pre> is no block tag"


def test_snippet_is_code() -> None:
    parsed = parse_javadoc(doc("Use it:", "{@snippet lang=java :", "  var x = 1;", "  run(x);", "}", "Done."))
    assert parsed.description == "Use it:\n\n```\nvar x = 1;\nrun(x);\n```\n\nDone."
    assert parse_javadoc(doc('{@snippet file="Example.java" region="x"}')).description == ""


def test_block_tags() -> None:
    parsed = parse_javadoc(
        doc(
            "Main text.",
            "@param <T> the element type",
            "@param items the items,",
            "       never null",
            "@param bare",
            "@return the {@code first} item",
            "@throws IllegalArgumentException if empty",
            "@throws IllegalArgumentException if null",
            "@exception java.io.IOException on I/O",
            "@see #other()",
            '@see <a href="https://example.com">the site</a>',
            '@see "The Book"',
            "@author Ada",
            "@deprecated use {@link #other()}",
            "@apiNote careful",
        )
    )
    assert parsed.params == {"<T>": "the element type", "items": "the items, never null", "bare": ""}
    assert parsed.returns == "the first item"
    assert parsed.throws == {
        "IllegalArgumentException": "if empty if null",
        "java.io.IOException": "on I/O",
    }
    assert parsed.tags == [
        ("see", "other()"),
        ("see", "the site"),
        ("see", "The Book"),
        ("author", "Ada"),
        ("deprecated", "use other()"),
        ("apiNote", "careful"),
    ]
    assert parsed.description == parsed.summary == "Main text."


def test_missing_tags_and_empty_comments() -> None:
    parsed = parse_javadoc("/** Just a summary */")
    assert (parsed.summary, parsed.params, parsed.returns, parsed.throws, parsed.tags) == (
        "Just a summary",
        {},
        None,
        {},
        [],
    )
    empty = parse_javadoc("/** */")
    assert (empty.summary, empty.description) == ("", "")
    tags_only = parse_javadoc("/** @return x */")
    assert (tags_only.summary, tags_only.returns) == ("", "x")


def test_at_sign_inside_inline_code_is_not_a_block_tag() -> None:
    parsed = parse_javadoc(doc("Annotate it:", "{@code", "@Override", "public void run()}", "@since 1"))
    assert parsed.description == "Annotate it: @Override public void run()"
    assert parsed.tags == [("since", "1")]


def test_comment_layouts() -> None:
    banner = parse_javadoc("/*****************\n * Banner style.\n *****************/")
    assert banner.summary == "Banner style."
    starless = parse_javadoc("/**\n   No stars here.\n   Second line.\n*/")
    assert starless.description == "No stars here. Second line."
    raw = "/**\r\n * Windows.\r\n */"
    assert parse_javadoc(raw).raw == raw


def test_control_characters_in_a_comment_are_not_taken_for_structure() -> None:
    # The renderer marks paragraphs, lines and code with control characters; a comment's own go first.
    parsed = parse_javadoc(doc("One\x01two\x02three <p>four\x03\x04.", "@param a b\x01c"))
    assert parsed.description == "Onetwothree\n\nfour."
    assert parsed.params == {"a": "bc"}
    assert "\x01" in parsed.raw  # the raw comment stays as written


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("Sorts the list. Then stops.", "Sorts the list."),
        ("Sorts, e.g. by name, the list. Then stops.", "Sorts, e.g. by name, the list."),
        ("Is it empty? Yes.", "Is it empty?"),
        ("Version 1.5 of the API", "Version 1.5 of the API"),
        ("Ends without a period", "Ends without a period"),
        ("First paragraph\n\nsecond paragraph.", "First paragraph"),
        ("```\ncode first\n```", ""),
    ],
)
def test_first_sentence(text: str, summary: str) -> None:
    assert first_sentence(text) == summary
