"""How declarations are spelled in ids and signatures: pure string functions.

Ids look like ``pkg.Outer.Inner#method(ParamType,ParamType)``. Parameter types appear as written
(no erasure, no resolution of imports), with annotations dropped and white space removed except
where two words would run together: ``Map<K, V>`` -> ``Map<K,V>``, ``String...`` stays,
``int b[]`` -> ``int[]``, ``List<? extends T>`` -> ``List<? extends T>``. Constructors are named
after their class (``pkg.Foo#Foo(int)``); fields, enum constants and record components have no
parentheses (``pkg.Color#RED``). Methods in the body of an enum constant belong to the enum and name
the constant: ``pkg.Op.PLUS#apply(int,int)``, so that each constant's override has its own id.
"""

from __future__ import annotations

import re

_ANNOTATION = re.compile(r"@[\w$.]+(?:\s*\((?:[^()]|\([^()]*\))*\))?\s*")
_WORDISH = frozenset("_$?")


def one_line(text: str) -> str:
    """Declaration text on one line: runs of white space become one space.

    >>> one_line("public static\\n        <T> void  sort(List<T> list)")
    'public static <T> void sort(List<T> list)'
    """
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text


def compact_type(text: str) -> str:
    """A type as it appears in an id: annotations dropped, white space only between words.

    >>> compact_type("Map<K, ? extends List<@NonNull V>>")
    'Map<K,? extends List<V>>'
    >>> compact_type("java.util.function.Function<? super T, ? extends R>")
    'java.util.function.Function<? super T,? extends R>'
    >>> compact_type("int @A [] []")
    'int[][]'
    """
    if "@" in text:
        text = _ANNOTATION.sub("", text)
    parts = text.split()
    if len(parts) == 1:
        return parts[0]
    out = parts[0] if parts else ""
    for part in parts[1:]:
        left, right = out[-1], part[0]
        if (left.isalnum() or left in _WORDISH) and (right.isalnum() or right in _WORDISH):
            out += " "
        out += part
    return out


def callable_id(owner: str, name: str, parameter_types: list[str] | tuple[str, ...]) -> str:
    """The id of a method or constructor.

    >>> callable_id("pkg.Box", "put", ["K", "V"]), callable_id("pkg.Box", "of", ["E..."])
    ('pkg.Box#put(K,V)', 'pkg.Box#of(E...)')
    """
    return f"{owner}#{name}({','.join(compact_type(t) for t in parameter_types)})"


def qualify(package: str, dotted_name: str) -> str:
    """``qualify("a.b", "Outer.Inner")`` -> ``'a.b.Outer.Inner'``; the default package adds nothing.

    >>> qualify("a.b", "Outer.Inner"), qualify("", "Top")
    ('a.b.Outer.Inner', 'Top')
    """
    return f"{package}.{dotted_name}" if package else dotted_name
