"""Where a generated member goes: find the original member in its source file, read the answer's
declarations, check that the answer declares the member that was asked for, and put it in place.

The requested member is named by its unit id (``com.acme.Cart.Line#add(Map<K,V>,int)``); its kind,
return type, type parameters and parameter types come from the original source. An answer declares
the requested member when it has a method (or constructor) with the same name and the same parameter
types, and the same return type. "Same" compares types as written with white space, annotations and
package and outer-type qualifiers dropped (``java.util.List<String>`` is ``List<String>``), and with
a generic method's own type variables renamed to the original's (``<U> U first(List<U>)`` declares
``<T> T first(List<T>)``). A narrower return type (``ArrayList`` for ``List``) is a different
member: callers elsewhere in the codebase were written against the declared type. Modifiers and
``throws`` are not compared; javac checks how the file's own code uses them. A record's compact
constructor and its canonical constructor written out in full are the same member.

The answer may bring imports (added to the file's), helper methods and fields (kept), or the whole
enclosing type (only the requested member and the members the original type does not have are
taken from it). Members of the answer that repeat one of the type's other members are dropped: a
model that copies a field from the prompt has not made the file fail to compile.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from codetune.extract.names import callable_id, compact_type, qualify

TYPE_NODES = frozenset(
    {
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
    }
)
CALLABLE_NODES = frozenset(
    {"method_declaration", "constructor_declaration", "compact_constructor_declaration"}
)
_COMMENTS = frozenset({"line_comment", "block_comment"})
_WRAPPER = "class __CodetuneAnswer__ {\n"
_HEADER = re.compile(
    r"\A(?:\s+|//[^\n]*|/\*.*?\*/|package\s+[\w.\s]+;|import\s+(?:static\s+)?[\w.\s]+(?:\.\s*\*)?\s*;)*", re.S
)
_IMPORT = re.compile(r"import\s+(?:static\s+)?[\w.\s]+(?:\.\s*\*)?\s*;")
_QUALIFIER = re.compile(r"(?:[A-Za-z_$][\w$]*\.)+(?=[A-Za-z_$])")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
# tree-sitter parsers are not thread-safe; scoring may run in threads (javac is a subprocess).
_PARSE_LOCK = threading.Lock()


def parse(text: str) -> Any:
    """The tree-sitter tree of ``text`` (serialised: one parser per process)."""
    from codetune.extract.java import parse_tree

    with _PARSE_LOCK:
        return parse_tree(text)


@dataclass(frozen=True)
class Signature:
    """What identifies a method or constructor to its callers."""

    kind: str  # "method" | "constructor"
    name: str
    parameters: tuple[str, ...]  # compact types, as in unit ids
    returns: str | None  # compact type; None for a constructor
    type_parameters: tuple[str, ...] = ()  # a generic method's own type variables

    def display(self) -> str:
        """
        >>> Signature("method", "add", ("Map<K,V>", "int"), "boolean").display()
        'boolean add(Map<K,V>,int)'
        """
        head = f"{self.returns} " if self.returns is not None else ""
        return f"{head}{self.name}({','.join(self.parameters)})"


@dataclass(frozen=True)
class Slot:
    """The original member in its file: the byte range to replace and what the answer must declare."""

    start: int
    end: int
    signature: Signature
    siblings: frozenset[tuple[str, ...]]  # keys of the enclosing type's other members (see _key)
    type_name: str  # the enclosing type's simple name


@dataclass(frozen=True)
class Placement:
    status: str  # ok | no_code | syntax_error | wrong_member
    text: str = ""  # the whole file with the answer in place (status ok)
    reason: str = ""
    lines: tuple[int, int] = (0, 0)  # first and last line of the answer in ``text``, 1-based


def _text(node: Any, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _name(node: Any, source: bytes) -> str:
    name = node.child_by_field_name("name")
    return _text(name, source) if name is not None else ""


def _parameter_type(param: Any, source: bytes) -> str | None:
    """A parameter's type as unit ids spell it (``String...``, ``int[]`` for ``int b[]``)."""
    type_text = dims = ""
    for child in param.children:
        kind = child.type
        if kind == "dimensions":
            dims += _text(child, source)
        elif kind == "variable_declarator":
            dims += "".join(_text(c, source) for c in child.children if c.type == "dimensions")
        elif child.is_named and kind not in ("modifiers", "identifier") and kind not in _COMMENTS:
            type_text = type_text or _text(child, source)
    if not type_text:
        return None
    spelled = compact_type(type_text) + (compact_type(dims) if dims else "")
    return spelled + ("..." if param.type == "spread_parameter" else "")


