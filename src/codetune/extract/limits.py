"""How deep extraction follows nesting, and what it raises past that (pure Python, never compiled).

The compiled walker and Javadoc parser recurse in C, where running out of stack kills the process
instead of raising RecursionError; these limits stop well before that. No real code comes near them.
"""

from __future__ import annotations

# Types, or syntax errors, one inside the other: a file nested deeper is skipped as "too_deep".
MAX_NESTING = 200
# Inline tags inside inline tags: deeper ones are kept as their text.
MAX_INLINE_NESTING = 20


class NestedTooDeeply(RecursionError):
    """Declarations nested more than ``MAX_NESTING`` deep. (mypyc cannot compile a subclass of a
    built-in exception, hence this module.)"""
