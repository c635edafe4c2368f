"""Does generated code compile? ``javac`` on the real source file with the answer in place.

A generated member is put where the original member was, in its own source file (see
:mod:`codetune.eval.placement` for what the answer must declare), and that file is compiled with the
project's source tree on ``-sourcepath`` (and ``testing.classpath`` on ``-classpath``), so the answer
is checked against the real fields, siblings, imports and types it may use.

The reference answer is checked the same way first, once per (file content, unit): a sample whose
reference does not compile like this is ``not_checkable`` (its source file is missing, or the project
needs libraries that are not on the classpath) and is left out of the compile rate, so the rate's
ceiling is 100% of what is checked. Because the reference compiled, an error in the answer's file is
the answer's fault. javac also compiles the other files it reads from the source path, and reports
their errors: those the reference run had too are the context's (a file that does not compile by
itself here), any new one is the answer's (it made javac read a file, or broke a caller).

Statuses: ``ok``, ``compile_error``, ``timeout``, ``not_checkable``, ``unavailable`` (no javac), and
from placing the answer ``wrong_member``, ``syntax_error``, ``no_code``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codetune.eval.placement import Slot, find_slot, place

_ERROR_LINE = re.compile(r"^(.*?\.java):(\d+): error: (.*)$")
_OTHER_MODULE = re.compile(r"package exists in another module: ([\w.]+)")
_PACKAGE = re.compile(r"^\s*package\s+([\w.\s]+?)\s*;", re.M)
_MAX_ERRORS = 5  # kept per answer: the first errors explain it, the rest are usually consequences


@dataclass(frozen=True)
class CompileResult:
    status: str
    errors: tuple[str, ...] = ()  # "line 3: cannot find symbol (variable y)", or why not checkable
    seconds: float = 0.0


@dataclass(frozen=True)
class _Run:
    """One javac run: errors in the checked file, and in other files as ``(path, line, message)``."""

    timed_out: bool
    own: tuple[tuple[int, str], ...] = ()  # (line, message) in the checked file
    others: frozenset[tuple[str, int, str]] = field(default_factory=frozenset)
    unlocated: str = ""  # javac failed without a located error (a bad flag, a crash)
    seconds: float = 0.0


@dataclass(frozen=True)
class _Reference:
    slot: Slot | None
    baseline: frozenset[tuple[str, int, str]]  # errors in other files that the reference run had
    problem: str  # why the sample is not checkable ("" when it is)
    timed_out: bool = False


def javac_available() -> bool:
    return shutil.which("javac") is not None


def _package_of(source: str) -> str:
    """
    >>> _package_of("// c\\npackage com.acme;\\nclass A {}"), _package_of("class A {}")
    ('com.acme', '')
    """
    match = _PACKAGE.search(source)
    return "".join(match.group(1).split()) if match else ""


def source_root_of(source_root: Path, source_file: str, package: str) -> Path:
    """The directory javac's ``-sourcepath`` should be for a file (where its package directories start);
    the file's own directory when its path does not end with its package.

    >>> str(source_root_of(Path("/r"), "app/src/main/java/com/acme/Cart.java", "com.acme"))
    '/r/app/src/main/java'
    """
    parent = (source_root / source_file).parent
    for part in reversed(package.split(".") if package else []):
        if parent.name != part:
            return (source_root / source_file).parent
        parent = parent.parent
    return parent


def _parse_errors(output: str) -> list[tuple[str, int, str]]:
    """(file, line, message) of each javac error, the ``symbol:`` detail folded into the message.

    >>> _parse_errors("A.java:3: error: cannot find symbol\\n    y\\n    ^\\n  symbol:   variable y\\n1 error")
    [('A.java', 3, 'cannot find symbol (variable y)')]
    """
    found: list[tuple[str, int, str]] = []
    for text in output.splitlines():
        match = _ERROR_LINE.match(text)
        if match:
            found.append((match.group(1), int(match.group(2)), match.group(3).strip()))
        elif found and text.strip().startswith("symbol:"):
            path, line, message = found[-1]
            found[-1] = (path, line, f"{message} ({text.strip()[7:].strip()})")
    return found


def _jdk_module_of(package: str) -> str:
    """The JDK module that owns ``package``, by the package's first names (java.* is mostly java.base)."""
    known = {
        "java.sql": "java.sql",
        "java.awt": "java.desktop",
        "javax.swing": "java.desktop",
        "java.net.http": "java.net.http",
    }
    for prefix, module in known.items():
        if package == prefix or package.startswith(prefix + "."):
            return module
    return "java.base"


def _run_javac(args: list[str], timeout: float) -> tuple[int | None, str]:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, ""
    return done.returncode, done.stdout + done.stderr