def _parameters(params: Any | None, source: bytes) -> tuple[str, ...]:
    if params is None:
        return ()
    found = []
    for child in params.named_children:
        if child.type in ("formal_parameter", "spread_parameter"):
            spelled = _parameter_type(child, source)
            if spelled is not None:
                found.append(spelled)
    return tuple(found)


def signature_of(node: Any, source: bytes, components: tuple[str, ...] = ()) -> Signature:
    """The signature of a callable node; ``components`` are the record's (a compact constructor's
    parameters)."""
    name = _name(node, source)
    if node.type == "compact_constructor_declaration":
        return Signature("constructor", name, components, None)
    params = _parameters(node.child_by_field_name("parameters"), source)
    if node.type == "constructor_declaration":
        return Signature("constructor", name, params, None)
    returns = node.child_by_field_name("type")
    dims = node.child_by_field_name("dimensions")
    spelled = compact_type(_text(returns, source)) if returns is not None else "void"
    if dims is not None:
        spelled += compact_type(_text(dims, source))  # "int f()[]" returns int[]
    type_params = node.child_by_field_name("type_parameters")
    variables: tuple[str, ...] = ()
    if type_params is not None:
        variables = tuple(
            _name(child, source) or _text(child.named_children[0], source)
            for child in type_params.named_children
            if child.type == "type_parameter" and child.named_children
        )
    return Signature("method", name, params, spelled, variables)


def _body_members(type_node: Any) -> list[Any]:
    """The declarations in a type's body (an enum's constants and its declarations after the ``;``)."""
    body = type_node.child_by_field_name("body")
    if body is None:
        return []
    members = []
    for child in body.named_children:
        if child.type == "enum_body_declarations":
            members.extend(child.named_children)
        elif child.type not in _COMMENTS:
            members.append(child)
    return members


def _components(type_node: Any, source: bytes) -> tuple[str, ...]:
    if type_node.type != "record_declaration":
        return ()
    return _parameters(type_node.child_by_field_name("parameters"), source)


def _component_names(type_node: Any, source: bytes) -> list[str]:
    """A record's component names: its fields, though not declared in its body."""
    params = type_node.child_by_field_name("parameters") if type_node.type == "record_declaration" else None
    if params is None:
        return []
    names = []
    for param in params.named_children:
        for child in param.named_children:
            if child.type == "identifier":
                names.append(_text(child, source))
            elif child.type == "variable_declarator":
                names.append(_name(child, source))
    return names


def _key(node: Any, source: bytes, components: tuple[str, ...]) -> tuple[str, ...] | None:
    """What makes two members of one type clash: a field's name, a callable's name and parameter types,
    a nested type's name."""
    if node.type in CALLABLE_NODES:
        signature = signature_of(node, source, components)
        return (signature.kind, signature.name, *signature.parameters)
    if node.type in ("field_declaration", "constant_declaration"):
        declarator = node.child_by_field_name("declarator")
        return ("field", _name(declarator, source)) if declarator is not None else None
    if node.type in TYPE_NODES:
        return ("type", _name(node, source))
    return None


def _local_types(node: Any) -> Iterator[Any]:
    """Type declarations inside ``node`` (a method body, an initializer), not inside other types."""
    stack = list(reversed(node.named_children))
    while stack:
        child = stack.pop()
        if child.type in TYPE_NODES:
            yield child
        else:
            stack.extend(reversed(child.named_children))


