"""The records' own behaviour: frozen dataclasses with a faster ``__init__`` and a compact pickle."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import pytest

from codetune.extract import extract_source
from codetune.extract.javadoc import new_javadoc
from codetune.extract.members import new_member, parameter_list
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


# A value of each field's type, different for every field, so that a swap of two fields shows.
_JAVADOC = Javadoc("/** d */", "d", "d")
_FIELD_VALUES = {
    Member: dict(
        kind="method",
        name="put",
        id="p.Box#put(T)",
        signature="T put(T item)",
        start_line=3,
        end_line=5,
        source="T put(T item) {}",
        javadoc=_JAVADOC,
        modifiers=("public",),
        annotations=("@Override",),
        type_parameters="<T>",
        type="T",
        parameters=(Parameter("item", "T"),),
        throws=("IOException",),
        body_start_line=4,
        is_compact_constructor=True,
        indent="  ",
    ),
    Javadoc: dict(
        raw="/** Puts. */",
        summary="Puts.",
        description="Puts it.",
        params={"item": "it"},
        returns="old",
        throws={"IOException": "never"},
        tags=[("since", "1")],
        inherit_doc=True,
    ),
}


@pytest.mark.parametrize(
    ("builder", "cls"), [(new_member, Member), (new_javadoc, Javadoc)], ids=["member", "javadoc"]
)
def test_the_extractors_builders_make_what_the_record_class_makes(builder, cls) -> None:  # type: ignore[no-untyped-def]
    """The extractor builds members and Javadoc without the interpreted ``__init__``: the same fields,
    in the same order (pickle and orjson follow it), with the same defaults."""
    names = [spec.name for spec in dataclasses.fields(cls)]
    parameters = inspect.signature(builder).parameters
    assert list(parameters) == names
    for spec in dataclasses.fields(cls):  # a builder may require what the class defaults, never the reverse
        default = parameters[spec.name].default
        if default is not inspect.Parameter.empty:
            assert spec.default is not dataclasses.MISSING and default == spec.default
    values = _FIELD_VALUES[cls]
    built, made = builder(**values), cls(**values)
    assert built == made and type(built) is cls
    assert list(vars(built)) == names and list(vars(built).values()) == list(values.values())
    assert pickle.loads(pickle.dumps(built)) == made
    required = {
        name: value for name, value in values.items() if parameters[name].default is inspect.Parameter.empty
    }
    assert builder(**required) == cls(**required)


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
