"""Exact expectations on the fixture project: every type, member, id, line and Javadoc we promise."""

from __future__ import annotations

import pytest

from codetune.records import FileResult, TypeUnit

# qualified name -> (kind, name, methods, constructors, fields as (id suffix, kind)), in source order.
EXPECTED_TYPES: dict[str, tuple[str, str, list[str], list[str], list[tuple[str, str]]]] = {
    "Main": (
        "class",
        "Main",
        ["main(String[])", "first(T...)", "total(int[][],List<? extends Number>,Supplier<int[]>)"],
        [],
        [],
    ),
    "Main.Pair": (
        "record",
        "Main.Pair",
        ["sum()"],
        [],
        [("left", "record_component"), ("right", "record_component")],
    ),
    "Main.Mode": ("enum", "Main.Mode", [], [], [("FAST", "enum_constant"), ("SLOW", "enum_constant")]),
    "Main.Greeting": ("interface", "Main.Greeting", ["greet(String)"], [], []),
    "Main.Deep": ("class", "Main.Deep", ["dive()"], [], []),
    "com.acme.annotations.Audited": (
        "annotation",
        "Audited",
        ["by()", "level()", "tags()"],
        [],
        [("MAX_LEVEL", "field")],
    ),
    "com.acme.broken.Broken": ("class", "Broken", ["fine()", "alsoFine()"], [], []),
    "com.acme.collections.Box": (
        "class",
        "Box",
        [
            "put(K,V)",
            "map(Function<? super V,? extends R>)",
            "copy(int[],int[])",
            "iterator()",
            "countLocally()",
        ],
        ["Box()", "Box(V,V...)"],
        [("created", "field"), ("values", "field"), ("keys", "field")],
    ),
    "com.acme.collections.Box.Entry": ("class", "Box.Entry", ["key()"], ["Entry(K)"], [("key", "field")]),
    "com.acme.collections.Box.Stats": ("class", "Box.Stats", ["count()"], [], []),
    "com.acme.collections.Box.Stats.Visitor": ("interface", "Box.Stats.Visitor", ["visit(Stats)"], [], []),
    "com.acme.collections.Box.Counter": ("class", "Box.Counter", ["inc()"], [], [("n", "field")]),
    "com.acme.docs.Comments": (
        "class",
        "Comments",
        [
            "lineCommented()",
            "blockCommented()",
            "annotated()",
            "afterAnnotations()",
            "commentBetween()",
            "undocumented()",
            "rich(T)",
            "toString()",
        ],
        [],
        [("field", "field")],
    ),
    "com.acme.legacy.Latin1": ("class", "Latin1", ["café()"], [], []),
    "com.acme.legacy.WindowsFile": ("class", "WindowsFile", ["twice(int)"], [], []),
    "com.acme.legacy.WithBom": ("class", "WithBom", ["run()"], [], []),
    "com.acme.ops.Operation": (
        "enum",
        "Operation",
        # Methods of the constant bodies belong to the enum; their ids name the constant.
        [
            "<PLUS>applyAsInt(int,int)",
            "<MINUS>applyAsInt(int,int)",
            "<MINUS>negate(int)",
            "<TIMES>applyAsInt(int,int)",
            "symbol()",
            "applyAsInt(int,int)",
        ],
        ["Operation(String)"],
        [
            ("PLUS", "enum_constant"),
            ("MINUS", "enum_constant"),
            ("TIMES", "enum_constant"),
            ("symbol", "field"),
        ],
    ),
    "com.acme.shapes.Polygon": (
        "class",
        "Polygon",
        ["area()"],
        ["Polygon(double[],double[])"],
        [("xs", "field"), ("ys", "field")],
    ),
    "com.acme.shapes.Shape": (
        "interface",
        "Shape",
        ["area()", "label()", "unit()", "describe(Shape,int)"],
        [],
        [],
    ),
    "com.acme.shapes.Shape.Circle": (
        "record",
        "Shape.Circle",
        ["area()"],
        ["Circle(double)"],
        [("radius", "record_component")],
    ),
    "com.acme.shapes.Shape.Square": (
        "record",
        "Shape.Square",
        ["area()"],
        ["Square(int)"],
        [("side", "record_component"), ("tags", "record_component")],
    ),
    "com.acme.text.Greeter": ("class", "Greeter", ["grüß(String)", "日本語()"], [], [("π", "field")]),
    "com.acme.text.Greeter.Ωmega": ("class", "Greeter.Ωmega", [], [], []),
}