def _callables(type_node: Any, source: bytes, package: str, outer: str) -> Iterator[tuple[str, Any, Any]]:
    """(owner id, callable node, enclosing type node) for every method and constructor in a type, its
    nested and local types, and the bodies of its enum constants (owner ``pkg.Op.PLUS``), as the
    extractor names them."""
    dotted = f"{outer}.{_name(type_node, source)}" if outer else _name(type_node, source)
    owner = qualify(package, dotted)
    for member in _body_members(type_node):
        if member.type in CALLABLE_NODES:
            yield owner, member, type_node
            searched = member.child_by_field_name("body")
        elif member.type in TYPE_NODES:
            yield from _callables(member, source, package, dotted)
            continue
        elif member.type == "enum_constant":
            constant_body = member.child_by_field_name("body")
            for inner in _body_members(member) if constant_body is not None else []:
                if inner.type == "method_declaration":
                    yield f"{owner}.{_name(member, source)}", inner, member
            searched = member
        else:
            searched = member
        for local in _local_types(searched) if searched is not None else []:
            yield from _callables(local, source, package, dotted)


def find_slot(original: str, unit_id: str) -> Slot | None:
    r"""The member ``unit_id`` names in ``original`` (a whole source file), or None when it is not there.

    >>> slot = find_slot("package a;\nclass B { int f(int x) { return x; } }", "a.B#f(int)")
    >>> slot.signature.display(), slot.type_name
    ('int f(int)', 'B')
    """
    source = original.encode("utf-8")
    root = parse(original).root_node
    package = ""
    for child in root.named_children:
        if child.type == "package_declaration":
            package = "".join(_text(child, source).removeprefix("package").rstrip(";").split())
            package = re.sub(r"@\w+(\([^)]*\))?", "", package)
    for top in root.named_children:
        if top.type not in TYPE_NODES:
            continue
        for owner, node, type_node in _callables(top, source, package, ""):
            components = _components(type_node, source)
            signature = signature_of(node, source, components)
            if callable_id(owner, signature.name, signature.parameters) != unit_id:
                continue
            own = _key(node, source, components)
            siblings = frozenset(
                key
                for member in _body_members(type_node)
                if (key := _key(member, source, components)) is not None and key != own
            ) | {("field", name) for name in _component_names(type_node, source)}
            type_name = _name(type_node, source) if type_node.type in TYPE_NODES else signature.name
            return Slot(node.start_byte, node.end_byte, signature, siblings, type_name)
    return None


def _normal(type_text: str | None, renames: dict[str, str]) -> str | None:
    """A type for comparison: qualifiers dropped, type variables renamed.

    >>> _normal("java.util.Map<K,java.util.List<U>>", {"U": "T"})
    'Map<K,List<T>>'
    """
    if type_text is None:
        return None
    bare = _QUALIFIER.sub("", type_text)
    return _IDENTIFIER.sub(lambda m: renames.get(m.group(0), m.group(0)), bare)


def _mismatch(wanted: Signature, given: Signature) -> str | None:
    """Why ``given`` is not ``wanted`` (None: it is), comparing as the module docstring says."""
    renames = dict(zip(given.type_parameters, wanted.type_parameters, strict=False))
    if len(given.type_parameters) != len(wanted.type_parameters):
        renames = {}
    ours = tuple(_normal(p, renames) for p in given.parameters)
    theirs = tuple(_normal(p, {}) for p in wanted.parameters)
    if ours != theirs:
        return f"the answer declares {given.display()}, not {wanted.display()}"
    if _normal(given.returns, renames) != _normal(wanted.returns, {}):
        return f"{given.name} returns {given.returns}, not {wanted.returns}"
    return None


def split_imports(code: str) -> tuple[list[str], str]:
    r"""The answer's ``import`` lines and the rest (``package`` lines and leading comments dropped).

    >>> split_imports("import java.util.List;\n\nint f() { return 1; }")
    (['import java.util.List;'], 'int f() { return 1; }')
    """
    header = _HEADER.match(code)
    end = header.end() if header else 0
    return [" ".join(m.group(0).split()) for m in _IMPORT.finditer(code[:end])], code[end:].strip()


