"""Strategies: grounded answers from Javadoc and static checks, varied prompts, validated options."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codetune.errors import ConfigError
from codetune.extract import ExtractOptions, parse_entry, parse_source
from codetune.extract.discover import find_java_files
from codetune.records import Example
from codetune.strategies import Skip, get_strategy
from codetune.strategies.common import Unit
from codetune.strategies.review import CLEAN_ANSWER

SOURCE = """package com.acme;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A queue of print jobs.
 *
 * @param <J> the type of job
 */
public class Spooler<J> {
    private final List<J> jobs;
    private final Map<String, Integer> unrelated;
    private int limit;

    /**
     * Submits a job and returns its position in the queue.
     *
     * <p>Jobs beyond the limit are refused.
     *
     * @param job the job to print
     * @param priority whether to put it first
     * @return the zero-based position of the job
     * @throws IOException if the spool directory cannot be written
     * @throws IllegalStateException when the queue is full
     */
    public int submit(J job, boolean priority) throws IOException {
        if (jobs.size() >= limit) {
            throw new IllegalStateException("full");
        }
        if (priority) {
            jobs.add(0, job);
            return 0;
        }
        jobs.add(job);
        return jobs.size() - 1;
    }

    public int size() {
        int count = 0;
        for (J job : jobs) {
            count++;
        }
        return count;
    }
}
"""


def units(source: str = SOURCE, *, from_tree: bool = False) -> dict[str, Unit]:
    """The first type's units by member name (``<type>`` for the type); ``from_tree``: with the nodes of
    the file's syntax tree, as prepare's workers give them (else the review parses the code again)."""
    parsed = parse_source(source, "com/acme/Spooler.java")
    t = parsed.result.types[0]
    node = parsed.node_of if from_tree else lambda record: None
    found = {"<type>": Unit(t, None, t.top_level, node(t))}
    for member in (*t.methods, *t.constructors):
        found[member.name] = Unit(t, member, t.top_level, node(member))
    return found


def text_of(example: Example | Skip | None) -> tuple[str, str]:
    assert isinstance(example, Example), example
    return example.messages[0].text, example.messages[1].text


def test_explanation_answers_from_javadoc_in_prose() -> None:
    strategy = get_strategy("code_explanation", system="S")
    prompt, answer = text_of(strategy.build(units()["submit"]))
    assert "public int submit(J job, boolean priority) throws IOException {" in prompt
    assert "Submits a job" not in prompt  # the Javadoc is the answer, not part of the question
    assert answer.startswith("Submits a job and returns its position in the queue.")
    assert "Jobs beyond the limit are refused." in answer
    assert "The parameter `job` is the job to print." in answer
    assert "It returns the zero-based position of the job." in answer
    assert "It throws `IOException` if the spool directory cannot be written." in answer
    assert "It throws `IllegalStateException` when the queue is full." in answer


def test_explanation_of_a_type_uses_an_outline_and_skips_undocumented_units() -> None:
    strategy = get_strategy("code_explanation", system=None)
    prompt, answer = text_of(strategy.build(units()["<type>"]))
    assert "public int submit(J job, boolean priority) throws IOException;" in prompt
    assert "jobs.add(0, job)" not in prompt  # no bodies in an outline
    assert "The type parameter `J` is the type of job." in answer
    skipped = strategy.build(units()["size"])
    assert skipped == Skip("no_javadoc")
    types_off = get_strategy("code_explanation", {"include_types": False})
    assert types_off.build(units()["<type>"]) is None


def test_generation_gives_signature_and_only_the_context_the_body_uses() -> None:
    strategy = get_strategy("code_generation", system="S")
    prompt, answer = text_of(strategy.build(units()["submit"]))
    assert prompt.split("\n", 1)[0].count("submits a job and returns its position in the queue") == 1
    assert "private final List<J> jobs;" in prompt and "private int limit;" in prompt
    assert "unrelated" not in prompt  # a field the body never mentions
    assert "`java.io.IOException`" in prompt and "`java.util.List`" not in prompt
    assert "```java\npublic int submit(J job, boolean priority) throws IOException\n```" in prompt
    assert answer.startswith("```java\npublic int submit(") and answer.endswith("}\n```")
    assert strategy.build(units()["size"]) == Skip("no_javadoc")


REVIEWED = """package p;

