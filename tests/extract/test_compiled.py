"""The compiled extractor (setup.py, mypyc) and its pure-Python source: which one runs, same output.

The decision is tested on package directories made here; the real build is tested end to end:
both implementations write byte-identical ``units.jsonl`` for the fixture project and a slice of the
JDK, and an edited source makes the package run that source, with a warning, instead of the stale
extension.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codetune.extract import IMPLEMENTATION, compiled
from support.javac import SRC_ZIP, unzip_jdk

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
MODULES = ("names", "javadoc")


def make_package(
    tmp_path: Path,
    *,
    extensions: tuple[str, ...] = MODULES + compiled.NATIVE,
    manifest: bool = True,
    c_sources: bool = True,
) -> Path:
    """A package directory as setup.py leaves it: sources, extensions, and the manifest of hashes."""
    package = tmp_path / "pkg"
    package.mkdir()
    for name in MODULES:
        (package / f"{name}.py").write_text(f"NAME = {name!r}\n")
    for name in compiled.NATIVE:
        (package / f"{name}.c").write_text(f"/* {name} */\n")
    for name in extensions:
        (package / f"{name}{SUFFIX}").write_bytes(b"\x7fELF not really")
    if manifest:
        sources = {name: sha256(package / f"{name}.py") for name in MODULES}
        native = {name: sha256(package / f"{name}.c") for name in compiled.NATIVE}
        record = {"compiler": "mypyc 9.9", "sources": sources, "native": native}
        (package / compiled.MANIFEST).write_text(json.dumps(record))
    if not c_sources:
        for name in compiled.NATIVE:
            (package / f"{name}.c").unlink()
    return package


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_current_build_runs_compiled(tmp_path: Path) -> None:
    implementation, from_source = compiled.choose(make_package(tmp_path), {})
    assert implementation == compiled.Implementation(True, "mypyc 9.9")
    assert from_source == []


def test_without_a_build_the_sources_run_quietly(tmp_path: Path) -> None:
    implementation, from_source = compiled.choose(make_package(tmp_path, extensions=(), manifest=False), {})
    assert implementation == compiled.Implementation(False, "not compiled")
    assert from_source == []  # nothing to steer: the import system finds only the .py files


def test_an_edited_source_runs_from_source_and_is_called_stale(tmp_path: Path) -> None:
    package = make_package(tmp_path)
    (package / "javadoc.py").write_text("NAME = 'edited'\n")
    implementation, from_source = compiled.choose(package, {})
    assert implementation == compiled.Implementation(False, "javadoc.py changed since the build", stale=True)
    assert from_source == ["javadoc", "names"]  # the build is one unit: all of it steps aside


def test_extensions_nobody_vouches_for_are_not_used(tmp_path: Path) -> None:
    implementation, from_source = compiled.choose(make_package(tmp_path, manifest=False), {})
    assert implementation == compiled.Implementation(False, "not compiled")
    assert from_source == ["javadoc", "names"]


def test_an_incomplete_build_is_not_used(tmp_path: Path) -> None:
    implementation, from_source = compiled.choose(
        make_package(tmp_path, extensions=("names", *compiled.NATIVE)), {}
    )
    assert implementation == compiled.Implementation(False, "compiled javadoc missing")
    assert from_source == ["javadoc", "names"]


def test_a_missing_c_module_makes_the_build_incomplete(tmp_path: Path) -> None:
    implementation, from_source = compiled.choose(make_package(tmp_path, extensions=MODULES), {})
    assert implementation == compiled.Implementation(False, "compiled javadoc_native missing")
    assert from_source == ["javadoc", "names"]


def test_an_edited_c_source_makes_the_build_stale(tmp_path: Path) -> None:
    package = make_package(tmp_path)
    (package / "javadoc_native.c").write_text("/* edited */\n")
    implementation, from_source = compiled.choose(package, {})
    assert implementation == compiled.Implementation(
        False, "javadoc_native.c changed since the build", stale=True
    )
    assert from_source == ["javadoc", "names"]


def test_an_installed_package_without_its_c_source_runs_compiled(tmp_path: Path) -> None:
    """A wheel ships the built module, not the .c: there is nothing for the build to be stale against."""
    implementation, _ = compiled.choose(make_package(tmp_path, c_sources=False), {})
    assert implementation == compiled.Implementation(True, "mypyc 9.9")


def test_the_c_modules_checked_are_those_setup_py_builds() -> None:
    """compiled.py cannot import setup.py: its list of C modules is a copy, kept in step here."""
    from support.build import native_modules

    assert native_modules() == compiled.NATIVE


def test_the_environment_can_ask_for_pure_python(tmp_path: Path) -> None:
    implementation, from_source = compiled.choose(make_package(tmp_path), {compiled.PURE_ENV: "1"})
    assert implementation == compiled.Implementation(False, f"{compiled.PURE_ENV} is set")
    assert from_source == ["javadoc", "names"]


def test_ci_tests_the_compiled_extractor() -> None:
    """What ships (and what bench/bench_extract.py measures) is the compiled build: CI must run it."""
    if not IMPLEMENTATION.compiled and os.environ.get("CODETUNE_REQUIRE_TOOLS") != "1":
        pytest.skip(f"extractor is {IMPLEMENTATION.describe()}; `make setup` compiles it")
    assert IMPLEMENTATION.compiled, IMPLEMENTATION.describe()
    from codetune.extract import declarations, javadoc

    assert Path(declarations.__file__).suffix != ".py" and Path(javadoc.__file__).suffix != ".py"
    assert javadoc._NATIVE_PARSE is not None  # and the compiled Javadoc parser hands comments to C


def _require_build() -> None:
    if not IMPLEMENTATION.compiled:
        pytest.skip(f"extractor is {IMPLEMENTATION.describe()}; `make setup` compiles it")


def environment_without_codetune() -> dict[str, str]:
    """For a fresh process: this one's environment without any CODETUNE_* setting."""
    return {key: value for key, value in os.environ.items() if not key.startswith("CODETUNE_")}


