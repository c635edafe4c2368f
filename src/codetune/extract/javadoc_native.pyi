# The C module javadoc_native.c: javadoc.py's parser for the comments it takes on.

# limits.MAX_INLINE_NESTING, as compiled in
MAX_INLINE_NESTING: int

def parse(
    raw: str,
) -> tuple[str, str, dict[str, str], str | None, dict[str, str], list[tuple[str, str]], bool] | None:
    """(summary, description, params, returns, throws, tags, inherit_doc), or None: left to Python."""
