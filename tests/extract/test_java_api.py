"""The tree-sitter surface other modules build on: parse_tree, syntax_errors, parse_member."""

from __future__ import annotations

import subprocess
import sys

from codetune.extract.java import parse_member, parse_tree, syntax_errors


def test_parse_tree_nodes_are_usable_duck_typed() -> None:
    tree = parse_tree("package p;\nclass A {\n    int size() { return 0; }\n}\n")
    root = tree.root_node
    assert root.type == "program"
    cls = root.named_children[1]
    assert cls.type == "class_declaration"
    assert cls.child_by_field_name("name").text == b"A"
    method = cls.child_by_field_name("body").named_children[0]
    assert (method.type, method.start_point, method.end_point) == ("method_declaration", (2, 4), (2, 28))
    assert [child.type for child in method.children] == [
        "integral_type",
        "identifier",
        "formal_parameters",
        "block",
    ]


def test_syntax_errors_positions_count_characters() -> None:
    assert syntax_errors("class A {}") == []
    assert syntax_errors("class Ä { void f() { int x = ; } }") == [(1, 28, "unexpected '='")]
    assert syntax_errors("class A {\n  void f( {\n  }\n}\n") == [(2, 10, "missing ')'")]
    tree = parse_tree("class A { void f() { x = ; }")
    assert syntax_errors(tree) and all(line == 1 for line, _, _ in syntax_errors(tree))
    many = "class A {\n" + "  void f() { int x = ; }\n" * 50 + "}\n"
    assert len(syntax_errors(many)) == 20 and len(syntax_errors(many, limit=5)) == 5


def test_parse_member_parses_one_declaration_standalone() -> None:
    method = parse_member(
        "@Override\npublic <T> List<T> copy(List<? extends T> src) throws IOException {\n  return null;\n}"
    )
    assert method is not None and method.type == "method_declaration"
    assert method.child_by_field_name("name").text == b"copy"
    assert method.child_by_field_name("body").named_children[0].type == "return_statement"
    assert method.text.startswith(b"@Override\npublic <T> List<T> copy(")
    ctor = parse_member("Box(int size) { this.size = size; }")
    assert ctor is not None and ctor.type == "constructor_declaration"
    assert parse_member("int x = 1;") is None
    assert parse_member("this is not java") is None


def test_only_java_py_imports_tree_sitter(repo_root) -> None:  # type: ignore[no-untyped-def]
    importers = sorted(
        str(path.relative_to(repo_root))
        for path in (repo_root / "src").rglob("*.py")
        if "import tree_sitter" in path.read_text(encoding="utf-8")
    )
    assert importers == ["src/codetune/extract/java.py"]
    probe = (
        "import sys, codetune.extract; print(sorted(m for m in sys.modules if m.startswith('tree_sitter')))"
    )
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"
    )


def test_a_parsed_file_keeps_each_types_and_callables_node(fixture_root) -> None:  # type: ignore[no-untyped-def]
    """parse_entry gives extract_entry's records, plus the node of every type, method and constructor
    (its text is the record's source); fields, enum constants and components have none."""
    from codetune.extract import ExtractOptions, extract_entry, parse_entry
    from codetune.extract.discover import find_java_files

    options = ExtractOptions(workers=1)
    callables = 0
    for entry in find_java_files(fixture_root):
        parsed = parse_entry(entry, options)
        assert parsed.result == extract_entry(entry, options)
        for type_unit in parsed.result.types:
            node = parsed.node_of(type_unit)
            assert node is not None and node.text.decode("utf-8") == type_unit.source
            assert node.start_point[0] + 1 == type_unit.start_line
            for member in (*type_unit.methods, *type_unit.constructors):
                node = parsed.node_of(member)
                assert node is not None and node.text.decode("utf-8") == member.source
                assert node.type.endswith("_declaration")
                callables += 1
            assert all(parsed.node_of(field) is None for field in type_unit.fields)
    assert callables > 30
