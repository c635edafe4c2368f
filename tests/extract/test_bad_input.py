"""Bad input: every kind of bad file is skipped or partial with its reason; nothing stops the run."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from codetune.errors import InputError
from codetune.extract import ExtractOptions, extract_files, extract_source
from codetune.records import FileResult

GOOD = "package p;\n\n/** Good. */\npublic class {name} {{\n    int f() {{\n        return 1;\n    }}\n}}\n"


def write(root: Path, rel: str, data: bytes | str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def run(root: Path, **options: int) -> dict[str, FileResult]:
    return {r.file: r for r in extract_files(root, ExtractOptions(workers=1, **options))}


def reasons(result: FileResult) -> list[tuple[str, str]]:
    return [(issue.reason, issue.detail) for issue in result.issues]


def test_missing_source_dir_is_an_input_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        extract_files(tmp_path / "nope")
    assert str(tmp_path / "nope") in caught.value.message and caught.value.hint


def test_a_tree_without_java_files_is_an_input_error(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "no java here")
    write(tmp_path, ".hidden/Hidden.java", GOOD.format(name="Hidden"))
    with pytest.raises(InputError, match="no .java files under"):
        extract_files(tmp_path)
    with pytest.raises(InputError, match="not a directory or a .java file"):
        extract_files(tmp_path / "README.md")


def test_one_java_file_as_the_source(tmp_path: Path) -> None:
    path = write(tmp_path, "A.java", GOOD.format(name="A"))
    (result,) = extract_files(path)
    assert (result.file, result.status, [t.qualified_name for t in result.types]) == ("A.java", "ok", ["p.A"])


def test_every_bad_file_is_reported_and_the_good_ones_still_extracted(tmp_path: Path) -> None:
    write(tmp_path, "a/Good.java", GOOD.format(name="Good"))
    write(tmp_path, "a/Empty.java", b"")
    write(tmp_path, "a/Binary.java", b"\xca\xfe\xba\xbe\x00\x00\x00\x3d" * 10)
    large = write(tmp_path, "a/Large.java", GOOD.format(name="Large") + "// padding\n" * 200)
    write(
        tmp_path,
        "a/Cp1252.java",
        GOOD.format(name="Cp1252").replace("Good.", "Prix en \u20ac.").encode("cp1252"),
    )
    # 0x81 is undefined in cp1252: latin-1 still decodes it, so nothing is lost
    write(
        tmp_path,
        "a/Latin.java",
        GOOD.format(name="Latin").encode("utf-8").replace(b"Good.", b"odd \x81 byte."),
    )
    write(tmp_path, "a/Utf16.java", codecs.BOM_UTF16_LE + GOOD.format(name="Utf16").encode("utf-16-le"))
    write(tmp_path, "a/Bom.java", codecs.BOM_UTF8 + GOOD.format(name="Bom").encode("utf-8"))
    write(
        tmp_path,
        "a/Broken.java",
        "package p;\nclass Broken {\n    void f( {\n    }\n    int ok() { return 1; }\n}\n",
    )
    results = run(tmp_path, max_file_bytes=1000)
    assert list(results) == sorted(results)
    summary = {
        path: (r.status, r.encoding, [reason for reason, _ in reasons(r)]) for path, r in results.items()
    }
    assert summary == {
        "a/Binary.java": ("skipped", None, ["binary"]),
        "a/Bom.java": ("ok", "utf-8-sig", []),
        "a/Broken.java": ("partial", "utf-8", ["syntax_error"]),
        "a/Cp1252.java": ("ok", "cp1252", ["not_utf8"]),
        "a/Empty.java": ("skipped", None, ["empty"]),
        "a/Good.java": ("ok", "utf-8", []),
        "a/Large.java": ("skipped", None, ["too_large"]),
        "a/Latin.java": ("ok", "latin-1", ["not_utf8"]),
        "a/Utf16.java": ("ok", "utf-16", ["not_utf8"]),
    }
    size = large.stat().st_size
    assert reasons(results["a/Large.java"]) == [
        ("too_large", f"{size} bytes > limit of 1000 (--max-file-bytes)")
    ]
    assert results["a/Cp1252.java"].types[0].javadoc.summary == "Prix en \u20ac."  # type: ignore[union-attr]
    assert [m.name for m in results["a/Broken.java"].types[0].methods] == ["ok"]
    for path in ("a/Bom.java", "a/Utf16.java", "a/Good.java"):
        assert [t.qualified_name for t in results[path].types] == [f"p.{Path(path).stem}"]


@pytest.mark.parametrize(
    ("text", "endings"),
    [
        ("class A {\r\n  void f() {\r\n  }\r\n}\r\n", "crlf"),
        ("class A {\r  void f() {\r  }\r}\r", "cr"),
        ("class A {\r\n  void f() {\n  }\r}\n", "mixed"),
        ("class A {\n  void f() {\n  }\n}\n", "lf"),
        ("class A { void f() { } }", "none"),
    ],
)
def test_line_endings_are_normalised_and_lines_still_count(text: str, endings: str) -> None:
    result = extract_source(text, "A.java")
    assert result.line_endings == endings
    method = result.types[0].methods[0]
    assert "\r" not in method.source
    if endings != "none":
        assert (method.start_line, method.end_line) == (2, 3)


def test_symlink_loops_and_duplicates_are_reported_not_followed(tmp_path: Path) -> None:
    write(tmp_path, "src/p/A.java", GOOD.format(name="A"))
    os.symlink("..", tmp_path / "src/p/loop")  # back to an ancestor
    os.symlink("p", tmp_path / "src/again")  # a second way into p
    os.symlink("Self.java", tmp_path / "src/Self.java")  # a link to itself
    os.symlink("Missing.java", tmp_path / "src/Dangling.java")
    os.mkfifo(tmp_path / "src/Fifo.java")
    results = run(tmp_path / "src")
    summary = {path: (r.status, [reason for reason, _ in reasons(r)]) for path, r in results.items()}
    assert summary == {
        "Dangling.java": ("skipped", ["unreadable"]),
        "Fifo.java": ("skipped", ["unreadable"]),
        "Self.java": ("skipped", ["symlink_loop"]),
        "again": ("skipped", ["duplicate"]),
        "p/A.java": ("ok", []),
        "p/loop": ("skipped", ["symlink_loop"]),
    }
    assert reasons(results["Dangling.java"]) == [("unreadable", "broken symlink")]
    assert reasons(results["Fifo.java"]) == [("unreadable", "not a regular file")]


def test_symlinked_directories_are_followed(tmp_path: Path) -> None:
    write(tmp_path, "elsewhere/q/B.java", GOOD.format(name="B"))
    write(tmp_path, "src/A.java", GOOD.format(name="A"))
    os.symlink(tmp_path / "elsewhere", tmp_path / "src/linked")
    assert {path: r.status for path, r in run(tmp_path / "src").items()} == {
        "A.java": "ok",
        "linked/q/B.java": "ok",
    }


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_and_directory(tmp_path: Path) -> None:
    write(tmp_path, "A.java", GOOD.format(name="A"))
    write(tmp_path, "Secret.java", GOOD.format(name="Secret")).chmod(0)
    write(tmp_path, "closed/C.java", GOOD.format(name="C"))
    (tmp_path / "closed").chmod(0)
    try:
        results = run(tmp_path)
    finally:
        (tmp_path / "closed").chmod(0o755)
        (tmp_path / "Secret.java").chmod(0o644)
    assert (
        results["Secret.java"].status == "skipped" and reasons(results["Secret.java"])[0][0] == "unreadable"
    )
    assert results["closed"].status == "skipped" and reasons(results["closed"])[0][0] == "unreadable"
    assert results["A.java"].status == "ok"


def test_a_bug_in_the_walker_costs_one_file_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codetune.extract import declarations

    write(tmp_path, "A.java", GOOD.format(name="A"))
    write(tmp_path, "B.java", GOOD.format(name="B"))

    def explode(self: object, root: object) -> list[object]:
        raise ValueError("boom")

    monkeypatch.setattr(declarations.DeclarationWalker, "walk", explode)
    results = run(tmp_path)
    assert [(r.status, reasons(r)) for r in results.values()] == [
        ("skipped", [("extractor_error", "ValueError: boom")]),
        ("skipped", [("extractor_error", "ValueError: boom")]),
    ]


def test_garbage_text_never_raises() -> None:
    for text in (
        "}}}{{{",
        "class",
        "@interface",
        "enum E { A(, B }",
        "record R(int x {",
        "/** unterminated",
        "\x00\x01",
    ):
        result = extract_source(text, "X.java")
        assert result.status in ("ok", "partial")


def test_absurd_nesting_skips_its_file_and_nothing_else(tmp_path: Path) -> None:
    """Thousands of types one inside the other (or of broken braces): the walker stops at MAX_NESTING
    instead of hitting Python's recursion limit; the file is skipped as too_deep, the others are kept."""
    from codetune.extract.limits import MAX_NESTING

    deep = 20_000
    write(
        tmp_path,
        "Deep.java",
        "class D0 {\n" + "".join(f"class D{i} {{\n" for i in range(1, deep)) + "}\n" * deep,
    )
    write(tmp_path, "Braces.java", "class B { void f() { " + "class X { " * 5_000 + " }")
    write(
        tmp_path, "Nested.java", "class N0 {" + "".join(f" class N{i} {{" for i in range(1, 50)) + " }" * 50
    )
    write(tmp_path, "A.java", GOOD.format(name="A"))
    # Two workers: a crash in the child would show as the parent redoing its chunk, then crashing.
    results = {r.file: r for r in extract_files(tmp_path, ExtractOptions(workers=2))}
    assert results["Deep.java"].status == "skipped"
    assert reasons(results["Deep.java"]) == [
        ("too_deep", f"declarations nested more than {MAX_NESTING} deep")
    ]
    # Unclosed, tree-sitter's recovery keeps the outer class only.
    assert results["Braces.java"].status == "partial" and len(results["Braces.java"].types) == 1
    assert results["Nested.java"].status == "ok" and len(results["Nested.java"].types) == 50
    assert results["A.java"].status == "ok"


def test_absurdly_nested_inline_tags_keep_their_text() -> None:
    """Inline tags nested past MAX_INLINE_NESTING are kept as text instead of rendered further."""
    from codetune.extract.javadoc import parse_javadoc
    from codetune.extract.limits import MAX_INLINE_NESTING

    doc = parse_javadoc("/** Deep " + "{@foo " * 50_000 + "core" + "}" * 50_000 + ". */")
    assert doc.summary.startswith("Deep ") and "core" in doc.description
    assert doc.description.count("{@foo") == 50_000 - MAX_INLINE_NESTING
    shallow = parse_javadoc("/** A {@link Foo {@code bar} baz} b. */")
    assert shallow.summary == "A bar baz b."