def _compile(
    text: str, file_name: str, package: str, sourcepath: Path, classpath: Sequence[str], timeout: float
) -> _Run:
    """javac on ``text`` saved as ``<package dirs>/<file_name>`` in a fresh temporary directory."""
    javac = shutil.which("javac") or "javac"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="codetune-javac-") as tmp:
        root = Path(tmp) / "src"
        file = root.joinpath(*package.split("."), file_name) if package else root / file_name
        file.parent.mkdir(parents=True)
        file.write_text(text, encoding="utf-8")
        base = [javac, "-d", str(Path(tmp) / "out"), "-proc:none", "-implicit:none", "-Xlint:none", "-nowarn"]
        base += ["-encoding", "UTF-8", "-Xmaxerrs", "100", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"]
        if classpath:
            base += ["-classpath", os.pathsep.join(classpath)]
        code, output = _run_javac([*base, "-sourcepath", str(sourcepath), str(file)], timeout)
        other_module = _OTHER_MODULE.search(output)
        if code and other_module:  # a JDK package (the JDK's own sources): patch its module instead
            patch = f"{_jdk_module_of(other_module.group(1))}={root}{os.pathsep}{sourcepath}"
            code, output = _run_javac([*base, "--patch-module", patch, str(file)], timeout)
    seconds = round(time.monotonic() - started, 3)
    if code is None:
        return _Run(True, seconds=seconds)
    own, others = [], set()
    for path, line, message in _parse_errors(output):
        if Path(path) == file:
            own.append((line, message))
        else:
            others.add((_shown(path, sourcepath), line, message))
    unlocated = ""
    if code and not own and not others:
        unlocated = output.strip().splitlines()[0] if output.strip() else f"javac exited with {code}"
    return _Run(False, tuple(own), frozenset(others), unlocated, seconds)


def _shown(path: str, sourcepath: Path) -> str:
    try:
        return str(Path(path).relative_to(sourcepath))
    except ValueError:
        return path


def _where(error: tuple[int, str], answer_lines: tuple[int, int], file_name: str) -> str:
    """An error in the checked file, located in the answer when it is there.

    >>> _where((12, "cannot find symbol"), (10, 14), "Cart.java"), _where((3, "x"), (10, 14), "Cart.java")
    ('answer line 3: cannot find symbol', 'Cart.java line 3: x')
    """
    line, message = error
    first, last = answer_lines
    if first <= line <= last:
        return f"answer line {line - first + 1}: {message}"
    return f"{file_name} line {line}: {message}"


class _Cache:
    """Reference checks by (file digest, unit, classpath), javac runs by the compiled text: each runs
    once per process, also when tuned and base answers are scored from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[object, ...], threading.Lock] = {}
        self.references: dict[tuple[object, ...], _Reference] = {}
        self.runs: dict[tuple[object, ...], _Run] = {}

    def key_lock(self, key: tuple[object, ...]) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())


_CACHE = _Cache()


def _cached_compile(
    text: str, file_name: str, package: str, sourcepath: Path, classpath: Sequence[str], timeout: float
) -> _Run:
    key = (hashlib.sha256(text.encode("utf-8")).hexdigest(), file_name, str(sourcepath), tuple(classpath))
    with _CACHE.key_lock(key):
        run = _CACHE.runs.get(key)
        if run is None:
            run = _compile(text, file_name, package, sourcepath, classpath, timeout)
            if not run.timed_out:  # a timeout may be the machine's load: another try may finish
                _CACHE.runs[key] = run
    return run


def _check_reference(
    original: str,
    file: Path,
    unit_id: str,
    reference: str,
    sourcepath: Path,
    package: str,
    classpath: Sequence[str],
    timeout: float,
) -> _Reference:
    slot = find_slot(original, unit_id)
    if slot is None:
        return _Reference(None, frozenset(), f"{unit_id} is not in {file.name}")
    placed = place(original, slot, reference)
    if placed.status != "ok":
        return _Reference(slot, frozenset(), f"the reference does not fit in place: {placed.reason}")
    run = _cached_compile(placed.text, file.name, package, sourcepath, classpath, timeout)
    if run.timed_out:
        return _Reference(slot, frozenset(), f"javac took longer than {timeout:g}s on the reference", True)
    if run.own or run.unlocated:
        first = _where(run.own[0], placed.lines, file.name) if run.own else run.unlocated
        return _Reference(slot, run.others, f"the reference does not compile in place: {first}")
    return _Reference(slot, run.others, "")


def check_in_place(
    code: str,
    *,
    source_root: Path | None,
    source_file: str,
    unit_id: str,
    reference: str,
    classpath: Sequence[str] = (),
    timeout: float = 30.0,
) -> CompileResult:
    """Compile ``code`` (an answer's code) in place of ``unit_id`` in ``source_root/source_file``."""
    if not javac_available():
        return CompileResult("unavailable", ("javac not found (install a JDK 17)",))
    if source_root is None or not source_file or not (source_root / source_file).is_file():
        where = source_root / source_file if source_root is not None and source_file else source_file
        return CompileResult("not_checkable", (f"source file not found: {where or 'unknown'}",))
    file = source_root / source_file
    data = file.read_bytes()
    original = data.decode("utf-8", "replace")
    package = _package_of(original)
    sourcepath = source_root_of(source_root, source_file, package)
    key = (hashlib.sha256(data).hexdigest(), unit_id, str(sourcepath), tuple(classpath))
    with _CACHE.key_lock(key):
        checked = _CACHE.references.get(key)
        if checked is None:
            checked = _check_reference(
                original, file, unit_id, reference, sourcepath, package, classpath, timeout
            )
            if not checked.timed_out:  # the machine may have been busy: try again next time
                _CACHE.references[key] = checked
    if checked.problem or checked.slot is None:
        return CompileResult("not_checkable", (checked.problem,))
    placed = place(original, checked.slot, code)
    if placed.status != "ok":
        return CompileResult(placed.status, (placed.reason,))
    run = _cached_compile(placed.text, file.name, package, sourcepath, classpath, timeout)
    if run.timed_out:
        return CompileResult("timeout", (f"javac took longer than {timeout:g}s",), run.seconds)
    new_elsewhere = sorted(run.others - checked.baseline)
    errors = [_where(error, placed.lines, file.name) for error in run.own]
    errors += [f"{path} line {line}: {message}" for path, line, message in new_elsewhere]
    if run.unlocated and not errors:
        errors = [run.unlocated]
    return CompileResult("compile_error" if errors else "ok", tuple(errors[:_MAX_ERRORS]), run.seconds)
