"""Does generated code compile? ``javac`` on the answer placed inside a stub of its enclosing type.

A generated method rarely compiles alone: it calls its siblings and reads fields. So the answer is put
where the original member was, in a *stub* of the original file: package, imports, the enclosing types'
declarations, fields and nested types as written, every other method and constructor reduced to its
signature with a ``throw`` body (their bodies may need libraries we do not have; the signatures are what
the answer may call). The rest of the codebase is on ``-sourcepath`` when its sources are on disk.
Only errors on the answer's own lines count: an error elsewhere is the context's fault, not the model's.
Without the original file the stub is the package and the enclosing type names from the unit id.

Statuses follow MultiPL-E: ``ok``, ``compile_error``, ``timeout``; plus ``unavailable`` without javac.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TYPE_NODES = frozenset(
    {
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
    }
)
_STUB_BODY = "{ throw new UnsupportedOperationException(); }"
_FALLBACK_IMPORTS = ("java.util.*", "java.util.function.*", "java.io.*")
_TOP_LEVEL_TYPE = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|protected|private|abstract|final|sealed|non-sealed|static|strictfp)\s+)*"
    r"(?:class|interface|enum|record|@interface)\s+([A-Za-z_$][\w$]*)",
    re.M,
)
_LEADING_COMMENTS = re.compile(r"\A(?:\s*(?://[^\n]*|/\*.*?\*/))*", re.S)
_ERROR_LINE = re.compile(r"^(.*?\.java):(\d+): error: (.*)$")
_OTHER_MODULE = re.compile(r"package exists in another module: ([\w.]+)")


@dataclass(frozen=True)
class UnitRef:
    """``pkg.Outer.Inner#name(int,String)`` taken apart (the extractor's id scheme)."""

    type_path: str  # "pkg.Outer.Inner"
    member: str | None  # "name", or None for a type
    arity: int | None  # number of parameters, None for fields and types

    @classmethod
    def parse(cls, unit_id: str) -> UnitRef:
        """
        >>> UnitRef.parse("com.acme.Cart.Line#add(Map<K,V>,int)")
        UnitRef(type_path='com.acme.Cart.Line', member='add', arity=2)
        >>> UnitRef.parse("com.acme.Cart")
        UnitRef(type_path='com.acme.Cart', member=None, arity=None)
        """
        type_path, _, member = unit_id.partition("#")
        if not member:
            return cls(type_path, None, None)
        name, paren, params = member.partition("(")
        if not paren:
            return cls(type_path, name, None)
        params = params.rstrip(")")
        depth, count = 0, 1 if params.strip() else 0
        for char in params:
            depth += char == "<"
            depth -= char == ">"
            count += char == "," and depth == 0
        return cls(type_path, name, count)

    def split_package(self, package: str | None = None) -> tuple[str, list[str]]:
        """(package, enclosing type names), by the given package or the lower-case naming convention.

        >>> UnitRef.parse("com.acme.Cart.Line#add(int)").split_package()
        ('com.acme', ['Cart', 'Line'])
        """
        parts = self.type_path.split(".")
        if package is not None:
            skip = len(package.split(".")) if package else 0
            return package, parts[skip:]
        index = next((i for i, part in enumerate(parts) if part[:1].isupper()), len(parts) - 1)
        return ".".join(parts[:index]), parts[index:]


@dataclass
class Stub:
    file_name: str  # "Cart.java", under the package's directories
    package: str
    text: str
    first_line: int  # lines of the answer in ``text``, 1-based, inclusive
    last_line: int
    context: str  # "source" (built from the original file) | "unit_id" (names only) | "answer" (a whole type)


@dataclass
class CompileResult:
    status: str  # ok | compile_error | timeout | unavailable
    errors: list[str] = field(
        default_factory=list
    )  # errors on the answer's lines ("line 3: cannot find symbol")
    context_errors: int = 0  # errors elsewhere in the stub (ignored)
    seconds: float = 0.0