def _callable_id(qualified: str, suffix: str) -> str:
    if suffix.startswith("<"):  # "<PLUS>applyAsInt(int,int)": a method of an enum constant's body
        constant, _, rest = suffix[1:].partition(">")
        return f"{qualified}.{constant}#{rest}"
    return f"{qualified}#{suffix}"


def test_every_type_with_its_members_and_ids(fixture_types: dict[str, TypeUnit]) -> None:
    assert sorted(fixture_types) == sorted(EXPECTED_TYPES)
    for qualified, (kind, name, methods, constructors, fields) in EXPECTED_TYPES.items():
        unit = fixture_types[qualified]
        assert (unit.kind, unit.name) == (kind, name), qualified
        assert [m.id for m in unit.methods] == [_callable_id(qualified, s) for s in methods], qualified
        assert [m.id for m in unit.constructors] == [_callable_id(qualified, s) for s in constructors], (
            qualified
        )
        assert [(m.id, m.kind) for m in unit.fields] == [(f"{qualified}#{n}", k) for n, k in fields], (
            qualified
        )


def test_file_statuses_encodings_and_line_endings(fixture_results: dict[str, FileResult]) -> None:
    summary = {
        path: (r.status, r.encoding, r.line_endings, sorted(i.reason for i in r.issues))
        for path, r in fixture_results.items()
    }
    assert summary == {
        "Main.java": ("ok", "utf-8", "lf", []),
        "com/acme/annotations/Audited.java": ("ok", "utf-8", "lf", []),
        "com/acme/broken/Broken.java": ("partial", "utf-8", "lf", ["syntax_error", "syntax_error"]),
        "com/acme/collections/Box.java": ("ok", "utf-8", "lf", []),
        "com/acme/docs/Comments.java": ("ok", "utf-8", "lf", []),
        "com/acme/legacy/Binary.java": ("skipped", None, "none", ["binary"]),
        "com/acme/legacy/Empty.java": ("skipped", None, "none", ["empty"]),
        "com/acme/legacy/Latin1.java": ("ok", "cp1252", "lf", ["not_utf8"]),
        "com/acme/legacy/WindowsFile.java": ("ok", "utf-8", "crlf", ["line_endings"]),
        "com/acme/legacy/WithBom.java": ("ok", "utf-8-sig", "lf", []),
        "com/acme/ops/Operation.java": ("ok", "utf-8", "lf", []),
        "com/acme/package-info.java": ("ok", "utf-8", "lf", []),
        "com/acme/shapes/Polygon.java": ("ok", "utf-8", "lf", []),
        "com/acme/shapes/Shape.java": ("ok", "utf-8", "lf", []),
        "com/acme/text/Greeter.java": ("ok", "utf-8", "lf", []),
    }
    assert list(fixture_results) == sorted(fixture_results), "results come in sorted path order"


def test_syntax_error_file_keeps_the_well_formed_methods(fixture_results: dict[str, FileResult]) -> None:
    result = fixture_results["com/acme/broken/Broken.java"]
    assert [(i.line, i.detail) for i in result.issues] == [
        (10, "column 17: missing ')' (1 declaration with errors left out)"),
        (11, "column 15: unexpected '='"),
    ]
    (unit,) = result.types
    assert [m.name for m in unit.methods] == ["fine", "alsoFine"]
    assert unit.methods[1].javadoc is not None and unit.methods[1].javadoc.summary == "Also fine."


def test_context_package_imports_enclosing(fixture_types: dict[str, TypeUnit]) -> None:
    box = fixture_types["com.acme.collections.Box"]
    assert box.file == "com/acme/collections/Box.java"
    assert box.package == "com.acme.collections"
    assert box.imports == (
        "java.util.ArrayList",
        "java.util.Iterator",
        "java.util.List",
        "java.util.function.Function",
        "static java.util.Objects.requireNonNull",
    )
    visitor = fixture_types["com.acme.collections.Box.Stats.Visitor"]
    assert visitor.enclosing == ("com.acme.collections.Box", "com.acme.collections.Box.Stats")
    assert visitor.top_level == "com.acme.collections.Box"
    assert (visitor.is_local, visitor.enclosing_member) == (False, None)
    main = fixture_types["Main"]
    assert (main.package, main.imports) == ("", ("java.util.List", "java.util.function.Supplier"))


