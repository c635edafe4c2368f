"""Reading declaration text out of one file: slices, modifiers, Javadoc lookup, signatures.

Shared by the type walker (:mod:`codetune.extract.declarations`) and the member builders
(:mod:`codetune.extract.members`). Nodes are tree-sitter nodes used duck-typed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from codetune.extract.javadoc import parse_javadoc
from codetune.extract.names import one_line
from codetune.records import Javadoc

Node = Any  # a tree-sitter Node

COMMENTS = frozenset(("line_comment", "block_comment"))
ANNOTATIONS = frozenset(("marker_annotation", "annotation"))

# Equal small values (modifier and annotation lists, indents, types, parameters) are made one object
# per process: records take less memory, and a worker's pickled results carry each only once per
# chunk (pickle refers back to an object it has written), which makes them quicker to hand over.
_SHARED: dict[Any, Any] = {}
_SHARED_LIMIT = 100_000  # entries per cache; a full cache is emptied, so memory stays flat
K = TypeVar("K")
V = TypeVar("V")


def shared(value: V) -> V:
    """The one object equal to ``value`` (an immutable value: a string or a tuple of strings)."""
    found = _SHARED.get(value)
    return found if found is not None else remember(_SHARED, value, value)


def remember(cache: dict[K, V], key: K, value: V) -> V:
    """Keep ``value`` under ``key`` and return it (emptying the cache first when it is full)."""
    if len(cache) >= _SHARED_LIMIT:
        cache.clear()
    cache[key] = value
    return value


class SourceView:
    """The bytes tree-sitter parsed, and their text; ``broken`` collects declarations left out."""

    __slots__ = ("data", "file", "broken", "_ascii_text")

    def __init__(self, data: bytes, file: str, text: str | None = None) -> None:
        self.data = data
        self.file = file
        self.broken: list[tuple[int, str]] = []  # (line, what) of declarations with syntax errors
        # Pure ASCII (most Java): byte offsets are character offsets, so the text is sliced directly.
        self._ascii_text = text if text is not None and len(text) == len(data) else None

    def text(self, node: Node) -> str:
        return self.range(node.start_byte, node.end_byte)

    def range(self, start: int, end: int) -> str:
        if self._ascii_text is not None:
            return self._ascii_text[start:end]
        return self.data[start:end].decode("utf-8")

    def is_doc(self, node: Node) -> bool:
        """Is this comment node a Javadoc comment (``/**``, but not the empty ``/**/``)?"""
        start = node.start_byte
        return self.data[start : start + 3] == b"/**" and node.end_byte - start > 4

    def javadoc(self, node: Node | None) -> Javadoc | None:
        return parse_javadoc(self.text(node)) if node is not None else None

    def indent(self, start: int) -> str:
        """The white space before ``start`` on its line ("" when code precedes it there)."""
        line_start = self.data.rfind(b"\n", 0, start) + 1
        prefix = self.range(line_start, start)
        return shared(prefix) if not prefix.strip() else ""

    def modifiers(self, mods: Node | None) -> tuple[tuple[str, ...], tuple[str, ...], Node | None]:
        """Keywords, annotations, and a Javadoc written after the annotations, if any."""
        if mods is None:
            return (), (), None
        keywords: list[str] = []
        annotations: list[str] = []
        doc = None
        for child in mods.children:
            kind = child.type
            if kind in ANNOTATIONS:
                annotations.append(one_line(self.text(child)))
            elif kind == "block_comment":
                if doc is None and self.is_doc(child):
                    doc = child
            elif kind != "line_comment":
                keywords.append(kind)  # anonymous keyword nodes are named by their text
        return shared(tuple(keywords)), shared(tuple(annotations)) if annotations else (), doc

    def doc_before(self, node: Node) -> Node | None:
        """The nearest Javadoc among the comments right before ``node`` (javac's rule)."""
        prev = node.prev_sibling
        while prev is not None and prev.type in COMMENTS:
            if prev.type == "block_comment" and self.is_doc(prev):
                return prev
            prev = prev.prev_sibling
        return None

    def signature(self, keywords: tuple[str, ...], start: int, end: int) -> str:
        """Modifier keywords, then the declaration text from ``start`` to ``end`` on one line."""
        rest = one_line(self.range(start, end).strip())
        return " ".join((*keywords, rest)) if keywords else rest

    def drop(self, node: Node, what: str) -> None:
        self.broken.append((node.start_point[0] + 1, what))