import java.io.*;

public class Loader {
    private String mode;

    /**
     * Loads everything.
     *
     * @param path where from
     */
    public void load(String path) {
        FileReader reader = new FileReader(path);
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
        }
        try {
            parse(reader);
        } catch (Exception e) {
            System.out.println("failed");
        }
        if (mode == "strict") {
            e2();
        }
        try { x(); } catch (IOException e) { }
    }
}
"""


FROM_TREE = pytest.mark.parametrize("from_tree", [False, True], ids=["code parsed again", "file's tree"])


@FROM_TREE
def test_review_findings_name_the_right_lines_counting_the_javadoc(from_tree: bool) -> None:
    strategy = get_strategy("code_review", system=None)
    unit = units(REVIEWED, from_tree=from_tree)["load"]
    prompt, answer = text_of(strategy.build(unit))
    shown = prompt.split("```java\n", 1)[1].split("\n```", 1)[0].split("\n")
    assert shown[0] == "/**" and shown[5].startswith("public void load")
    lines = dict(re.findall(r"^Line (\d+): (.+?) - ", answer, flags=re.M))
    by_title = {title: int(line) for line, title in lines.items()}
    assert shown[by_title["resource not in try-with-resources"] - 1].strip().startswith("FileReader reader")
    assert (
        shown[by_title["swallowed InterruptedException"] - 1]
        .strip()
        .startswith("} catch (InterruptedException")
    )
    assert shown[by_title["catching Exception"] - 1].strip().startswith("} catch (Exception")
    assert "System.out" in shown[by_title["System.out in library code"] - 1]
    assert "mode ==" in shown[by_title["string compared with =="] - 1]
    assert "catch (IOException e) { }" in shown[by_title["empty catch block"] - 1]
    assert shown[by_title["magic number 250"] - 1].strip() == "Thread.sleep(250);"
    assert answer.startswith(f"Found {len(lines)} issues:")
    assert all(re.fullmatch(r"Line \d+: .+ - .+\.", line) for line in answer.split("\n")[1:])


@FROM_TREE
def test_review_of_a_small_type_finds_type_level_problems(from_tree: bool) -> None:
    source = """package p;

public class Point {
    public static int created = 0;
    private final int x;

    Point(int x) { this.x = x; }

    @Override
    public boolean equals(Object o) { return o instanceof Point p && p.x == x; }
}
"""
    strategy = get_strategy("code_review", system=None)
    _, answer = text_of(strategy.build(units(source, from_tree=from_tree)["<type>"]))
    assert "Line 1: missing Javadoc on public API" in answer
    assert "Line 2: mutable public static field" in answer
    assert "Line 8: equals without hashCode" in answer  # the declaration, not its @Override line


ODD_LAYOUT = """package p;