def test_local_types_and_what_anonymous_classes_and_lambdas_belong_to(
    fixture_types: dict[str, TypeUnit],
) -> None:
    counter = fixture_types["com.acme.collections.Box.Counter"]
    assert (counter.is_local, counter.enclosing_member) == (True, "com.acme.collections.Box#countLocally()")
    assert (counter.start_line, counter.end_line) == (120, 126)
    for local in ("Main.Pair", "Main.Mode", "Main.Greeting", "Main.Deep"):
        assert (
            fixture_types[local].is_local and fixture_types[local].enclosing_member == "Main#main(String[])"
        )
    box = fixture_types["com.acme.collections.Box"]
    iterator = next(m for m in box.methods if m.name == "iterator")
    assert "public boolean hasNext()" in iterator.source and "public V next()" in iterator.source
    assert not any(m.name in ("hasNext", "next") for unit in fixture_types.values() for m in unit.methods)
    mapper = next(m for m in box.methods if m.name == "map")
    assert "v -> result.add(mapper.apply(v))" in mapper.source


def test_member_details(fixture_types: dict[str, TypeUnit]) -> None:
    box = fixture_types["com.acme.collections.Box"]
    put = box.methods[0]
    assert (put.start_line, put.end_line, put.body_start_line) == (54, 57, 54)
    assert put.signature == "public V put(K key, V value)"
    assert (
        put.source
        == "public V put(K key, V value) {\n        values.add(value);\n        return null;\n    }"
    )
    assert put.indent == "    "
    assert [(p.name, p.type) for p in put.parameters] == [("key", "K"), ("value", "V")]
    assert (put.type, put.modifiers) == ("V", ("public",))
    mapped = box.methods[1]
    assert mapped.type_parameters == "<R extends Number & Comparable<R>>"
    assert mapped.parameters[0].type == "Function<? super V, ? extends R>"  # as written
    copy = box.methods[2]
    assert [(p.name, p.type) for p in copy.parameters] == [("source", "int[]"), ("counts", "int[]")]
    varargs = box.constructors[1]
    assert varargs.annotations == ("@SafeVarargs",)
    assert varargs.parameters[1].type == "V..."
    assert varargs.source.startswith("@SafeVarargs\n    public Box(V first, V... more) {")
    values, keys = box.fields[1], box.fields[2]
    assert (
        values.source
        == keys.source
        == "private final List<V> values = new ArrayList<>(), keys = new ArrayList<>();"
    )
    assert (values.signature, values.type, values.modifiers) == (
        "private final List<V> values",
        "List<V>",
        ("private", "final"),
    )
    assert box.type_parameters == "<K extends Comparable<? super K>, V>"
    assert box.interfaces == ("Iterable<V>",)
    assert box.signature == "public class Box<K extends Comparable<? super K>, V> implements Iterable<V>"


def test_interfaces_records_enums_annotations(fixture_types: dict[str, TypeUnit]) -> None:
    shape = fixture_types["com.acme.shapes.Shape"]
    assert shape.modifiers == ("public", "sealed")
    assert shape.permits == ("Shape.Circle", "Shape.Square", "Polygon")
    area, label, unit, describe = shape.methods
    assert (area.body_start_line, area.modifiers) == (None, ())
    assert label.modifiers == ("default",) and unit.modifiers == ("static",)
    assert '"""' in describe.source and "yield name;" in describe.source
    circle = fixture_types["com.acme.shapes.Shape.Circle"]
    (compact,) = circle.constructors
    assert compact.is_compact_constructor and compact.signature == "public Circle"
    assert [(p.name, p.type) for p in compact.parameters] == [("radius", "double")]
    assert compact.javadoc is not None and compact.javadoc.summary == "Checks the radius."
    square = fixture_types["com.acme.shapes.Shape.Square"]
    assert [f.type for f in square.fields] == ["double", "String..."]
    assert not square.constructors[0].is_compact_constructor
    polygon = fixture_types["com.acme.shapes.Polygon"]
    assert polygon.modifiers == ("public", "non-sealed") and polygon.interfaces == ("Shape",)
    operation = fixture_types["com.acme.ops.Operation"]
    plus = operation.fields[0]
    assert (plus.signature, plus.start_line, plus.end_line, plus.type) == ('PLUS("+")', 8, 13, "Operation")
    assert plus.javadoc is not None and plus.javadoc.summary == "Adds."
    assert operation.fields[2].annotations == ("@Deprecated",)
    negate = operation.methods[2]
    assert negate.javadoc is not None and negate.javadoc.summary == "Not part of the interface."
    assert operation.methods[5].modifiers == ("public", "abstract")
    audited = fixture_types["com.acme.annotations.Audited"]
    assert audited.annotations == (
        "@Retention(RetentionPolicy.RUNTIME)",
        "@Target({ElementType.TYPE, ElementType.METHOD})",
    )
    assert [m.kind for m in audited.methods] == ["annotation_element"] * 3
    assert [m.signature for m in audited.methods] == [
        'String by() default ""',
        "int level() default 1",
        "String[] tags() default {}",
    ]
    assert [m.type for m in audited.methods] == ["String", "int", "String[]"]