def _text(node: Any, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _name(node: Any, source: bytes) -> str:
    name = node.child_by_field_name("name")
    return _text(name, source) if name is not None else ""


def _arity(node: Any) -> int:
    params = node.child_by_field_name("parameters")
    if params is None:
        return 0
    return sum(1 for child in params.named_children if child.type in ("formal_parameter", "spread_parameter"))


def _stub_member(node: Any, source: bytes) -> str | None:
    """A class-body member as it goes into the stub (None: left out)."""
    kind = node.type
    if kind in _TYPE_NODES:
        return _stub_type(node, source, [], None)[0]
    if kind in ("method_declaration", "constructor_declaration", "compact_constructor_declaration"):
        body = node.child_by_field_name("body")
        if body is None:
            return _text(node, source)  # abstract or interface method: already a signature
        header = source[node.start_byte : body.start_byte].decode("utf-8", "replace").rstrip()
        return f"{header} {_STUB_BODY}"
    if kind in ("field_declaration", "constant_declaration", "annotation_type_element_declaration"):
        return _text(node, source)
    return None  # comments, initializer blocks, stray semicolons


def _replaced_by_answer(node: Any, source: bytes, target: UnitRef) -> bool:
    """Whether ``node`` is the member the answer stands for (same name, and arity for callables)."""
    if node.type in ("method_declaration", "constructor_declaration"):
        return _name(node, source) == target.member and (target.arity is None or _arity(node) == target.arity)
    if node.type == "field_declaration" and target.arity is None:
        declarator = node.child_by_field_name("declarator")
        return declarator is not None and _name(declarator, source) == target.member
    return False


def _stub_type(node: Any, source: bytes, path: list[str], target: UnitRef | None) -> tuple[str, bool]:
    """The stub of a type declaration; on ``path`` (type names still to descend) the answer's slot is
    marked with a placeholder. Returns (text, whether the slot was placed)."""
    body = node.child_by_field_name("body")
    if body is None:
        return _text(node, source), False
    header = source[node.start_byte : body.start_byte].decode("utf-8", "replace").rstrip()
    members: list[str] = []
    placed = False
    at_target = target is not None and not path
    children = list(body.named_children)
    if body.type == "enum_body":
        constants = [_text(c, source) for c in children if c.type == "enum_constant"]
        members.append(",\n".join(constants) + ";")
        declarations = next((c for c in children if c.type == "enum_body_declarations"), None)
        children = list(declarations.named_children) if declarations is not None else []
    for child in children:
        if path and child.type in _TYPE_NODES and _name(child, source) == path[0]:
            text, placed_here = _stub_type(child, source, path[1:], target)
            placed = placed or placed_here
            members.append(text)
            continue
        if at_target and target is not None and _replaced_by_answer(child, source, target):
            continue
        stubbed = _stub_member(child, source)
        if stubbed is not None:
            members.append(stubbed)
    if at_target:
        members.append(_SLOT)
        placed = True
    inner = "\n".join(members)
    return f"{header} {{\n{inner}\n}}", placed


_SLOT = "\u0000ANSWER\u0000"


def _place(text: str, code: str) -> tuple[str, int, int]:
    before, _, after = text.partition(_SLOT)
    first = before.count("\n") + 1
    last = first + code.count("\n")
    return before + code + after, first, last


def build_stub(code: str, unit_id: str, original: str | None = None) -> Stub:
    """The compilation unit to check ``code`` (the answer for ``unit_id``) in.

    >>> stub = build_stub("int twice(int x) { return 2 * x; }", "com.acme.Calc#twice(int)")
    >>> stub.file_name, stub.package, stub.context, (stub.first_line, stub.last_line)
    ('Calc.java', 'com.acme', 'unit_id', (6, 6))
    """
    ref = UnitRef.parse(unit_id)
    whole_type = _TOP_LEVEL_TYPE.match(_LEADING_COMMENTS.sub("", code))
    if re.match(r"\s*(?:package|import)\s", code):
        whole_type = whole_type or _TOP_LEVEL_TYPE.search(code)
    package_of_original: str | None = None
    imports: list[str] = []
    tree_root = None
    source = b""
    if original is not None:
        from codetune.extract.java import parse_tree

        source = original.encode("utf-8")
        tree_root = parse_tree(original).root_node
        for child in tree_root.named_children:
            if child.type == "package_declaration":
                package_of_original = re.sub(r"^package\s+|\s|;", "", _text(child, source))
            elif child.type == "import_declaration":
                imports.append(_text(child, source))
    package, types = ref.split_package(package_of_original)
    header = (f"package {package};\n" if package else "") + "\n".join(
        imports or [f"import {name};" for name in _FALLBACK_IMPORTS]
    )

    if ref.member is None or whole_type:
        # The answer is a whole type: it is its own compilation unit.
        name = whole_type.group(1) if whole_type else types[-1]
        if re.search(r"^\s*package\s", code, re.M):
            text, first = code, 1
        else:
            prefix = header + "\n"
            text, first = prefix + code, prefix.count("\n") + 1
        return Stub(f"{name}.java", package, text, first, text.count("\n") + 1, "answer")

    if tree_root is not None and types:
        top = next(
            (c for c in tree_root.named_children if c.type in _TYPE_NODES and _name(c, source) == types[0]),
            None,
        )
        if top is not None:
            stub_text, placed = _stub_type(top, source, types[1:], ref)
            if placed:
                text, first, last = _place(f"{header}\n{stub_text}\n", code)
                return Stub(f"{types[0]}.java", package, text, first, last, "source")

    opening = "".join(f"{'static ' if i else ''}class {name} {{\n" for i, name in enumerate(types))
    closing = "}\n" * len(types)
    text, first, last = _place(f"{header}\n{opening}{_SLOT}\n{closing}", code)
    return Stub(f"{types[0]}.java", package, text, first, last, "unit_id")


def javac_available() -> bool:
    return shutil.which("javac") is not None


def _run_javac(args: list[str], timeout: float) -> tuple[int | None, str]:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, ""
    return done.returncode, done.stdout + done.stderr


def compile_stub(stub: Stub, *, source_path: Path | None = None, timeout: float = 30.0) -> CompileResult:
    """Run ``javac`` on ``stub`` in a temporary directory; only errors on the answer's lines count."""
    javac = shutil.which("javac")
    if javac is None:
        return CompileResult("unavailable", ["javac not found (install a JDK)"])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="codetune-javac-") as tmp:
        root = Path(tmp) / "src"
        file = (
            root.joinpath(*stub.package.split("."), stub.file_name) if stub.package else root / stub.file_name
        )
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(stub.text, encoding="utf-8")
        base = [
            javac,
            "-d",
            str(Path(tmp) / "out"),
            "-proc:none",
            "-implicit:none",
            "-nowarn",
            "-Xmaxerrs",
            "500",
        ]
        base += ["-encoding", "UTF-8", "-J-XX:TieredStopAtLevel=1"]  # C1 only: javac starts faster
        extra = ["-sourcepath", str(source_path)] if source_path is not None else []
        code, output = _run_javac([*base, *extra, str(file)], timeout)
        other_module = _OTHER_MODULE.search(output)
        if code and other_module:  # a JDK package (e.g. the JDK's own sources): patch its module instead
            module = _jdk_module_of(other_module.group(1))
            code, output = _run_javac([*base, "--patch-module", f"{module}={root}", str(file)], timeout)
    seconds = round(time.monotonic() - started, 3)
    if code is None:
        return CompileResult("timeout", [f"javac took longer than {timeout:g}s"], seconds=seconds)
    errors, context = [], 0
    for path, line, message in _parse_errors(output):
        if Path(path).name == stub.file_name and stub.first_line <= line <= stub.last_line:
            errors.append(f"line {line - stub.first_line + 1}: {message}")
        else:
            context += 1
    if code and not errors and not context:  # javac failed without a located error (bad flag, crash)
        errors = [output.strip().splitlines()[0] if output.strip() else f"javac exited with {code}"]
    return CompileResult("compile_error" if errors else "ok", errors, context, seconds)


