"""What setup.py builds, read from setup.py itself (never run: it would compile)."""

from __future__ import annotations

import ast
from pathlib import Path

SETUP = Path(__file__).resolve().parents[2] / "setup.py"


def compiled_modules() -> tuple[str, ...]:
    """The extractor modules setup.py compiles with mypyc (its ``COMPILED``)."""
    tree = ast.parse(SETUP.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "COMPILED" for target in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise LookupError(f"{SETUP} has no COMPILED")
