"""Build the :class:`Member` records of a type: methods, constructors, fields, enum constants, components.

Each builder reads one declaration node (tree-sitter-java 0.23.5 node names, used duck-typed) and
returns records; a declaration containing a syntax error is left out and noted in
``view.broken``. Ids follow :mod:`codetune.extract.names`.
"""

from __future__ import annotations

from codetune.extract.names import callable_id, compact_type, one_line
from codetune.extract.source_view import COMMENTS, Node, SourceView, remember, shared
from codetune.records import Javadoc, Member, MemberKind, Parameter

_BODIES = frozenset(("block", "constructor_body"))
_new_object = object.__new__
# One Parameter object per (name, type) in a process, as source_view.shared does for other values:
# "int index" is written in many signatures.
_PARAMETERS: dict[tuple[str, str], Parameter] = {}


def new_member(
    *,
    kind: MemberKind,
    name: str,
    id: str,
    signature: str,
    start_line: int,
    end_line: int,
    source: str,
    javadoc: Javadoc | None = None,
    modifiers: tuple[str, ...] = (),
    annotations: tuple[str, ...] = (),
    type_parameters: str | None = None,
    type: str | None = None,
    parameters: tuple[Parameter, ...] = (),
    throws: tuple[str, ...] = (),
    body_start_line: int | None = None,
    is_compact_constructor: bool = False,
    indent: str = "",
) -> Member:
    """``Member(...)``: the same record, its instance dict filled in field order as ``Member.__init__``
    fills it (pickle and orjson follow that order; ``tests/core/test_records.py`` holds the parameters
    to ``Member``'s fields and defaults)."""
    member: Member = _new_object(Member)
    fields = member.__dict__
    fields["kind"] = kind
    fields["name"] = name
    fields["id"] = id
    fields["signature"] = signature
    fields["start_line"] = start_line
    fields["end_line"] = end_line
    fields["source"] = source
    fields["javadoc"] = javadoc
    fields["modifiers"] = modifiers
    fields["annotations"] = annotations
    fields["type_parameters"] = type_parameters
    fields["type"] = type
    fields["parameters"] = parameters
    fields["throws"] = throws
    fields["body_start_line"] = body_start_line
    fields["is_compact_constructor"] = is_compact_constructor
    fields["indent"] = indent
    return member


def callable_member(
    view: SourceView,
    node: Node,
    kind: MemberKind,
    doc: Node | None,
    owner: str,
    components: tuple[Parameter, ...] = (),
) -> tuple[Member, Node | None] | None:
    """A method, constructor or annotation element, and its body node; None when malformed.

    ``owner`` is the id prefix (the type's qualified name, or ``Enum.CONSTANT`` for a method of an
    enum constant's body); ``components`` are a record's, the parameters of its compact constructor.
    """
    if node.has_error:
        view.drop(node, f"{kind} with a syntax error")
        return None
    mods = name_node = return_type = params = body = dims = None
    type_parameters = None
    throws: tuple[str, ...] = ()
    rest_start = inner_doc = None
    children = node.children
    for child in children:
        child_type = child.type
        if child_type == "modifiers":
            mods = child
            continue
        if child_type in COMMENTS:
            if inner_doc is None and name_node is None and view.is_doc(child):
                inner_doc = child  # "@Deprecated /** doc */ void f()": after the annotations
            continue
        if rest_start is None:
            rest_start = child.start_byte
        if child_type == "identifier" and name_node is None:
            name_node = child
        elif child_type == "formal_parameters":
            params = child
        elif child_type in _BODIES:
            body = child
        elif child_type == "type_parameters":
            type_parameters = one_line(view.text(child))
        elif child_type == "throws":
            throws = tuple(one_line(view.text(t)) for t in child.named_children if t.type not in COMMENTS)
        elif child_type == "dimensions":
            dims = child
        elif name_node is None and child.is_named:
            return_type = child
    if name_node is None:
        view.drop(node, f"{kind} without a name")
        return None
    name = view.text(name_node)
    keywords, annotations, mods_doc = view.modifiers(mods)
    compact = node.type == "compact_constructor_declaration"
    parameters = components if compact else parameter_list(view, params) if params is not None else ()
    if body is not None:
        signature_end = body.start_byte
    else:
        last = children[-1]
        signature_end = last.start_byte if last.type == ";" else node.end_byte
    type_text = None
    if return_type is not None:
        type_text = one_line(view.text(return_type))
        if dims is not None:
            type_text += compact_type(view.text(dims))  # "int f()[]" returns int[]
        type_text = shared(type_text)
    start = node.start_byte
    member = new_member(
        kind=kind,
        name=name,
        id=callable_id(owner, name, [p.type for p in parameters]),
        signature=view.signature(keywords, rest_start if rest_start is not None else start, signature_end),
        start_line=node.start_point[0] + 1,
        end_line=node.end_point[0] + 1,
        source=view.text(node),
        javadoc=view.javadoc(doc or mods_doc or inner_doc),
        modifiers=keywords,
        annotations=annotations,
        type_parameters=type_parameters,
        type=type_text,
        parameters=parameters,
        throws=throws,
        body_start_line=body.start_point[0] + 1 if body is not None else None,
        is_compact_constructor=compact,
        indent=view.indent(start),
    )
    return member, body


