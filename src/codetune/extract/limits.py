"""How deep extraction follows nesting, and what it raises past that.

The declaration walker and the Javadoc parser recurse; these limits stop them well before Python's
recursion limit, with a reason the report can name. No real code comes near them.
"""

from __future__ import annotations

# Types, or syntax errors, one inside the other: a file nested deeper is skipped as "too_deep".
MAX_NESTING = 200
# Inline tags inside inline tags: deeper ones are kept as their text.
MAX_INLINE_NESTING = 20


class NestedTooDeeply(RecursionError):
    """Declarations nested more than ``MAX_NESTING`` deep."""
