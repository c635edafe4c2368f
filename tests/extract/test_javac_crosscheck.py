"""Our counts against javac's own parser (com.sun.source, JavacTask.parse) on real JDK code.

For every named type: kind, methods, constructors and fields must match exactly, on a sample of
java.base by default and on every module of the JDK when slow tests run. The JDK sources
come from Debian's openjdk-17-source (``/usr/lib/jvm/openjdk-17/lib/src.zip``), which CI installs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from codetune.extract import ExtractOptions, extract_files
from support.javac import SRC_ZIP, Counts, compile_counter, javac_counts, tools_missing, unzip_jdk

# Enough variety (collections, concurrency, java.lang.invoke, records in java.time, old-style I/O),
# about 830 files: a few seconds for both parsers.
SAMPLE_PACKAGES = (
    "java.base/java/util/",
    "java.base/java/lang/",
    "java.base/java/time/",
    "java.base/java/io/",
)
# javac cannot read these on purpose: bad bytes, a BOM, a syntax error.
FIXTURE_FILES_JAVAC_REJECTS = (
    "com/acme/broken/Broken.java",
    "com/acme/legacy/Binary.java",
    "com/acme/legacy/Empty.java",
    "com/acme/legacy/Latin1.java",
    "com/acme/legacy/WithBom.java",
)


def _skip_reason() -> str | None:
    if not SRC_ZIP.is_file():
        return f"{SRC_ZIP} is missing (apt-get install openjdk-17-source; CI installs it)"
    return tools_missing()


needs_jdk = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if tools_missing():
        pytest.skip(tools_missing() or "")
    return compile_counter(tmp_path_factory.mktemp("javac-counter"))


def our_counts(root: Path, workers: int = 0) -> tuple[Counts, list[str]]:
    counts: Counts = defaultdict(list)
    not_ok = []
    for result in extract_files(root, ExtractOptions(workers=workers)):
        if result.status != "ok":
            not_ok.append(f"{result.file}: {result.status} {[(i.reason, i.detail) for i in result.issues]}")
        for unit in result.types:
            name = re.sub(r"\$\d+", "", unit.name)  # our suffix for a second local type of the same name
            counts[(result.file, name)].append(
                (unit.kind, len(unit.methods), len(unit.constructors), len(unit.fields))
            )
    return {key: sorted(value) for key, value in counts.items()}, not_ok


def assert_same_counts(ours: Counts, javac: Counts) -> None:
    differences = [
        f"{file} {name}: javac {javac.get((file, name))} ours {ours.get((file, name))}"
        for file, name in sorted(set(ours) | set(javac))
        if ours.get((file, name)) != javac.get((file, name))
    ]
    assert not differences, f"{len(differences)} types differ:\n" + "\n".join(differences[:30])


def _unzip(target: Path, prefixes: tuple[str, ...]) -> list[str]:
    """Paths relative to ``target/java.base``."""
    return [name.split("/", 1)[1] for name in unzip_jdk(target, prefixes)]


@pytest.mark.slow
@needs_jdk
def test_counts_match_javac_on_a_sample_of_java_base(counter: Path, tmp_path: Path) -> None:
    files = _unzip(tmp_path, SAMPLE_PACKAGES)
    assert len(files) > 700
    root = tmp_path / "java.base"
    ours, not_ok = our_counts(root)
    assert not not_ok
    javac = javac_counts(counter, root, files, tmp_path)
    assert sum(len(v) for v in javac.values()) > 1900
    assert_same_counts(ours, javac)


def test_counts_match_javac_on_the_fixture_project(counter: Path, fixture_root: Path, tmp_path: Path) -> None:
    files = sorted(
        str(path.relative_to(fixture_root))
        for path in fixture_root.rglob("*.java")
        if str(path.relative_to(fixture_root)) not in FIXTURE_FILES_JAVAC_REJECTS
    )
    javac = javac_counts(counter, fixture_root, files, tmp_path)
    ours, _ = our_counts(fixture_root, workers=1)
    ours = {key: value for key, value in ours.items() if key[0] in files}
    assert_same_counts(ours, javac)


@pytest.mark.slow
@needs_jdk
def test_counts_match_javac_on_the_whole_jdk(counter: Path, tmp_path: Path) -> None:
    """Every module of src.zip (about 15,100 files, 23,000 types): java.base's own style, and also the
    Graal compiler, JFR, jshell, Swing, XML, each written differently."""
    root = tmp_path / "src"
    files = unzip_jdk(root)
    assert len(files) > 15_000
    ours, not_ok = our_counts(root)
    assert not not_ok, not_ok[:10]
    javac = javac_counts(counter, root, files, tmp_path)
    assert sum(len(v) for v in javac.values()) > 23_000
    assert_same_counts(ours, javac)
