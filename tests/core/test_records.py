"""The records' own behaviour: frozen dataclasses with a faster ``__init__`` and a compact pickle."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import pytest

from codetune.extract import extract_source
from codetune.extract.members import parameter_list
from codetune.records import FileResult, Javadoc, Member, Parameter, TypeUnit, record


def test_init_keeps_the_dataclass_signature_defaults_and_factories() -> None:
    assert str(inspect.signature(Parameter)) == "(name, type)"
    first, second = Javadoc("/** x */", "x", "x"), Javadoc("/** y */", "y", "y")
    assert first.params == {} and first.tags == [] and first.returns is None
    assert first.params is not second.params  # a fresh dict each, as field(default_factory=dict) promises
    member = Member("field", "n", "p.A#n", "int n", 1, 1, "int n;", type="int")
    assert (member.javadoc, member.modifiers, member.type, member.indent) == (None, (), "int", "")
    with pytest.raises(TypeError):
        Parameter("x")  # type: ignore[call-arg]


def test_records_stay_frozen_hashable_and_replaceable() -> None:
    parameter = Parameter("index", "int")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parameter.name = "other"  # type: ignore[misc]
    assert hash(parameter) == hash(Parameter("index", "int"))
    assert dataclasses.replace(parameter, type="long") == Parameter("index", "long")
    assert dataclasses.asdict(parameter) == {"name": "index", "type": "int"}


def test_pickle_and_copy_round_trip_real_records() -> None:
    result = extract_source(
        "package p;\n/** A box. @param <T> item */\nclass Box<T> {\n"
        "  /**\n   * Puts.\n   * @param item it\n   * @return old\n   */\n  public T put(T item) { return item; }\n"
        "  private final int size = 0;\n}\n"
    )
    for copied in (
        pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)),
        copy.deepcopy(result),
    ):
        assert copied == result
        assert isinstance(copied, FileResult) and isinstance(copied.types[0], TypeUnit)
        assert copied.types[0].methods[0].javadoc.params == {"item": "it"}  # type: ignore[union-attr]
    # A record pickles as its class and values, without the field names.
    assert b"qualified_name" not in pickle.dumps(result.types[0])


def test_a_record_with_an_extra_attribute_still_pickles_by_its_fields() -> None:
    parameter = Parameter("index", "int")
    object.__setattr__(parameter, "note", "set after __init__")
    assert pickle.loads(pickle.dumps(parameter)) == Parameter("index", "int")


@record
class Single:
    value: str


def test_a_one_field_record_pickles_too() -> None:
    assert pickle.loads(pickle.dumps(Single("x"))) == Single("x")


def test_equal_parameters_are_one_object_so_pickle_writes_them_once() -> None:
    from codetune.extract.java import parse_tree
    from codetune.extract.source_view import SourceView

    text = "class A { void f(int index, String s) {} void g(int index) {} }"
    tree = parse_tree(text)
    view = SourceView(text.encode(), "A.java", text)
    body = tree.root_node.named_children[0].child_by_field_name("body")
    methods = [node for node in body.named_children if node.type == "method_declaration"]
    first = parameter_list(view, methods[0].child_by_field_name("parameters"))
    second = parameter_list(view, methods[1].child_by_field_name("parameters"))
    assert first[0] == second[0] == Parameter("index", "int")
    assert first[0] is second[0]


def test_shared_values_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from codetune.extract import source_view

    monkeypatch.setattr(source_view, "_SHARED", {})
    monkeypatch.setattr(source_view, "_SHARED_LIMIT", 10)
    first = source_view.shared(("public", "static"))
    assert source_view.shared(("public", "static")) is first
    for number in range(25):
        source_view.shared(f"type{number}")
    assert len(source_view._SHARED) <= 10  # cleared when full: memory stays flat on any codebase