def extract_with(source: Path, output: Path, *, pure: bool) -> bytes:
    """``codetune extract`` in a fresh process, compiled or from source."""
    env = environment_without_codetune()
    if pure:
        env[compiled.PURE_ENV] = "1"
    code = (
        "import sys; from codetune.extract import IMPLEMENTATION, ExtractOptions, extract_to_jsonl;"
        "extract_to_jsonl(sys.argv[1], sys.argv[2], ExtractOptions(workers=1));"
        "print(IMPLEMENTATION.describe())"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(source), str(output)], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("pure-Python" if pure else "compiled"), run.stdout
    return output.read_bytes()


def test_compiled_and_pure_extractors_write_identical_units(fixture_root: Path, tmp_path: Path) -> None:
    _require_build()
    fast = extract_with(fixture_root, tmp_path / "compiled.jsonl", pure=False)
    slow = extract_with(fixture_root, tmp_path / "pure.jsonl", pure=True)
    assert fast == slow and fast.count(b"\n") > 20


def test_compiled_and_pure_agree_on_real_code(tmp_path: Path) -> None:
    """A slice of the JDK (Javadoc of every kind, generics, records, sealed types): the same bytes."""
    _require_build()
    if not SRC_ZIP.is_file():
        pytest.skip(f"{SRC_ZIP} is missing (apt-get install openjdk-17-source; CI installs it)")
    files = unzip_jdk(tmp_path / "jdk", ("java.base/java/util/", "java.base/java/lang/invoke/"))
    assert len(files) > 400
    fast = extract_with(tmp_path / "jdk", tmp_path / "compiled.jsonl", pure=False)
    slow = extract_with(tmp_path / "jdk", tmp_path / "pure.jsonl", pure=True)
    assert fast == slow and fast.count(b"\n") > 1000


def test_an_edited_source_takes_over_from_the_stale_extension(tmp_path: Path) -> None:
    """A copy of the built package, one source edited after the build: that source runs, with a warning."""
    _require_build()
    import codetune

    src = Path(codetune.__file__).resolve().parents[1]
    copy = tmp_path / "src"
    shutil.copytree(src / "codetune", copy / "codetune", ignore=shutil.ignore_patterns("__pycache__"))
    for shared_library in src.glob(f"*__mypyc{SUFFIX}"):
        shutil.copy2(shared_library, copy)
    edited = copy / "codetune" / "extract" / "javadoc.py"
    edited.write_text(edited.read_text() + "\nEDITED_AFTER_THE_BUILD = True\n")
    env = environment_without_codetune()
    env["PYTHONPATH"] = str(copy)
    code = (
        "import codetune.extract as e, codetune.extract.javadoc as j, codetune.extract.names as n;"
        "print(e.IMPLEMENTATION.describe()); print(j.__file__); print(n.__file__);"
        "print(j.EDITED_AFTER_THE_BUILD, j.parse_javadoc('/** Hi {@code x}. */').summary)"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    described, javadoc_file, names_file, behaviour = run.stdout.splitlines()
    assert described == "pure-Python extractor (javadoc.py changed since the build)"
    assert javadoc_file == str(edited) and names_file.endswith("names.py")
    assert behaviour == "True Hi x."
    assert "StaleBuildWarning" in run.stderr and "make setup" in run.stderr
    # The command line says it in one line, before its own error.
    cli = subprocess.run(
        [sys.executable, "-m", "codetune", "extract", str(tmp_path / "none")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 2 and "Traceback" not in cli.stderr
    assert cli.stderr.splitlines()[:2] == [
        "warning: javadoc.py changed since the build; running the pure-Python extractor (slower)."
        " Rebuild the compiled one with `make setup` or `pip install -e .`",
        f"error: source directory not found: {tmp_path / 'none'}",
    ]


def test_the_doctests_of_the_compiled_modules_pass_from_source() -> None:
    """Compiled functions have no docstrings, so these run from each source, loaded under a name of its own
    (the root conftest.py keeps pytest from loading the sources under the modules' names)."""
    import doctest
    import importlib.util

    from support.build import compiled_modules

    attempted = 0
    for name in compiled_modules():
        path = Path(compiled.PACKAGE_DIR) / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"codetune_doctest_{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, name
        attempted += result.attempted
    assert attempted >= 14  # names, javadoc and declarations hold examples


def test_what_runs_is_what_was_compiled() -> None:
    """No import of the source under the module's name (a doctest collector would do it) crept in."""
    import sys

    from support.build import compiled_modules

    _require_build()
    for name in compiled_modules():
        module = sys.modules.get(f"{compiled.PACKAGE}.{name}")
        if module is not None:
            assert not str(module.__file__).endswith(".py"), module.__file__
