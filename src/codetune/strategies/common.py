"""What strategies share: the unit they work on, code layout, template choice and option parsing.

Plain functions and one frozen record, no base class: each strategy composes what it needs.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from codetune.errors import ConfigError
from codetune.records import Example, Javadoc, Member, Message, TypeUnit

if TYPE_CHECKING:
    from collections.abc import Sequence

M = TypeVar("M", bound=BaseModel)


class StrategyOptions(BaseModel):
    """Base of every strategy's options: unknown keys are errors, so a typo in YAML is reported."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_options(model: type[M], name: str, options: dict[str, Any]) -> M:
    """Validate ``strategy.options.<name>`` against ``model``; every problem in one ConfigError."""
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {'unknown key (typo?)' if e['type'] == 'extra_forbidden' else e['msg']}"
            for e in exc.errors()
        )
        known = ", ".join(model.model_fields)
        raise ConfigError(
            f"strategy.options.{name} is invalid: {problems}", hint=f"known keys: {known}"
        ) from exc


TYPE_WORDS = {
    "class": "class",
    "interface": "interface",
    "enum": "enum",
    "record": "record",
    "annotation": "annotation type",
}


@dataclass(frozen=True)
class Unit:
    """A method, constructor or type, with the type that declares it and its split group.

    ``node`` is the declaration's node in the file's syntax tree where the caller still has it
    (prepare's workers do): the review checks walk it instead of parsing the code again.
    """

    type: TypeUnit
    member: Member | None
    group: str
    node: Any = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.member.id if self.member is not None else self.type.id

    @property
    def kind(self) -> str:
        """``method`` | ``constructor`` | one of the type kinds."""
        return self.member.kind if self.member is not None else self.type.kind

    @property
    def kind_word(self) -> str:
        return TYPE_WORDS.get(self.kind, self.kind)

    @property
    def is_type(self) -> bool:
        return self.member is None

    @property
    def javadoc(self) -> Javadoc | None:
        return self.member.javadoc if self.member is not None else self.type.javadoc

    @property
    def source(self) -> str:
        return self.member.source if self.member is not None else self.type.source

    @property
    def indent(self) -> str:
        return self.member.indent if self.member is not None else self.type.indent

    @property
    def modifiers(self) -> tuple[str, ...]:
        return self.member.modifiers if self.member is not None else self.type.modifiers

    @property
    def annotations(self) -> tuple[str, ...]:
        return self.member.annotations if self.member is not None else self.type.annotations

    @property
    def name(self) -> str:
        """``Outer.Inner.method`` or ``Outer.Inner``: what a reader calls it."""
        if self.member is None:
            return self.type.name
        if self.member.kind == "constructor":
            return self.type.name
        return f"{self.type.name}.{self.member.name}"

    @property
    def display(self) -> str:
        """``Stack.push(E)`` for callables (overloads differ), ``Stack`` for types."""
        if self.member is None:
            return self.type.name
        params = self.member.id[self.member.id.index("(") :] if "(" in self.member.id else ""
        return f"{self.name}{params}"

    def code(self) -> str:
        """The declaration as laid out in the file, dedented (annotations included, Javadoc not)."""
        cached = self.__dict__.get("_code")
        if cached is None:  # every filter and strategy asks; dedenting a class body is not free
            cached = dedent_source(self.indent, self.source)
            object.__setattr__(self, "_code", cached)
        return cached

    def javadoc_code(self) -> str | None:
        """The Javadoc comment as written, dedented to the declaration's column."""
        doc = self.javadoc
        return dedent_source(self.indent, doc.raw) if doc is not None else None


def dedent_source(indent: str, source: str) -> str:
    """``source`` (whose first line lost its ``indent``) with the common indentation removed.

    >>> dedent_source("    ", "void f() {\\n        x();\\n    }")
    'void f() {\\n    x();\\n}'
    """
    text = textwrap.dedent(indent + source.expandtabs(4) if "\t" in indent + source else indent + source)
    return text.strip("\n")


def fence(code: str) -> str:
    """A fenced Java code block; a longer fence when the code itself holds one.

    >>> fence("int x;")
    '```java\\nint x;\\n```'
    """
    ticks = "```"
    while ticks in code:
        ticks += "`"
    return f"{ticks}java\n{code}\n{ticks}"


def choose(options: Sequence[str], *key: object) -> int:
    """A stable pseudo-random index into ``options`` for ``key`` (varied wording, same every run).

    >>> choose(["a", "b", "c"], "x.Y#f()", 42) == choose(["a", "b", "c"], "x.Y#f()", 42)
    True
    """
    digest = hashlib.sha256("\x00".join(str(k) for k in key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % len(options)


def sentence(text: str) -> str:
    """``text`` as one sentence: white space collapsed, a capital letter and a final full stop.

    >>> sentence("  the index of\\n the element ")
    'The index of the element.'
    >>> sentence("Done!")
    'Done!'
    """
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?:" else text + "."


def clause(text: str) -> str:
    """``text`` to follow other words: white space collapsed, no final full stop, first letter lowered
    unless the first word is a name (``URL``, ``toString``).

    >>> clause("Returns the size of the list."), clause("URLs are parsed."), clause("true if empty")
    ('returns the size of the list', 'URLs are parsed', 'true if empty')
    """
    text = " ".join(text.split()).rstrip(".")
    first = text.split(" ", 1)[0] if text else ""
    if first[:1].isupper() and not re.search(r"[A-Z]", first[1:]) and not re.search(r"\d", first):
        text = text[0].lower() + text[1:]
    return text


def make_example(
    strategy: str, unit: Unit, prompt: str, answer: str, *, system: str | None, template: str, **meta: Any
) -> Example:
    """The one way strategies build an :class:`Example` (user prompt, model answer)."""
    return Example(
        strategy=strategy,
        unit_id=unit.id,
        source_file=unit.type.file,
        group=unit.group,
        messages=(Message("user", prompt), Message("model", answer)),
        system=system,
        template=template,
        meta=dict(meta),
    )


def short_field(source: str, limit: int = 120) -> str:
    """A field declaration on one line, its initializer elided when long (tables, resource bundles).

    >>> short_field("private static final int[] T = {" + ", ".join(["1"] * 80) + "};")
    'private static final int[] T = ...;'
    """
    text = " ".join(source.split())
    if len(text) <= limit or "=" not in text:
        return text
    return text.split("=", 1)[0].rstrip() + " = ...;"


def outline(type_unit: TypeUnit, *, max_members: int = 30) -> str:
    """The type's declaration with fields and member signatures but no bodies (short enough to explain).

    >>> t = TypeUnit("A.java", "p", (), "A", "p.A", "class", "public class A", 1, 3, "public class A {}")
    >>> print(outline(t))
    public class A {
    }
    """
    lines = [" ".join(type_unit.signature.split()) + " {"]
    members = [short_field(f.source) for f in type_unit.fields if f.kind != "enum_constant"]
    constants = [f.name for f in type_unit.fields if f.kind == "enum_constant"]
    if constants:
        lines.append("    " + ", ".join(constants) + ";")
    members += [" ".join(m.signature.split()) + ";" for m in (*type_unit.constructors, *type_unit.methods)]
    for text in members[:max_members]:
        lines.append("    " + text)
    if len(members) > max_members:
        lines.append(f"    // ... {len(members) - max_members} more members")
    lines.append("}")
    return "\n".join(lines)
