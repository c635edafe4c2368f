"""Turn the syntax tree of one Java file into :class:`TypeUnit` records.

Every named type at any depth becomes a unit: top-level, member, and local types (declared in a
method, constructor, initializer or field initializer, also inside anonymous classes and lambdas).
Anonymous classes and lambdas are part of the member that contains them. The walk visits declaration
nodes only: the text of each member is searched for ``class``/``interface``/``enum``/``record``
followed by a name, and its body is entered only at such a hit. That keeps the cost close to
the parse itself on real code.

Nodes are used duck-typed (tree-sitter-java 0.23.5 node names); no tree-sitter import is needed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from codetune.extract import members
from codetune.extract.limits import MAX_NESTING, NestedTooDeeply
from codetune.extract.names import one_line, qualify
from codetune.extract.source_view import COMMENTS, Node, SourceView
from codetune.records import Member, MemberKind, Parameter, TypeKind, TypeUnit

TYPE_KINDS: dict[str, TypeKind] = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "record_declaration": "record",
    "annotation_type_declaration": "annotation",
}
_SUPERTYPE_LISTS = frozenset(("super_interfaces", "extends_interfaces"))
_TYPE_KEYWORDS = (b"class", b"interface", b"enum", b"record")
_KEYWORD_AT = re.compile(rb"(class|interface|enum|record)\s+[A-Za-z_$\x80-\xff]")
_IDENTIFIER_BYTES = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$"
) | frozenset(range(0x80, 0x100))


def keyword_positions(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sorted ``(start, end)`` of every type keyword followed by a name in ``data[start:end]``.

    Finding the four keywords with ``bytes.find`` and checking each hit is several times faster than
    one regex scan. Searching member by member, not the whole file, skips the Javadoc in between:
    on java.base, 46% of the bytes are searched and 23% of the words "class", "enum"... are met.

    >>> keyword_positions(b"class A { void f() { Foo.class.cast(x); record R(int x) {} } }")
    [(0, 5), (40, 46)]
    >>> keyword_positions(b"class A { void f() { Foo.class.cast(x); record R(int x) {} } }", 10)
    [(40, 46)]
    """
    if end is None:
        end = len(data)
    found = []
    for keyword in _TYPE_KEYWORDS:
        pos = data.find(keyword, start, end)
        while pos != -1:
            if (pos == 0 or data[pos - 1] not in _IDENTIFIER_BYTES) and _KEYWORD_AT.match(data, pos):
                found.append((pos, pos + len(keyword)))
            pos = data.find(keyword, pos + len(keyword), end)
    found.sort()
    return found


class _Scope:
    """The type whose body is being walked, and the members collected for it so far."""

    __slots__ = (
        "qualified",
        "dotted",
        "simple",
        "enclosing",
        "methods",
        "constructors",
        "fields",
        "components",
    )

    def __init__(self, qualified: str, dotted: str, simple: str, enclosing: tuple[str, ...]) -> None:
        self.qualified = qualified
        self.dotted = dotted
        self.simple = simple
        self.enclosing = enclosing  # qualified names of this type and the types around it, outermost first
        self.methods: list[Member] = []
        self.constructors: list[Member] = []
        self.fields: list[Member] = []
        self.components: tuple[Parameter, ...] = ()


