"""Which extractor runs: the modules mypyc compiled at install time, or their ``.py`` sources.

``setup.py`` compiles the hot modules of extraction (the declaration walker, member builders,
source view, names and Javadoc parser), builds the C modules beside them (``javadoc_native``), and,
once all of them are built, writes ``compiled.json`` with a hash of each source. Python's import
system prefers an extension module to a ``.py`` of the same name, so an extension built from an
older source would run in its place without a word. This module runs first, from the package's ``__init__``, and sends those imports to the ``.py`` sources
when:

- ``CODETUNE_PURE_PYTHON=1`` is set (to debug, or to compare the two);
- a source changed since it was compiled (an edit in a development checkout): a warning says how
  to rebuild;
- the extensions are incomplete, or there is no ``compiled.json`` to vouch for them.

A C module has no ``.py`` to fall back on: the compiled ``javadoc.py`` uses it, the pure one never.

Both ways give byte-identical output (``tests/extract/test_compiled.py``); only speed differs.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from codetune.errors import CodetuneWarning

PACKAGE = __name__.rpartition(".")[0]
PACKAGE_DIR = Path(__file__).resolve().parent
MANIFEST = "compiled.json"  # setup.py writes it
PURE_ENV = "CODETUNE_PURE_PYTHON"
NATIVE = ("javadoc_native",)  # C modules setup.py builds from <name>.c, vouched for in the manifest


class StaleBuildWarning(CodetuneWarning):
    """A compiled module is older than its source; the source runs instead."""


@dataclass(frozen=True)
class Implementation:
    compiled: bool
    detail: str  # "mypyc 2.4.1", or why the pure-Python modules run
    stale: bool = False  # compiled from sources that have changed since

    def describe(self) -> str:
        """One line for reports and benchmarks.

        >>> Implementation(True, "mypyc 2.4.1").describe()
        'compiled extractor (mypyc 2.4.1)'
        >>> Implementation(False, "not compiled").describe()
        'pure-Python extractor (not compiled)'
        """
        return f"{'compiled' if self.compiled else 'pure-Python'} extractor ({self.detail})"


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the listed modules as ``.py`` files, ahead of the extension modules beside them."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self.sources = sources

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        source = self.sources.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source is not None else None


def choose(package_dir: Path, environ: Mapping[str, str]) -> tuple[Implementation, list[str]]:
    """What runs, and which modules must load from their source (decided without importing them)."""
    manifest_path = package_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        sources: dict[str, str] = manifest["sources"]
        native: dict[str, str] = manifest.get("native", {})
        compiler = str(manifest.get("compiler", "mypyc"))
        if not isinstance(sources, dict) or not isinstance(native, dict):
            raise TypeError("sources is not an object")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        manifest, sources, native, compiler = None, {}, {}, ""
    built = _extension_names(package_dir)
    # Every module that has an extension here must load from source unless the manifest vouches for it.
    names = sorted(set(sources) | built)
    if environ.get(PURE_ENV, "").strip().lower() in ("1", "true", "yes"):
        return Implementation(False, f"{PURE_ENV} is set"), names
    if manifest is None:
        return Implementation(False, "not compiled"), names
    missing = [name for name in sources if name not in built]
    missing += [name for name in NATIVE if name not in native or not _has_extension(package_dir, name)]
    if missing:
        return Implementation(False, f"compiled {', '.join(missing)} missing"), names
    changed = [
        f"{name}.py" for name, digest in sources.items() if _digest(package_dir / f"{name}.py") != digest
    ]
    # An installed wheel has no C source beside its module: nothing to be stale against.
    changed += [
        f"{name}.c"
        for name in NATIVE
        if (package_dir / f"{name}.c").exists() and _digest(package_dir / f"{name}.c") != native[name]
    ]
    if changed:
        files = ", ".join(changed)
        return Implementation(False, f"{files} changed since the build", stale=True), names
    return Implementation(True, compiler), []


def _extension_names(package_dir: Path) -> set[str]:
    """The modules here that have both an extension module and a ``.py`` source."""
    return {
        name
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
        for path in package_dir.glob(f"*{suffix}")
        if (package_dir / f"{(name := path.name[: -len(suffix)])}.py").exists()
    }


def _has_extension(package_dir: Path, name: str) -> bool:
    return any(
        (package_dir / f"{name}{suffix}").exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _install() -> Implementation:
    implementation, from_source = choose(PACKAGE_DIR, os.environ)
    if from_source:
        finder = _SourceFinder({f"{PACKAGE}.{name}": PACKAGE_DIR / f"{name}.py" for name in from_source})
        sys.meta_path.insert(0, finder)
    if implementation.stale:
        warnings.warn(
            f"{implementation.detail}; running the pure-Python extractor (slower)."
            " Rebuild the compiled one with `make setup` or `pip install -e .`",
            StaleBuildWarning,
            stacklevel=2,
        )
    return implementation


IMPLEMENTATION = _install()