/** Units of time. */
public enum Unit {
\tSECOND {
\t\tlong inMillis(long n) { return n * 1000; }
\t},
\tHOUR {
\t\t@Override long inMillis(long n) {
\t\t\tif (n > 0) { if (n > 1) { if (n > 2) { return 3600000 * n; } else if (n > 3) { return 1; } } }
\t\t\tif (n < 0) { if (n < 1) { if (n < 2) { n--; } else if (n < 3) { n++; } else if (n < 4) {
\t\t\t\twhile (n < 5) { if (n == 6) { n++; } } } } }
\t\t\treturn 60 * 60 * 1000 * n;
\t\t}
\t};

\tabstract long inMillis(long n);

\tstatic String read(String path) throws java.io.IOException {
\t\tjava.io.FileReader in = new java.io.FileReader(path);
\t\ttry { return "" + in.read(); } finally { in\t.close(); }
\t}

\t@Deprecated(since = "42") static int answer() { int[] table = {7, 8}; return table[0] * 17; }
}
"""


@pytest.mark.parametrize(
    "source",
    [
        Path(__file__).parent / "fixtures" / "project",
        Path(__file__).parents[1] / "fixtures" / "java_project",
        Path(__file__).parents[2] / "data" / "raw",
        ODD_LAYOUT,
    ],
    ids=["prepare fixture", "extractor fixture", "data/raw", "odd layout"],
)
def test_review_on_the_files_tree_is_the_review_of_the_code_parsed_again(
    source: Path | str, tmp_path: Path
) -> None:
    """prepare's workers review the nodes of the file's tree; the code parsed on its own gives the very
    same answer: lines, tabs, enum constant bodies, else-if chains, numbers in annotations, types whole."""
    from codetune.dataset.units import units_of

    if isinstance(source, str):
        (tmp_path / "Unit.java").write_text(source, encoding="utf-8")
        source = tmp_path
    strategy = get_strategy("code_review", system=None)
    compared = with_findings = 0
    for entry in find_java_files(source):
        for unit in units_of(parse_entry(entry, ExtractOptions(workers=1)), "type"):
            on_tree = strategy.build(unit)
            if unit.member is not None and unit.member.kind in ("method", "constructor"):
                assert unit.node is not None
            if on_tree is None:
                continue
            assert on_tree == strategy.build(Unit(unit.type, unit.member, unit.group)), unit.id
            compared += 1
            with_findings += bool(on_tree.meta["findings"])
    assert compared >= 5 and with_findings > 0


def test_clean_code_gets_a_short_review_in_a_bounded_share() -> None:
    strategy = get_strategy("code_review", {"clean_share": 0.25}, system=None)
    clean = "package p;\n\n/** Sums. */\npublic class S {\n    /**\n     * Adds two numbers together.\n     *\n     * @param a one\n     * @param b two\n     * @return the sum\n     */\n    public int add{i}(int a, int b) {{\n        return a + b;\n    }}\n}}\n"
    examples: list[Example] = []
    for i in range(40):
        built = strategy.build(
            units(clean.replace("{i}", str(i)).replace("{{", "{").replace("}}", "}"))[f"add{i}"]
        )
        assert isinstance(built, Example)
        examples.append(built)
    assert all(e.messages[1].text == CLEAN_ANSWER for e in examples)
    flagged = [strategy.build(units(REVIEWED)["load"])] * 9
    kept, dropped = strategy.finalize([*examples, *flagged])  # type: ignore[list-item]
    clean_kept = [e for e in kept if e.messages[1].text == CLEAN_ANSWER]
    assert len(clean_kept) == 3  # 25% of 12: 3 clean beside 9 with findings
    assert dropped["review_clean_over_share"] == 37
    again, _ = strategy.finalize([*examples, *flagged])  # type: ignore[list-item]
    assert [e.id for e in again] == [e.id for e in kept]


def test_prompt_wording_varies_across_units_but_not_across_runs() -> None:
    body = "".join(
        f"    /**\n     * Computes value number {i} from the input.\n     *\n     * @param x the input\n     * @return the value\n     */\n"
        f"    public int value{i}(int x) {{\n        return x * {i} + offset;\n    }}\n"
        for i in range(30)
    )
    source = f"package p;\n\n/** Values. */\npublic class V {{\n    private int offset;\n{body}}}\n"
    found = units(source)
    for name in ("code_explanation", "code_generation", "code_review"):
        strategy = get_strategy(name, system=None, seed=42)
        templates = [strategy.build(u).template for u in found.values() if not u.is_type]  # type: ignore[union-attr]
        assert len(set(templates)) >= 3, name
        assert templates == [strategy.build(u).template for u in found.values() if not u.is_type]  # type: ignore[union-attr]


def test_option_typos_and_unknown_names_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="clean_shar: unknown key"):
        get_strategy("code_review", {"clean_shar": 0.1})
    with pytest.raises(ConfigError, match="unknown strategy 'code_golf'"):
        get_strategy("code_golf")
    with pytest.raises(ConfigError, match="clean_share"):
        get_strategy("code_review", {"clean_share": 3})
