"""The native Javadoc parser answers exactly as the Python one, or declines (None).

``codetune.extract.javadoc_native.parse(raw)`` gives ``(summary, description, params, returns, throws,
tags, inherit_doc)`` or None; these tests compare it with the Python parser on the JDK's comments and
on adversarial generated ones (``support.javadoc_fuzz``). A failure shows the failing input shrunk.
"""

from __future__ import annotations

import gc
import random
from collections import Counter
from collections.abc import Iterable

import pytest

from support import javadoc_fuzz as fuzz

native = pytest.importorskip("codetune.extract.javadoc_native")

RANDOM_CASES = 30_000
RANDOM_SEED = 20261202
# Real comments the native parser must handle itself: below this it no longer pays its way.
MIN_JDK_HANDLED = 0.95


def _check_all(comments: Iterable[str]) -> tuple[int, int, list[tuple[str, str]]]:
    """``(handled, bailed, [(raw, kind)])`` over ``comments``."""
    handled = bailed = 0
    failures = []
    for raw in comments:
        was_handled, found = fuzz.check(raw, native.parse)
        if was_handled:
            handled += 1
        else:
            bailed += 1
        if found is not None:
            failures.append((raw, found[0]))
    return handled, bailed, failures


def _report(failures: list[tuple[str, str]], total: int) -> str:
    kinds = Counter(kind for _, kind in failures)
    return (
        f"{len(failures)} of {total} comments go wrong ({dict(kinds)}); the first, shrunk:\n"
        + fuzz.explain(failures[0][0], native.parse)
    )


@pytest.fixture(scope="module")
def jdk_comments() -> list[str]:
    comments = fuzz.jdk_comments()
    if not comments:
        pytest.skip(f"{fuzz.SRC_ZIP} is missing (apt-get install openjdk-17-source; CI installs it)")
    return comments


def test_jdk_comments_are_parsed_as_python_does_and_nearly_all_natively(jdk_comments: list[str]) -> None:
    handled, bailed, failures = _check_all(jdk_comments)
    if failures:
        pytest.fail(_report(failures, len(jdk_comments)))
    if handled < MIN_JDK_HANDLED * len(jdk_comments):
        shortest = sorted((raw for raw in jdk_comments if native.parse(raw) is None), key=len)[:3]
        pytest.fail(
            f"only {handled} of {len(jdk_comments)} JDK comments handled natively ({bailed} declined), "
            f"under {MIN_JDK_HANDLED:.0%}; the shortest declined: {shortest!r}"
        )


def test_random_comments_are_parsed_as_python_does() -> None:
    rng = random.Random(RANDOM_SEED)
    comments = [fuzz.random_comment(rng) for _ in range(RANDOM_CASES)]
    handled, bailed, failures = _check_all(comments)
    if failures:
        pytest.fail(_report(failures, len(comments)))
    # The generator reaches both paths: what the native parser handles and what it declines.
    assert handled > 0 and bailed > 0, (handled, bailed)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("/** Caf\u00e9 au lait. */", id="non-ascii"),
        pytest.param("/** Non\u00a0breaking. */", id="non-ascii-space"),
        *(pytest.param(f"/** a{char}b. */", id=f"control-{ord(char)}") for char in "\x01\x02\x03\x04"),
        pytest.param("/**\n * Example:\n * {@snippet :\n *  code();\n * }\n */", id="snippet"),
        pytest.param("/** {@snippet :\n code} */", id="snippet-inline"),
        pytest.param("/** Caf&eacute; au lait. */", id="named-entity"),
        pytest.param("/** Caf&#233; au lait. */", id="numeric-entity-non-ascii"),
        pytest.param("/** a&nbspb */", id="nbsp-without-semicolon"),
    ],
)
def test_what_the_native_parser_declines(raw: str) -> None:
    assert native.parse(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("/** Plain text. More text. */", id="plain"),
        pytest.param("/**\n * Returns the size.\n * Second sentence.\n */", id="plain-lines"),
        pytest.param("/** Returns {@code x} if set. */", id="code"),
        pytest.param(
            "/**\n * Example:\n * <pre>\n *   int x = 1;\n *   if (x &lt; 2) { }\n * </pre>\n */", id="pre"
        ),
        pytest.param("/** The &lt;b&gt; tag. */", id="lt-gt"),
        pytest.param("/** Both a && b hold. */", id="ampersands"),
        pytest.param("/** Non&nbsp;breaking space. */", id="nbsp"),
        pytest.param("/**\n * Does it.\n * @throws E a\n * @throws E a\n */", id="throws-twice"),
        pytest.param(
            "/**\n * Sum.\n * @param a first\n * @param b second\n * @return a + b\n */", id="block-tags"
        ),
        # Which tags a <pre> or an inline tag hides, found going forward (javadoc.py looks back).
        pytest.param("/** <pre> x\n</pre>" + "\n@x a" * 300 + "\n<pre>\n@y b */", id="tags-after-pre"),
        pytest.param(
            "/** <PRE> x </pre>\n" + "\n@x a {@code b\n@q }" * 100 + "<pre>\n@z </PRE>\n@w */",
            id="tags-between-pre-and-inline-tags",
        ),
    ],
)
def test_what_the_native_parser_handles(raw: str) -> None:
    was_handled, found = fuzz.check(raw, native.parse)
    assert was_handled, f"declined: {raw!r}"
    assert found is None, fuzz.explain(raw, native.parse)


def test_the_nesting_limit_is_the_one_python_has() -> None:
    from codetune.extract.limits import MAX_INLINE_NESTING

    assert native.MAX_INLINE_NESTING == MAX_INLINE_NESTING


def test_a_parse_run_by_a_finalizer_while_a_result_is_built_changes_nothing() -> None:
    """Building the result's objects can run the cyclic GC, and with it a ``__del__`` that parses a
    comment too (or lets another thread parse one): the parse under way keeps its own memory.

    The free lists are emptied first, so that the result's lists, dicts and tuples are new objects
    and the GC runs while they are built; an arena shared between the two parses crashed here.
    """
    lines = "".join(f" * Line {i} with {{@code x{i}}} and <b>bold</b> text.\n" for i in range(3000))
    comment = "/**\n" + lines + "".join(f" * @param a{i} first {i}\n" for i in range(50)) + " */"
    other = comment.replace("Line", "Row").replace("first", "second")
    expected = native.parse(comment)
    finalized: list[object] = []

    class ParsesWhenCollected:
        def __init__(self) -> None:
            self.cycle = self  # only the cyclic GC frees it

        def __del__(self) -> None:
            finalized.append(native.parse(other))

    thresholds = gc.get_threshold()
    try:
        for _ in range(5):
            held = [([], {}, (i, i), (i,) * 7) for i in range(3000)]  # empty the free lists
            gc.set_threshold(1)
            ParsesWhenCollected()
            parsed = native.parse(comment)
            gc.set_threshold(*thresholds)
            del held
            assert parsed == expected
    finally:
        gc.set_threshold(*thresholds)
    assert len(finalized) == 5 and finalized[0] == native.parse(other)
