"""Compiling answers in place with the real javac, in the real source files of the shipped sample.

Each javac run takes one to two seconds, so these tests are slow; the reference of each unit is
compiled once per process however many probes use it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codetune.eval.javac import check_in_place
from codetune.eval.placement import find_slot

from .conftest import SHIPPED_SAMPLE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("javac") is None, reason="javac not installed (apt: openjdk-17-jdk-headless)"
    ),
]
ROOT = SHIPPED_SAMPLE / "java" / "src" / "main" / "java"
PACKAGE = "com.example.inventory"


def _file_of(unit_id: str) -> str:
    """``model/Money.java`` for ``com.example.inventory.model.Money.Inner#f()``."""
    parts = unit_id.split("#")[0].removeprefix(PACKAGE + ".").split(".")
    return f"com/example/inventory/{parts[0]}/{parts[1]}.java"


def _original(unit_id: str) -> str:
    """The member as written in the file: the reference answer of a generation example."""
    text = (ROOT / _file_of(unit_id)).read_text(encoding="utf-8")
    slot = find_slot(text, unit_id)
    assert slot is not None, unit_id
    return text.encode("utf-8")[slot.start : slot.end].decode("utf-8")


def _check(unit_id: str, answer: str, root: Path = ROOT, reference: str | None = None):
    return check_in_place(
        answer,
        source_root=root,
        source_file=_file_of(unit_id),
        unit_id=unit_id,
        reference=reference if reference is not None else _original(unit_id),
    )


UNITS = [
    "model.Money#Money(long,String)",  # a record's compact constructor
    "model.Money#times(long)",  # an overload (times(BigDecimal) is beside it)
    "util.Stats#max(Collection<? extends T>)",  # a generic method
    "query.Page#map(Function<? super T,? extends U>)",  # a generic method of a generic record
    "model.Product.Builder#build()",  # a static nested class
    "store.StockLedger.Entry#isLatest()",  # an inner class (reads its outer instance)
    "service.InventoryService.Walker#nextStop()",  # a local class in a static method
    "pricing.DiscountPolicy.BEST_ONLY#combine(Money,Iterable<Money>)",  # an enum constant's body
    "model.Category#fromCode(String)",  # a static method of an enum
    "store.InventoryRepository#exists(Sku)",  # an interface's default method
    "store.InventoryRepository#inMemory()",  # an interface's static method
    "util.Preconditions#checkArgument(boolean,String,Object...)",  # varargs
    "io.CsvReader#CsvReader(Reader,char)",  # a class's constructor
]


@pytest.mark.parametrize("unit", UNITS)
def test_references_compile_in_place(unit: str) -> None:
    unit_id = f"{PACKAGE}.{unit}"
    result = _check(unit_id, _original(unit_id))
    assert result.status == "ok", result


TIMES = f"{PACKAGE}.model.Money#times(long)"
GOOD_TIMES = "public Money times(long quantity) {\n    return new Money(Math.multiplyExact(cents, quantity), currency);\n}"


@pytest.mark.parametrize(
    ("answer", "status", "error"),
    [
        ("// TODO implement", "no_code", "declares nothing"),
        (GOOD_TIMES.replace("times(", "multiply("), "wrong_member", "declares no method times"),
        (
            "public long times(long quantity) {\n    return cents * quantity;\n}",
            "wrong_member",
            "returns long",
        ),
        (GOOD_TIMES.replace("long quantity", "int quantity"), "wrong_member", "times(int), not"),
        (GOOD_TIMES.replace(", currency)", ")"), "compile_error", "answer line 2: constructor Money"),
        (GOOD_TIMES.replace("cents,", "amount,"), "compile_error", "answer line 2: cannot find symbol"),
        ("public Money times(long quantity) {\n}", "compile_error", "missing return statement"),
        ("public Money times(long quantity) {\n    return", "syntax_error", "line 2"),
        (GOOD_TIMES, "ok", None),
        ("```java\n" + GOOD_TIMES + "\n```", "syntax_error", None),  # the fence is the caller's to strip
    ],
)
def test_probes_that_must_fail_fail_and_a_right_answer_compiles(
    answer: str, status: str, error: str | None
) -> None:
    result = _check(TIMES, answer)
    assert result.status == status, result
    if error is not None:
        assert error in result.errors[0]


def test_a_generic_method_compiles_with_its_type_variable_renamed() -> None:
    unit_id = f"{PACKAGE}.util.Stats#max(Collection<? extends T>)"
    renamed = (
        "public static <E extends Comparable<? super E>> E max(java.util.Collection<? extends E> values) {\n"
        "    return java.util.Collections.max(values);\n}"
    )
    assert _check(unit_id, renamed).status == "ok"
    wrong = renamed.replace("return java.util", 'return (E) (Object) "x"; //')
    assert _check(unit_id, wrong).status == "ok"  # a cast compiles: javac checks types, not behaviour
    assert _check(unit_id, renamed.replace("E max", "Object max")).status == "wrong_member"