def parameter_list(view: SourceView, params: Node) -> tuple[Parameter, ...]:
    if params.named_child_count == 0:
        return ()
    result = []
    for param in params.named_children:
        parsed = parameter(view, param)
        if parsed is not None:
            result.append(parsed)
    return tuple(result)


def parameter(view: SourceView, param: Node) -> Parameter | None:
    """A ``formal_parameter`` or ``spread_parameter`` (varargs); None for the receiver, comments."""
    kind = param.type
    if kind != "formal_parameter" and kind != "spread_parameter":
        return None
    type_node = name_node = dims = None
    for child in param.children:
        child_type = child.type
        if child_type == "identifier":
            name_node = child
        elif child_type == "variable_declarator":  # varargs: "String... names"
            name_node = child.child_by_field_name("name")
            for part in child.children:
                if part.type == "dimensions":
                    dims = part
        elif child_type == "dimensions":
            dims = child
        elif (
            type_node is None and child.is_named and child_type != "modifiers" and child_type not in COMMENTS
        ):
            type_node = child
    if type_node is None or name_node is None:
        return None
    type_text = one_line(view.text(type_node))
    if dims is not None:
        type_text += compact_type(view.text(dims))  # "int b[]" is an int[] parameter
    if kind == "spread_parameter":
        type_text += "..."
    key = (view.text(name_node), type_text)
    found = _PARAMETERS.get(key)
    return found if found is not None else remember(_PARAMETERS, key, Parameter(*key))


def field_members(view: SourceView, node: Node, doc: Node | None, owner: str) -> list[Member]:
    """One member per declarator: ``int a, b[];`` declares ``a`` (int) and ``b`` (int[])."""
    if node.has_error:
        view.drop(node, "field with a syntax error")
        return []
    mods = type_node = inner_doc = None
    declarators = []
    for child in node.children:
        child_type = child.type
        if child_type == "modifiers":
            mods = child
        elif child_type == "variable_declarator":
            declarators.append(child)
        elif child_type in COMMENTS:
            if inner_doc is None and type_node is None and view.is_doc(child):
                inner_doc = child
        elif type_node is None and child.is_named:
            type_node = child
    if type_node is None:
        return []
    keywords, annotations, mods_doc = view.modifiers(mods)
    type_text = shared(one_line(view.text(type_node)))
    javadoc = view.javadoc(doc or mods_doc or inner_doc)
    source = view.text(node)
    start_line, end_line = node.start_point[0] + 1, node.end_point[0] + 1
    indent = view.indent(node.start_byte)
    members = []
    for declarator in declarators:
        name = view.text(declarator.child(0))
        dims = declarator.child(1) if declarator.child_count > 1 else None
        dims_text = view.text(dims) if dims is not None and dims.type == "dimensions" else ""
        members.append(
            new_member(
                kind="field",
                name=name,
                id=f"{owner}#{name}",
                signature=" ".join((*keywords, type_text, name + dims_text)),
                start_line=start_line,
                end_line=end_line,
                source=source,
                javadoc=javadoc,
                modifiers=keywords,
                annotations=annotations,
                type=type_text + compact_type(dims_text) if dims_text else type_text,
                indent=indent,
            )
        )
    return members


def enum_constant(
    view: SourceView, node: Node, doc: Node | None, owner: str, enum_name: str
) -> tuple[Member, Node | None, Node | None] | None:
    """An enum constant, its argument list and its class body (whose methods belong to the enum)."""
    if node.has_error:
        view.drop(node, "enum constant with a syntax error")
        return None
    mods = name_node = arguments = body = inner_doc = None
    for child in node.children:
        child_type = child.type
        if child_type == "modifiers":
            mods = child
        elif child_type == "identifier":
            name_node = child
        elif child_type == "argument_list":
            arguments = child
        elif child_type == "class_body":
            body = child
        elif child_type == "block_comment" and view.is_doc(child):
            inner_doc = child  # "@Deprecated /** doc */ OLD"
    if name_node is None:
        return None
    keywords, annotations, mods_doc = view.modifiers(mods)
    name = view.text(name_node)
    member = new_member(
        kind="enum_constant",
        name=name,
        id=f"{owner}#{name}",
        signature=name + one_line(view.text(arguments)) if arguments is not None else name,
        start_line=node.start_point[0] + 1,
        end_line=node.end_point[0] + 1,
        source=view.text(node),
        javadoc=view.javadoc(doc or mods_doc or inner_doc),
        modifiers=keywords,
        annotations=annotations,
        type=enum_name,
        indent=view.indent(node.start_byte),
    )
    return member, arguments, body


def record_components(
    view: SourceView, params: Node, owner: str
) -> tuple[list[Member], tuple[Parameter, ...]]:
    """A record's components as members (kind ``record_component``) and as constructor parameters."""
    members = []
    components = []
    for param in params.named_children:
        parsed = parameter(view, param)
        if parsed is None:
            continue
        components.append(parsed)
        first = param.children[0]
        keywords, annotations, _ = view.modifiers(first if first.type == "modifiers" else None)
        members.append(
            new_member(
                kind="record_component",
                name=parsed.name,
                id=f"{owner}#{parsed.name}",
                signature=f"{parsed.type} {parsed.name}",
                start_line=param.start_point[0] + 1,
                end_line=param.end_point[0] + 1,
                source=view.text(param),
                modifiers=keywords,
                annotations=annotations,
                type=parsed.type,
            )
        )
    return members, tuple(components)
