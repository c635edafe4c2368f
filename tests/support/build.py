"""What setup.py builds, read from setup.py itself (never run: it would compile)."""

from __future__ import annotations

import ast
from pathlib import Path

SETUP = Path(__file__).resolve().parents[2] / "setup.py"


def compiled_modules() -> tuple[str, ...]:
    """The extractor modules setup.py compiles with mypyc (its ``COMPILED``)."""
    return _setup_names("COMPILED")


def native_modules() -> tuple[str, ...]:
    """The C modules setup.py builds (its ``NATIVE``)."""
    return _setup_names("NATIVE")


def _setup_names(constant: str) -> tuple[str, ...]:
    tree = ast.parse(SETUP.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == constant for target in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise LookupError(f"{SETUP} has no {constant}")