def test_a_constructor_answer_for_a_record_in_both_forms() -> None:
    unit_id = f"{PACKAGE}.model.Money#Money(long,String)"
    canonical = "public Money(long cents, String currency) {\n    this.cents = cents;\n    this.currency = currency;\n}"
    assert _check(unit_id, canonical).status == "ok"
    missing = "public Money(long cents, String currency) {\n    this.cents = cents;\n}"
    result = _check(unit_id, missing)
    assert result.status == "compile_error" and "currency" in result.errors[0]


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "src" / "p" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "src"


def test_errors_in_other_files_count_only_when_the_answer_brings_them(tmp_path: Path) -> None:
    """Broken.java does not compile here (a library missing); Uses.java calls it and so fails with it;
    A.java compiles. An answer in A that calls Broken makes javac read it: that is the answer's doing."""
    root = _project(
        tmp_path,
        {
            "A.java": "package p;\nclass A {\n    int f() { return 1; }\n    int g() { return 2; }\n}\n",
            "Broken.java": "package p;\nclass Broken {\n    static int h() { return Missing.call(); }\n}\n",
            "Uses.java": "package p;\nclass Uses {\n    int f() { return Broken.h(); }\n}\n",
        },
    )

    def check(file: str, unit: str, answer: str, reference: str):
        return check_in_place(answer, source_root=root, source_file=file, unit_id=unit, reference=reference)

    assert check("p/A.java", "p.A#f()", "int f() { return g(); }", "int f() { return 1; }").status == "ok"
    result = check("p/A.java", "p.A#f()", "int f() { return Broken.h(); }", "int f() { return 1; }")
    assert result.status == "compile_error" and result.errors[0].startswith("p/Broken.java line 3:")
    # The reference itself reads Broken.java: its errors are the context's, the sample stays checkable.
    reference = "int f() { return Broken.h(); }"
    assert check("p/Uses.java", "p.Uses#f()", "int f() { return Broken.h() + 1; }", reference).status == "ok"
    result = check("p/Uses.java", "p.Uses#f()", "int f() { return Broken.h() + x; }", reference)
    assert result.status == "compile_error" and result.errors == (
        "answer line 1: cannot find symbol (variable x)",
    )


def test_a_sample_whose_reference_does_not_compile_is_not_checkable(tmp_path: Path) -> None:
    root = _project(tmp_path, {"A.java": "package p;\nclass A {\n    int f() { return Missing.x(); }\n}\n"})
    result = check_in_place(
        "int f() { return 1; }",
        source_root=root,
        source_file="p/A.java",
        unit_id="p.A#f()",
        reference="int f() { return Missing.x(); }",
    )
    assert result.status == "not_checkable" and "reference does not compile in place" in result.errors[0]
    gone = check_in_place(
        "int f() { return 1; }",
        source_root=root,
        source_file="p/Gone.java",
        unit_id="p.Gone#f()",
        reference="",
    )
    assert gone.status == "not_checkable" and "source file not found" in gone.errors[0]


def test_classpath_entries_reach_javac(tmp_path: Path) -> None:
    """A project that needs a library: without testing.classpath nothing is checkable, with it all is."""
    library = _project(
        tmp_path / "lib",
        {"Lib.java": "package p;\npublic class Lib { public static int v() { return 1; } }\n"},
    )
    classes = tmp_path / "classes"
    import subprocess

    subprocess.run(["javac", "-d", str(classes), str(library / "p" / "Lib.java")], check=True)
    root = _project(
        tmp_path / "app", {"A.java": "package p;\nclass A {\n    int f() { return Lib.v(); }\n}\n"}
    )
    arguments = {"source_root": root, "source_file": "p/A.java", "unit_id": "p.A#f()"}
    reference = "int f() { return Lib.v(); }"
    assert check_in_place(reference, reference=reference, **arguments).status == "not_checkable"
    answer = "int f() { return Lib.v() + 1; }"
    assert check_in_place(answer, reference=reference, classpath=[str(classes)], **arguments).status == "ok"


def test_a_timeout_is_a_status_and_is_tried_again(tmp_path: Path) -> None:
    root = _project(tmp_path, {"A.java": "package p;\nclass A {\n    int f() { return 1; }\n}\n"})
    arguments = {
        "source_root": root,
        "source_file": "p/A.java",
        "unit_id": "p.A#f()",
        "reference": "int f() { return 1; }",
    }
    result = check_in_place("int f() { return 2; }", timeout=0.01, **arguments)
    assert result.status == "not_checkable" and "took longer than 0.01s" in result.errors[0]
    assert check_in_place("int f() { return 2; }", **arguments).status == "ok"


def test_without_javac_nothing_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert _check(TIMES, GOOD_TIMES, reference=GOOD_TIMES).status == "unavailable"
