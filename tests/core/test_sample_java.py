"""The shipped sample in data/raw/java: compiles, stays small, and has what the strategies need."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "java"
MAIN = SAMPLE / "src" / "main" / "java"
TEST = SAMPLE / "src" / "test" / "java"


def _node_types(path: Path) -> tuple[Counter[str], int]:
    """How often each tree-sitter node type occurs in a file, and how many syntax errors it has."""
    import tree_sitter_java
    from tree_sitter import Language, Parser

    tree = Parser(Language(tree_sitter_java.language())).parse(path.read_bytes())
    counts: Counter[str] = Counter()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        counts[node.type] += 1
        stack.extend(node.children)
    return counts, counts["ERROR"] + counts["MISSING"]


def test_layout_size_and_license() -> None:
    main_files = sorted(MAIN.rglob("*.java"))
    test_files = sorted(TEST.rglob("*.java"))
    assert 25 <= len(main_files) <= 40
    assert len(test_files) >= 2, "prepare's default test exclusion needs something to exclude"
    assert sum(p.stat().st_size for p in SAMPLE.rglob("*")) < 300 * 1024
    assert "Apache-2.0" in (SAMPLE / "LICENSE").read_text()
    assert all("com/example/inventory" in p.as_posix() for p in main_files + test_files)


def test_parses_cleanly_with_the_constructs_the_extractor_must_handle() -> None:
    total: Counter[str] = Counter()
    for path in sorted(SAMPLE.rglob("*.java")):
        counts, errors = _node_types(path)
        assert errors == 0, f"{path} has syntax errors"
        if MAIN in path.parents:
            total += counts
    methods = (
        total["method_declaration"]
        + total["constructor_declaration"]
        + total["compact_constructor_declaration"]
    )
    assert 200 <= methods <= 300
    for construct in (
        "record_declaration",
        "compact_constructor_declaration",
        "enum_body_declarations",
        "permits",
        "switch_expression",
        "lambda_expression",
        "multiline_string_fragment",  # text blocks
        "type_bound",
        "wildcard",
    ):
        assert total[construct] > 0, construct


def test_has_the_review_issues_it_promises() -> None:
    text = "\n".join(p.read_text() for p in MAIN.rglob("*.java"))
    for issue in (
        "catch (Exception e)",
        "e.printStackTrace()",
        "System.out.println",
        "catch (InterruptedException ignored) {\n            }",
        "country == homeCountry",
        "public static Map<String, BigDecimal> STANDARD",
        "new BufferedReader(new FileReader(",
    ):
        assert issue in text, issue


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("javac") is None, reason="javac is not installed")
def test_compiles_with_javac(tmp_path: Path) -> None:
    sources = [str(p) for p in sorted(MAIN.rglob("*.java"))]
    done = subprocess.run(
        ["javac", "--release", "17", "-d", str(tmp_path), *sources], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "com/example/inventory/model/Money.class").is_file()