class DeclarationWalker:
    """Collects the types of one file; ``broken`` lists declarations left out for syntax errors.

    ``nodes`` maps the ``id()`` of each type and callable record built to its declaration node, for
    callers that look at the code again while the records and the tree are alive (see
    :class:`codetune.extract.pipeline.ParsedFile`).
    """

    def __init__(self, data: bytes, file: str, text: str | None = None) -> None:
        self.view = SourceView(data, file, text)
        self.package = ""
        self.imports: tuple[str, ...] = ()
        self.nodes: dict[int, Node] = {}
        self._units: list[tuple[int, TypeUnit]] = []
        self._qualified_names: set[str] = set()
        self._depth = 0  # types and ERROR nodes being walked, one inside the other

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise NestedTooDeeply(f"declarations nested more than {MAX_NESTING} deep")

    @property
    def broken(self) -> list[tuple[int, str]]:
        return self.view.broken

    def walk(self, root: Node) -> list[TypeUnit]:
        """All types of the file, in source order (outer types before the types they contain)."""
        self._top_level(root, [])
        self._units.sort(key=lambda item: item[0])
        return [unit for _, unit in self._units]

    def _top_level(self, node: Node, imports: list[str]) -> None:
        view = self.view
        for child, found in self._documented(node):
            kind = child.type
            if kind in TYPE_KINDS:
                self._type(child, TYPE_KINDS[kind], found, None)
            elif kind == "package_declaration":
                for part in child.named_children:
                    if part.type in ("scoped_identifier", "identifier"):
                        self.package = "".join(view.text(part).split())
            elif kind == "import_declaration":
                imports.append(self._import(child))
                self.imports = tuple(imports)
            elif kind == "ERROR":
                self._enter()
                self._top_level(child, imports)  # keep the well-formed declarations inside
                self._depth -= 1

    def _documented(self, node: Node) -> Iterator[tuple[Node, Node | None]]:
        """Each child of ``node`` but comments, with the ``/** */`` comment just before it, if any.

        A Javadoc followed by another declaration first documents nothing; ``//`` and ``/* */`` comments
        in between do not detach it.
        """
        is_doc = self.view.is_doc
        doc = None
        for child in node.children:
            kind = child.type
            if kind == "block_comment":
                if is_doc(child):
                    doc = child
            elif kind != "line_comment":
                yield child, doc
                doc = None

    def _import(self, node: Node) -> str:
        static = star = False
        name = ""
        for child in node.children:
            kind = child.type
            if kind == "static":
                static = True
            elif kind in ("scoped_identifier", "identifier"):
                name = "".join(self.view.text(child).split())
            elif kind == "asterisk":
                star = True
        return ("static " if static else "") + name + (".*" if star else "")

    def _unique(self, qualified: str) -> str:
        """Two local types may share a name in one file; later ones get ``$2``, ``$3`` (like javac)."""
        if qualified not in self._qualified_names:
            self._qualified_names.add(qualified)
            return qualified
        number = 2
        while f"{qualified}${number}" in self._qualified_names:
            number += 1
        self._qualified_names.add(f"{qualified}${number}")
        return f"{qualified}${number}"

    def _type(
        self,
        node: Node,
        kind: TypeKind,
        doc: Node | None,
        parent: _Scope | None,
        *,
        is_local: bool = False,
        enclosing_member: str | None = None,
    ) -> None:
        view = self.view
        mods = name_node = body = type_parameters = superclass = params = None
        interfaces: tuple[str, ...] = ()
        permits: tuple[str, ...] = ()
        rest_start = inner_doc = None
        for child in node.children:
            child_type = child.type
            if child_type == "modifiers":
                mods = child
                continue
            if child_type in COMMENTS:
                if inner_doc is None and name_node is None and view.is_doc(child):
                    inner_doc = child  # "@Deprecated /** doc */ class X": after the annotations
                continue
            if rest_start is None:
                rest_start = child.start_byte
            if child_type == "identifier" and name_node is None:
                name_node = child
            elif child_type == "type_parameters":
                type_parameters = one_line(view.text(child))
            elif child_type == "superclass":
                superclass = (
                    one_line(view.text(child.named_children[-1])) if child.named_child_count else None
                )
            elif child_type in _SUPERTYPE_LISTS:
                interfaces = self._type_list(child)
            elif child_type == "permits":
                permits = self._type_list(child)
            elif child_type == "formal_parameters":
                params = child  # a record's components
            elif child_type.endswith("_body"):
                body = child
        if name_node is None or name_node.is_missing:
            view.drop(node, f"{kind} without a name")
            return
        self._enter()
        simple = view.text(name_node)
        dotted = f"{parent.dotted}.{simple}" if parent is not None else simple
        qualified = self._unique(qualify(self.package, dotted))
        if qualified != qualify(self.package, dotted):
            dotted = qualified[len(self.package) + 1 :] if self.package else qualified
        keywords, annotations, mods_doc = view.modifiers(mods)
        enclosing = parent.enclosing if parent is not None else ()
        scope = _Scope(qualified, dotted, simple, (*enclosing, qualified))
        if params is not None:
            scope.fields, scope.components = members.record_components(view, params, qualified)
        if body is not None:
            self._body(body, scope)
        start = node.start_byte
        unit = TypeUnit(
            file=view.file,
            package=self.package,
            imports=self.imports,
            name=dotted,
            qualified_name=qualified,
            kind=kind,
            signature=view.signature(
                keywords,
                rest_start if rest_start is not None else start,
                body.start_byte if body is not None else node.end_byte,
            ),
            start_line=node.start_point[0] + 1,
            end_line=node.end_point[0] + 1,
            source=view.text(node),
            javadoc=view.javadoc(doc or mods_doc or inner_doc),
            modifiers=keywords,
            annotations=annotations,
            type_parameters=type_parameters,
            superclass=superclass,
            interfaces=interfaces,
            permits=permits,
            enclosing=enclosing,
            enclosing_member=enclosing_member,
            is_local=is_local,
            methods=tuple(scope.methods),
            constructors=tuple(scope.constructors),
            fields=tuple(scope.fields),
            indent=view.indent(start),
        )
        self._units.append((start, unit))
        self.nodes[id(unit)] = node
        self._depth -= 1

    def _type_list(self, node: Node) -> tuple[str, ...]:
        for child in node.named_children:
            if child.type == "type_list":
                return tuple(
                    one_line(self.view.text(t)) for t in child.named_children if t.type not in COMMENTS
                )
        return ()

    def _body(self, body: Node, scope: _Scope) -> None:
        view = self.view
        for child, found in self._documented(body):
            kind = child.type
            if kind == "method_declaration":
                self._callable(child, "method", found, scope, scope.qualified)
            elif kind == "field_declaration" or kind == "constant_declaration":
                fields = members.field_members(view, child, found, scope.qualified)
                scope.fields.extend(fields)
                self._local_types(child, scope, fields[0].id if fields else None)
            elif kind == "constructor_declaration" or kind == "compact_constructor_declaration":
                self._callable(child, "constructor", found, scope, scope.qualified)
            elif kind in TYPE_KINDS:
                self._type(child, TYPE_KINDS[kind], found, scope)
            elif kind == "enum_constant":
                self._enum_constant(child, found, scope)
            elif kind == "enum_body_declarations" or kind == "ERROR":
                self._enter()
                self._body(child, scope)  # an ERROR node may still hold well-formed declarations
                self._depth -= 1
            elif kind == "annotation_type_element_declaration":
                self._callable(child, "annotation_element", found, scope, scope.qualified)
            elif kind == "static_initializer" or kind == "block":
                self._local_types(child, scope, None)

    def _callable(self, node: Node, kind: MemberKind, doc: Node | None, scope: _Scope, owner: str) -> None:
        built = members.callable_member(self.view, node, kind, doc, owner, scope.components)
        if built is None:
            return
        member, body = built
        (scope.constructors if kind == "constructor" else scope.methods).append(member)
        self.nodes[id(member)] = node
        if body is not None:
            self._local_types(body, scope, member.id)

    def _enum_constant(self, node: Node, doc: Node | None, scope: _Scope) -> None:
        built = members.enum_constant(self.view, node, doc, scope.qualified, scope.simple)
        if built is None:
            return
        member, arguments, body = built
        scope.fields.append(member)
        if arguments is not None:
            self._local_types(arguments, scope, member.id)
        if body is not None:
            self._constant_body(body, scope, f"{scope.qualified}.{member.name}", member.id)

    def _constant_body(self, body: Node, scope: _Scope, owner: str, constant_id: str) -> None:
        """Methods of an enum constant's body belong to the enum; their ids name the constant."""
        doc = None
        for child in body.children:
            kind = child.type
            if kind == "block_comment":
                if self.view.is_doc(child):
                    doc = child
                continue
            if kind == "line_comment" or not child.is_named:
                continue
            found, doc = doc, None
            if kind == "method_declaration":
                self._callable(child, "method", found, scope, owner)
            elif kind in TYPE_KINDS:
                self._type(child, TYPE_KINDS[kind], found, scope, is_local=True, enclosing_member=constant_id)
            else:
                self._local_types(child, scope, constant_id)

    def _local_types(self, node: Node, scope: _Scope, member_id: str | None) -> None:
        """Find types declared inside a member: search its text for keywords, enter the tree only there."""
        keywords = keyword_positions(self.view.data, node.start_byte, node.end_byte)
        index = 0
        while index < len(keywords):
            keyword_start, keyword_end = keywords[index]
            index += 1
            token = node.descendant_for_byte_range(keyword_start, keyword_end)
            declaration = token.parent if token is not None else None
            if declaration is not None and declaration.type in TYPE_KINDS:
                doc = self.view.doc_before(declaration)
                kind = TYPE_KINDS[declaration.type]
                self._type(declaration, kind, doc, scope, is_local=True, enclosing_member=member_id)
                declaration_end = declaration.end_byte  # its own local types were found by _type
                while index < len(keywords) and keywords[index][0] < declaration_end:
                    index += 1