def _declarations(code: str) -> tuple[list[Any], bytes] | str:
    """The answer's class-body declarations (the text wrapped in a class), or why there are none."""
    from codetune.extract.java import syntax_errors

    wrapped = f"{_WRAPPER}{code}\n}}\n"
    source = wrapped.encode("utf-8")
    root = parse(wrapped).root_node
    if root.has_error:
        with _PARSE_LOCK:
            errors = syntax_errors(wrapped, limit=1)
        line, column, what = errors[0] if errors else (2, 1, "syntax error")
        return f"line {line - 1}, column {column}: {what}"
    wrapper = root.named_children[0] if root.named_children else None
    return (_body_members(wrapper) if wrapper is not None else []), source


def place(original: str, slot: Slot, code: str) -> Placement:
    """``original`` with ``code`` (the answer's code) in place of the slot's member, or why not."""
    imports, rest = split_imports(code)
    found = _declarations(rest)
    if isinstance(found, str):
        return Placement("syntax_error", reason=found)
    members, source = found
    if not members:
        return Placement("no_code", reason="the answer declares nothing")
    wanted = slot.signature
    candidates = [m for m in members if m.type in CALLABLE_NODES]
    if not any(_name(m, source) == wanted.name for m in candidates):
        # A whole type: look for the member in the type named like the original's enclosing type.
        whole = next(
            (m for m in members if m.type in TYPE_NODES and _name(m, source) == slot.type_name), None
        )
        if whole is not None:
            members = _body_members(whole)
            candidates = [m for m in members if m.type in CALLABLE_NODES]
    # A compact constructor in the answer stands for the canonical one: its parameters are the slot's.
    components = tuple(wanted.parameters) if wanted.kind == "constructor" else ()
    target, reasons = None, []
    for member in candidates:
        given = signature_of(member, source, components)
        if given.kind != wanted.kind or given.name != wanted.name:
            continue
        reason = _mismatch(wanted, given)
        if reason is None:
            target = member
            break
        reasons.append(reason)
    if target is None:
        if reasons:
            return Placement("wrong_member", reason=reasons[0])
        declared = sorted({_name(m, source) for m in candidates})
        what = "constructor" if wanted.kind == "constructor" else f"method {wanted.name}"
        also = f" (it declares {', '.join(declared)})" if declared else ""
        return Placement("wrong_member", reason=f"the answer declares no {what}{also}")
    kept = [
        m
        for m in members
        if m is target or (m.type not in _COMMENTS and _key(m, source, components) not in slot.siblings)
    ]
    body = "\n\n".join(_text(m, source) for m in kept)
    text, first = substitute(original, slot, body, imports)
    return Placement("ok", text=text, lines=(first, first + body.count("\n")))


def substitute(original: str, slot: Slot, member_text: str, imports: list[str]) -> tuple[str, int]:
    r"""``original`` with the slot's bytes replaced by ``member_text`` and ``imports`` added after the
    file's own (those it already has are skipped); and the line where ``member_text`` starts.

    >>> java = "package a;\nclass B {\n  int f() { return 1; }\n}"
    >>> text, line = substitute(java, find_slot(java, "a.B#f()"), "int f() { return 2; }", ["import a.C;"])
    >>> print(text); line
    package a;
    import a.C;
    class B {
      int f() { return 2; }
    }
    4
    """
    data = original.encode("utf-8")
    before, after = data[: slot.start].decode("utf-8"), data[slot.end :].decode("utf-8")
    have = {" ".join(m.group(0).split()) for m in _IMPORT.finditer(original)}
    missing = [line for line in dict.fromkeys(imports) if line not in have]
    if missing:
        header = _HEADER.match(before)
        end = header.end() if header else 0
        # After the package and import lines (and any comment between them).
        before = before[:end].rstrip() + "\n" + "\n".join(missing) + "\n" + before[end:].lstrip("\n")
    return before + member_text + after, before.count("\n") + 1