def _parse_errors(output: str) -> list[tuple[str, int, str]]:
    """(file, line, message) of each javac error, the ``symbol:`` detail folded into the message.

    >>> _parse_errors("A.java:3: error: cannot find symbol\\n    y\\n    ^\\n  symbol:   variable y\\n1 error")
    [('A.java', 3, 'cannot find symbol (variable y)')]
    """
    found: list[tuple[str, int, str]] = []
    for text in output.splitlines():
        match = _ERROR_LINE.match(text)
        if match:
            found.append((match.group(1), int(match.group(2)), match.group(3).strip()))
        elif found and text.strip().startswith("symbol:"):
            path, line, message = found[-1]
            found[-1] = (path, line, f"{message} ({text.strip()[7:].strip()})")
    return found


def _jdk_module_of(package: str) -> str:
    """The JDK module that owns ``package``, by the package's first names (java.* is mostly java.base)."""
    known = {
        "java.sql": "java.sql",
        "java.awt": "java.desktop",
        "javax.swing": "java.desktop",
        "java.net.http": "java.net.http",
    }
    for prefix, module in known.items():
        if package == prefix or package.startswith(prefix + "."):
            return module
    return "java.base"


def source_root_of(source_root: Path | None, source_file: str, package: str) -> Path | None:
    """The directory javac's ``-sourcepath`` should be for a file (where its package directories start).

    >>> str(source_root_of(Path("/r"), "app/src/main/java/com/acme/Cart.java", "com.acme"))
    '/r/app/src/main/java'
    """
    if source_root is None or not source_file:
        return None
    parent = (source_root / source_file).parent
    for part in reversed(package.split(".") if package else []):
        if parent.name != part:
            return None
        parent = parent.parent
    return parent
