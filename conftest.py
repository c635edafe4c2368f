"""Collection rules for the whole tree: tests/ and the doctests of src/codetune."""

from __future__ import annotations

from support.build import compiled_modules

# Collecting a compiled module's doctests would import its .py a second time, under the module's own
# name, and the rest of the run would test a mix of compiled and pure modules.
# tests/extract/test_compiled.py runs those doctests from the sources, under names of their own.
collect_ignore = [f"src/codetune/extract/{name}.py" for name in compiled_modules()]
