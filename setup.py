"""Build codetune, compiling the extractor's hot modules with mypyc where a C compiler is at hand.

The compiled modules are the very same type-checked ``.py`` files (as black and mypy ship
themselves); they walk a Java file's declarations and parse its Javadoc about 1.3-1.4x faster, which
keeps extraction within twice tree-sitter's own parse time (see ``bench/bench_extract.py``). Beside
them, ``javadoc_native.c`` parses most Javadoc comments about five times faster than the compiled
``javadoc.py``, with the same result (``javadoc.py`` says which comments it leaves to Python).

Compiling is optional and never blocks an install: with ``CODETUNE_COMPILE=0``, without mypyc,
or when the C compiler fails, the package installs as pure Python, which gives the same output.
After a successful build, ``compiled.json`` next to the modules records a hash of each compiled
source, so that ``codetune.extract.compiled`` can tell when a source was edited after the build
and load the ``.py`` instead of the stale extension.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PACKAGE = "codetune.extract"
SOURCE_DIR = Path("src", *PACKAGE.split("."))
# Leaves first: the walker imports the member builders, which import the source view, and so on.
COMPILED = ("names", "javadoc", "source_view", "members", "declarations")
# Extension modules written in C, built with the compiled ones (each from ``<name>.c``).
NATIVE = ("javadoc_native",)
MANIFEST = "compiled.json"


def _warn(message: str) -> None:
    print(f"codetune: {message}; installing the pure-Python extractor (same output, slower)", file=sys.stderr)


def _source_hashes(suffix: str, names: tuple[str, ...]) -> dict[str, str]:
    return {name: hashlib.sha256((SOURCE_DIR / f"{name}{suffix}").read_bytes()).hexdigest() for name in names}


def _compiled_extensions() -> list:
    if os.environ.get("CODETUNE_COMPILE", "1").strip().lower() in ("0", "false", "no"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc (part of mypy) is not installed")
        return []
    paths = [str(SOURCE_DIR / f"{name}.py") for name in COMPILED]
    try:
        # Our own settings, not [tool.mypy]: its pydantic plugin is not in the build environment.
        compiled = mypycify(
            ["--config-file=", "--ignore-missing-imports", *paths], group_name="codetune_native"
        )
    except BaseException as exc:  # mypyc exits through SystemExit on a type error
        _warn(f"mypyc could not compile the extractor ({type(exc).__name__}: {exc})")
        return []
    native = [Extension(f"{PACKAGE}.{name}", [str(SOURCE_DIR / f"{name}.c")]) for name in NATIVE]
    return [*compiled, *native]


class OptionalBuildExt(build_ext):
    """Compile if we can; otherwise leave no half-built extension behind and go on in pure Python."""

    def run(self) -> None:
        if not self.extensions:
            return
        manifest = self._manifest()
        manifest.unlink(missing_ok=True)  # an old one must not vouch for what this build leaves
        try:
            super().run()
        except Exception as exc:  # no compiler, missing Python headers, ...
            _warn(f"compiling failed ({exc})")
            for extension in self.extensions:
                Path(self.get_ext_fullpath(extension.name)).unlink(missing_ok=True)
            return
        # Written only once every extension exists: its presence means "compiled from these sources".
        record = {
            "compiler": f"mypyc {_mypy_version()}",
            "sources": _source_hashes(".py", COMPILED),
            "native": _source_hashes(".c", NATIVE),
        }
        manifest.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")

    def get_outputs(self) -> list[str]:
        outputs = super().get_outputs()
        manifest = self._manifest()
        return [*outputs, str(manifest)] if self.extensions and manifest.exists() else outputs

    def _manifest(self) -> Path:
        return Path(self.get_ext_fullpath(f"{PACKAGE}.{COMPILED[0]}")).parent / MANIFEST


def _mypy_version() -> str:
    try:
        from mypy.version import __version__
    except ImportError:
        return "unknown"
    return __version__


extensions = _compiled_extensions()
if not extensions:
    # An editable install keeps an earlier build's files in place; without a manifest to vouch for
    # them, codetune.extract.compiled runs the sources instead.
    (SOURCE_DIR / MANIFEST).unlink(missing_ok=True)
setup(ext_modules=extensions, cmdclass={"build_ext": OptionalBuildExt})
