"""The one module that imports tree-sitter: the pinned Java grammar, parsing, syntax errors.

Callers get tree-sitter ``Tree`` and ``Node`` objects and use them duck-typed (``.type``,
``.children``, ``.named_children``, ``.child_by_field_name``, ``.text``, ``.start_point``), so no other
module needs the import. Node type names belong to ``tree-sitter-java`` 0.23.5 (pinned in
pyproject.toml): they changed across grammar releases, and the fixture tests pin them down.
"""

from __future__ import annotations

from typing import Any

_PARSER: Any = None

# Enough context to see where an error is without flooding the report.
_ERROR_SNIPPET_CHARS = 40
MAX_REPORTED_ERRORS = 20


def _parser() -> Any:
    """One parser per process (parsers are not thread-safe; each worker process gets its own)."""
    global _PARSER
    if _PARSER is None:
        import tree_sitter
        import tree_sitter_java

        _PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_java.language()))
    return _PARSER


def parse_bytes(data: bytes) -> Any:
    """Parse UTF-8 encoded Java source into a tree-sitter ``Tree``."""
    return _parser().parse(data)


def parse_tree(text: str) -> Any:
    """Parse Java source text into a tree-sitter ``Tree`` (``tree.root_node`` is the ``program``).

    >>> parse_tree("class A { void f() {} }").root_node.named_children[0].type
    'class_declaration'
    """
    return parse_bytes(text.encode("utf-8"))


def syntax_errors(source: str | Any, limit: int = MAX_REPORTED_ERRORS) -> list[tuple[int, int, str]]:
    """``(line, column, what)`` of each ERROR or MISSING node, 1-based, in source order; [] when clean.

    ``source`` is Java text or an already parsed ``Tree``. Columns count characters, as editors do.

    >>> syntax_errors("class A { void f() { int x = ; } }")
    [(1, 28, "unexpected '='")]
    >>> syntax_errors("class A { void f(int a { } }")
    [(1, 23, "missing ')'")]
    >>> syntax_errors("class A { void f() {} }")
    []
    """
    tree = parse_tree(source) if isinstance(source, str) else source
    root = tree.root_node
    if not root.has_error:
        return []
    data = root.text or b""
    found: list[tuple[int, int, str]] = []
    stack = [root]
    while stack and len(found) < limit:
        node = stack.pop()
        if node.is_missing:
            found.append((*_position(node, data), f"missing {node.type!r}"))
            continue
        if node.type == "ERROR":
            found.append((*_position(node, data), f"unexpected {_snippet(node)}"))
            continue
        # Only subtrees that contain an error are visited, so clean code costs nothing here.
        stack.extend(child for child in reversed(node.children) if child.has_error or child.is_missing)
    return found


def _position(node: Any, data: bytes) -> tuple[int, int]:
    row, byte_column = node.start_point
    line = data[node.start_byte - byte_column : node.start_byte]
    return row + 1, len(line.decode("utf-8", "replace")) + 1


def _snippet(node: Any) -> str:
    text = (node.text or b"").decode("utf-8", "replace")
    text = " ".join(text.split())
    if len(text) > _ERROR_SNIPPET_CHARS:
        text = text[: _ERROR_SNIPPET_CHARS - 3] + "..."
    return repr(text) if text else "end of input"


_WRAPPER_PREFIX = "class __CodetuneMember__ {\n"


def parse_member(member_source: str) -> Any:
    """The ``Node`` of one method or constructor declaration parsed on its own.

    The text is wrapped in a dummy class (rows shift by one; the declaration's own text is
    ``node.text``). Returns the declaration node, or ``None`` when the text holds none.

    >>> node = parse_member("public int size() { return n; }")
    >>> node.type, node.child_by_field_name("name").text
    ('method_declaration', b'size')
    """
    tree = parse_tree(_WRAPPER_PREFIX + member_source + "\n}\n")
    root = tree.root_node
    wrapper = root.named_children[0] if root.named_child_count else None
    body = wrapper.child_by_field_name("body") if wrapper is not None else None
    if body is None:
        return None
    for child in body.named_children:
        if child.type in ("method_declaration", "constructor_declaration", "compact_constructor_declaration"):
            return child
    return None