def test_unicode_crlf_bom_and_cp1252_files(fixture_types: dict[str, TypeUnit]) -> None:
    greeter = fixture_types["com.acme.text.Greeter"]
    assert greeter.methods[0].signature == "public String grüß(String näme)"
    assert greeter.methods[0].javadoc is not None and greeter.methods[0].javadoc.params == {"näme": "wer"}
    assert greeter.methods[1].source == 'String 日本語() {\n        return "こんにちは";\n    }'
    windows = fixture_types["com.acme.legacy.WindowsFile"]
    assert "\r" not in windows.source
    twice = windows.methods[0]
    assert (twice.start_line, twice.end_line) == (11, 13)  # javac counts a CRLF as one line end too
    assert twice.javadoc is not None and twice.javadoc.summary == "Two lines of Javadoc."
    assert windows.javadoc is not None and windows.javadoc.tags == [("since", "0.1")]
    latin1 = fixture_types["com.acme.legacy.Latin1"]
    assert latin1.javadoc is not None and latin1.javadoc.summary == "Café prices, in €."
    assert latin1.methods[0].source == 'String café() {\n        return "€ 2";\n    }'
    bom = fixture_types["com.acme.legacy.WithBom"]
    assert bom.source.startswith("/** ") is False and bom.source.startswith("public class WithBom")
    assert bom.start_line == 4


@pytest.mark.parametrize(
    ("method", "summary"),
    [
        ("lineCommented", None),
        ("blockCommented", None),
        ("annotated", "Javadoc before the annotations."),
        ("afterAnnotations", "Javadoc after the annotations."),
        ("commentBetween", "The nearest Javadoc wins."),
        ("undocumented", None),
        ("toString", ""),
    ],
)
def test_which_comment_is_the_javadoc(
    fixture_types: dict[str, TypeUnit], method: str, summary: str | None
) -> None:
    comments = fixture_types["com.acme.docs.Comments"]
    member = next(m for m in comments.methods if m.name == method)
    assert (member.javadoc.summary if member.javadoc else None) == summary
    if member.javadoc is not None:
        assert member.javadoc.raw.startswith("/**") and member.javadoc.raw.endswith("*/")
    assert comments.javadoc is None
    assert (
        comments.fields[0].javadoc is not None
        and comments.fields[0].javadoc.summary == "Documents the field only."
    )


def test_rich_javadoc_is_parsed(fixture_types: dict[str, TypeUnit]) -> None:
    comments = fixture_types["com.acme.docs.Comments"]
    rich = next(m for m in comments.methods if m.name == "rich")
    doc = rich.javadoc
    assert doc is not None
    assert doc.summary == "Inline tags: a < b, the label, undocumented(), <T>, and bold & italic."
    assert doc.description == (
        "Inline tags: a < b, the label, undocumented(), <T>, and bold & italic. Second sentence.\n\n"
        "A list:\n\n- one\n- two\n\n"
        "```\nif (a < b) {\n    run();\n}\n```"
    )
    assert doc.params == {"<T>": "the type", "value": "the value, on two lines"}
    assert doc.returns == "value itself"
    assert doc.throws == {"IllegalStateException": "when closed", "IOException": "never"}
    assert doc.tags == [
        ("see", "String.valueOf(int)"),
        ("since", "2.0"),
        ("deprecated", "use something else"),
    ]
    assert doc.inherit_doc is False
    to_string = next(m for m in comments.methods if m.name == "toString")
    assert to_string.javadoc is not None and to_string.javadoc.inherit_doc is True
    assert rich.throws == ("IOException",)
    assert rich.start_line == 62  # the annotation, not the Javadoc, starts the declaration
