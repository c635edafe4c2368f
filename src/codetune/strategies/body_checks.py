"""The checks that look inside one method or constructor body (part of :mod:`codetune.strategies.checks`).

One walk of the syntax tree collects the nodes and measures nesting; each check then looks at the nodes
of its kind. Trees are walked duck-typed (``.type``, ``.named_children``, ``.child_by_field_name``, ``.text``,
``.start_point``, ``.parent``); only :mod:`codetune.extract.java` imports tree-sitter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from codetune.strategies.findings import CheckLimits, Finding

_CONTROL = frozenset(
    {
        "if_statement", "for_statement", "enhanced_for_statement", "while_statement", "do_statement",
        "switch_expression", "try_statement", "try_with_resources_statement", "synchronized_statement",
    }
)  # fmt: skip
CALLABLES = frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"})
# What the checks look at, by kind -> the list it goes in (one list for numbers: their order matters).
_LOOKED_AT = {
    "catch_clause": "catch_clause",
    "method_invocation": "method_invocation",
    "binary_expression": "binary_expression",
    "local_variable_declaration": "local_variable_declaration",
    "formal_parameter": "formal_parameter",
    "return_statement": "return_statement",
    "assignment_expression": "assignment_expression",
    "finally_clause": "finally_clause",
    "decimal_integer_literal": "number",
    "decimal_floating_point_literal": "number",
}
# Kinds that never have named children (tree-sitter-java 0.23.5), the most common ones.
_LEAVES = frozenset(
    {
        "identifier", "type_identifier", "string_fragment", "escape_sequence", "character_literal",
        "decimal_integer_literal", "hex_integer_literal", "octal_integer_literal", "binary_integer_literal",
        "decimal_floating_point_literal", "hex_floating_point_literal", "true", "false", "null_literal",
        "this", "super", "integral_type", "floating_point_type", "boolean_type", "void_type",
        "line_comment", "block_comment",
    }
)  # fmt: skip
_ALLOWED_NUMBERS = frozenset({0.0, 1.0, 2.0})
_NO_MAGIC_CONTEXT = frozenset(
    {
        "annotation",
        "marker_annotation",
        "switch_label",
        "array_initializer",
        "enum_constant",
        "element_value_pair",
    }
)
_CLOSEABLE = re.compile(
    r"(?:File(?:Input|Output)Stream|File(?:Reader|Writer)|RandomAccessFile|Scanner|Socket|ServerSocket|"
    r"ZipFile|JarFile|(?:Object|Data|Buffered)(?:Input|Output)Stream|Buffered(?:Reader|Writer)|"
    r"InputStreamReader|OutputStreamWriter|PrintWriter|PrintStream|FileChannel|Formatter)$"
)
_IN_MEMORY = re.compile(r"^(?:String|CharArray|ByteArray|StringBuffer)")


def node_text(node: Any) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def simple_type(type_name: str) -> str:
    """``java.lang.Exception`` -> ``Exception``; generics dropped."""
    return type_name.split("<", 1)[0].rsplit(".", 1)[-1].strip()


def _without_blanks(text: str) -> str:
    """``text`` without spaces and tabs (newlines stay): the same for code as laid out in the file and for
    the dedented code whose tabs became spaces.

    >>> _without_blanks("in .close( );\tout\t.close()")
    'in.close();out.close()'
    """
    return text.replace(" ", "").replace("\t", "")


def _number_value(text: str) -> float | None:
    cleaned = text.replace("_", "").rstrip("lLfFdD")
    try:
        return float(cleaned)
    except ValueError:
        return None


class CallableChecks:
    """The checks that look inside one method or constructor body.

    ``reviewed`` is the declaration under review, the callable itself or the type that holds it: what
    encloses a number inside it (an enum constant, an annotation) can excuse the number; what lies
    beyond it in the file cannot, as the model is shown only the reviewed code.
    """

    def __init__(
        self,
        node: Any,
        line_of: Any,
        string_fields: frozenset[str],
        limits: CheckLimits,
        reviewed: Any = None,
    ) -> None:
        self.node = node
        self.reviewed = node if reviewed is None else reviewed
        self.line_of = line_of
        self.limits = limits
        self.strings = set(string_fields)
        name = node.child_by_field_name("name")
        self.name = node_text(name) if name is not None else ""
        self.findings: list[Finding] = []
        self.magic_values: set[float] = set()

    def run(self) -> list[Finding]:
        self.found = self._walk()
        self._collect_strings()
        self._length()
        for node in self.found["catch_clause"]:
            self._catch(node)
        for node in self.found["method_invocation"]:
            self._invocation(node)
        for node in self.found["binary_expression"]:
            self._comparison(node)
        for node in self.found["local_variable_declaration"]:
            self._resource(node)
        for node in self.found["number"]:
            self._magic(node)
        return self.findings

    def _walk(self) -> dict[str, list[Any]]:
        """The nodes the checks look at, by kind (see ``_LOOKED_AT``), each list in source order; reports
        the first statement nested deeper than allowed (once).

        Depth counts control statements; an ``else if`` continues its chain rather than nesting, and a
        lambda or a nested class body starts again at zero. One pass, depth first: building a Python
        object for every node is the costly part, so leaves are not asked for children, and the stack
        of nodes and the stack of their depths grow by whole lists.
        """
        found: dict[str, list[Any]] = {bucket: [] for bucket in _LOOKED_AT.values()}
        max_nesting = self.limits.max_nesting
        reported = False
        nodes, depths = [self.node], [0]
        while nodes:
            node = nodes.pop()
            depth = depths.pop()
            kind = node.type
            bucket = _LOOKED_AT.get(kind)
            if bucket is not None:
                found[bucket].append(node)
            if kind in _LEAVES:
                continue
            if kind in _CONTROL:
                depth += 1
                if depth > max_nesting and not reported:
                    self.findings.append(Finding(self.line_of(node), "deep_nesting", str(depth)))
                    reported = True
            elif kind == "lambda_expression" or kind == "class_body":
                depth = 0
            children = node.named_children
            children.reverse()
            nodes += children
            depths += [depth] * len(children)
            if kind == "if_statement":
                alternative = node.child_by_field_name("alternative")
                if alternative is not None and alternative.type == "if_statement":
                    # "else if": the inner if is at the same depth as the outer one
                    first = len(depths) - len(children)
                    depths[first + children.index(alternative)] = depth - 1
        return found

    def _collect_strings(self) -> None:
        for node in (*self.found["formal_parameter"], *self.found["local_variable_declaration"]):
            type_node = node.child_by_field_name("type")
            if type_node is None or simple_type(node_text(type_node)) != "String":
                continue
            if node.type == "formal_parameter":
                name = node.child_by_field_name("name")
                if name is not None:
                    self.strings.add(node_text(name))
            else:
                for declarator in node.named_children:
                    if declarator.type == "variable_declarator":
                        name = declarator.child_by_field_name("name")
                        if name is not None:
                            self.strings.add(node_text(name))

    def _length(self) -> None:
        lines = self.node.end_point[0] - self.node.start_point[0] + 1
        if lines > self.limits.long_method_lines:
            self.findings.append(Finding(self._name_line(), "long_method", str(lines)))

    def _name_line(self) -> int:
        name = self.node.child_by_field_name("name")
        return self.line_of(name if name is not None else self.node)

    def _catch(self, node: Any) -> None:
        parameter = next((c for c in node.named_children if c.type == "catch_formal_parameter"), None)
        body = node.child_by_field_name("body")
        if parameter is None or body is None:
            return
        catch_type = next((c for c in parameter.named_children if c.type == "catch_type"), None)
        types = (
            [simple_type(node_text(t)) for t in catch_type.named_children] if catch_type is not None else []
        )
        statements = [c for c in body.named_children if c.type not in ("line_comment", "block_comment")]
        comments = len(body.named_children) - len(statements)
        rethrows = any(n.type == "throw_statement" for n in walk(body))
        line = self.line_of(node)
        if "InterruptedException" in types:
            interrupts = any(
                n.type == "method_invocation" and node_text(n.child_by_field_name("name")) == "interrupt"
                for n in walk(body)
            )
            if not rethrows and not interrupts:
                self.findings.append(Finding(line, "swallowed_interrupt"))
            return
        if not statements and not comments:
            self.findings.append(Finding(line, "empty_catch"))
            return
        broad = next((t for t in types if t in ("Exception", "Throwable")), None)
        if broad is not None and not rethrows:
            self.findings.append(Finding(line, "broad_catch", broad))

    def _invocation(self, node: Any) -> None:
        name = node_text(node.child_by_field_name("name"))
        target = node.child_by_field_name("object")
        arguments = node.child_by_field_name("arguments")
        if name == "printStackTrace" and arguments is not None and not arguments.named_children:
            self.findings.append(Finding(self.line_of(node), "print_stack_trace"))
        elif target is not None and node_text(target) in ("System.out", "System.err") and self.name != "main":
            self.findings.append(Finding(self.line_of(node), "system_out", node_text(target)))

    def _comparison(self, node: Any) -> None:
        operator = node.child_by_field_name("operator")
        if operator is None or node_text(operator) not in ("==", "!="):
            return
        sides = [node.child_by_field_name("left"), node.child_by_field_name("right")]
        if any(s is None or s.type == "null_literal" for s in sides):
            return
        if any(
            s.type == "string_literal" or (s.type == "identifier" and node_text(s) in self.strings)
            for s in sides
        ):
            self.findings.append(Finding(self.line_of(node), "string_identity", node_text(operator)))

    def _resource(self, node: Any) -> None:
        type_node = node.child_by_field_name("type")
        if type_node is None:
            return
        for declarator in node.named_children:
            if declarator.type != "variable_declarator":
                continue
            value = declarator.child_by_field_name("value")
            name_node = declarator.child_by_field_name("name")
            if value is None or name_node is None or value.type != "object_creation_expression":
                continue
            created = simple_type(node_text(value.child_by_field_name("type")))
            if not _CLOSEABLE.search(created) or _IN_MEMORY.match(created):
                continue
            name = node_text(name_node)
            if not self._escapes_or_closed(name):
                self.findings.append(Finding(self.line_of(node), "resource_leak", name))

    def _escapes_or_closed(self, name: str) -> bool:
        """Returned, stored in a field, or closed in a finally block: ownership is handled elsewhere."""
        for node in self.found["return_statement"]:
            if any(n.type == "identifier" and node_text(n) == name for n in walk(node)):
                return True
        for node in self.found["assignment_expression"]:
            right = node.child_by_field_name("right")
            if right is not None and right.type == "identifier" and node_text(right) == name:
                return True
        return any(
            f"{name}.close()" in _without_blanks(node_text(node)) for node in self.found["finally_clause"]
        )

    def _magic(self, node: Any) -> None:
        value = _number_value(node_text(node))
        if value is None or abs(value) in _ALLOWED_NUMBERS or value in self.magic_values:
            return
        if self.name == "hashCode" and value == 31:
            return
        parent = node.parent
        while parent is not None and parent != self.reviewed:
            if parent.type in _NO_MAGIC_CONTEXT:
                return
            if parent.type == "binary_expression" and node_text(parent.child_by_field_name("operator")) in (
                "<<", ">>", ">>>",
            ):  # fmt: skip
                return
            if (
                parent.type == "local_variable_declaration"
                and "final" in node_text(parent).split("=", 1)[0].split()
            ):
                return  # a named local constant is the cure, not the disease
            parent = parent.parent
        if len(self.magic_values) < self.limits.max_magic_numbers:
            self.magic_values.add(value)
            self.findings.append(Finding(self.line_of(node), "magic_number", node_text(node)))
