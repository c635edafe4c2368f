"""prepare end to end on the fixture project: goldens per format, manifest, determinism, drops counted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codetune.dataset.pipeline import prepare
from codetune.dataset.validate import validate_file
from codetune.errors import ConfigError, DataError, InputError
from codetune.formats.gemini import read_row

from .conftest import GOLDEN, PROJECT, make_config, read_jsonl


@pytest.mark.parametrize("fmt", ["gemini", "openai", "prompt_completion"])
def test_golden_jsonl_per_format(tmp_path: Path, fmt: str, update_golden: bool) -> None:
    result = prepare(make_config(format=fmt), PROJECT, tmp_path / "out", source_label="fixture")
    for split in ("train", "validation"):
        produced = result.files[split].read_text(encoding="utf-8")
        golden = GOLDEN / f"{fmt}.{split}.jsonl"
        if update_golden:
            golden.write_text(produced, encoding="utf-8")
        assert golden.is_file(), f"missing {golden}: run with UPDATE_GOLDEN=1 and review the diff"
        assert produced == golden.read_text(encoding="utf-8"), (
            f"{fmt} {split} differs from {golden.name}; if the change is intended, rerun with UPDATE_GOLDEN=1"
        )


def test_gemini_rows_hold_exactly_system_instruction_and_contents(tmp_path: Path) -> None:
    result = prepare(make_config(), PROJECT, tmp_path / "out")
    rows = read_jsonl(result.files["train"]) + read_jsonl(result.files["validation"])
    assert rows
    for row in rows:
        assert list(row) == ["systemInstruction", "contents"]
        assert [turn["role"] for turn in row["contents"]] == ["user", "model"]
        system, messages = read_row(row)
        assert system is not None and system.startswith("You are an expert Java developer")
        assert all(m.text.strip() for m in messages)


def test_outputs_pass_the_validator_and_the_manifest_describes_every_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = prepare(make_config(), PROJECT, out, source_label="fixture")
    manifest = json.loads((out / "manifest.json").read_text())
    for split in ("train", "validation"):
        check = validate_file(out / f"{split}.jsonl", "vertex", split=split)
        assert check.ok, check.errors
        records = manifest[split]
        assert len(records) == check.rows == manifest["outputs"][split]["examples"] > 0
        for record in records:
            assert set(record) == {"example_id", "unit_id", "source_file", "group", "strategy"}
            assert record["source_file"].startswith("src/main/java/com/acme/shop/")
    assert not {r["group"] for r in manifest["train"]} & {r["group"] for r in manifest["validation"]}
    assert manifest["source"] == "fixture"
    assert set(manifest["tool_versions"]) >= {"codetune", "tree-sitter", "tree-sitter-java", "datasketch"}
    assert len(manifest["input_sha256"]) == 64
    assert manifest["config"]["data"]["seed"] == 42
    from codetune.io import sha256_file

    assert manifest["outputs"]["train"]["sha256"] == sha256_file(out / "train.jsonl")
    assert (out / "report.md").read_text().startswith("# codetune prepare report")
    report = json.loads((out / "report.json").read_text())
    assert report["seconds"] >= 0 and "seconds" not in manifest
    assert result.table_rows()[0][0] == "files"


@pytest.mark.parametrize("fmt", ["gemini", "openai", "prompt_completion"])
def test_the_tokens_prepare_gives_the_validator_are_the_validators_own_estimates(
    tmp_path: Path, fmt: str
) -> None:
    """prepare hands each example's token estimate to the validator instead of estimating every row
    again: the file read back on its own gives the same numbers, row by row."""
    result = prepare(make_config(format=fmt), PROJECT, tmp_path / "out")
    for split in ("train", "validation"):
        given = result.validation[split]
        assert given.ok and given.rows > 0
        fresh = validate_file(result.files[split], given.target, split=split)
        assert fresh.tokens == given.tokens


def test_every_drop_is_counted_by_reason(tmp_path: Path) -> None:
    counts = prepare(make_config(), PROJECT, tmp_path / "out").report
    assert counts["files_dropped"] == {"generated": 1, "test_source": 1}
    dropped = counts["units_dropped"]
    assert dropped["exact_duplicate"] == 1  # Wishlist.roundToCents repeats Prices.roundToCents
    assert dropped["near_duplicate"] == 1  # Wishlist.add differs from Cart.add in a message only
    assert dropped["boilerplate_accessor"] == 2 and dropped["boilerplate_object_method"] == 2
    assert counts["strategies"]["code_explanation"]["skipped"] == {
        "no_javadoc": 1
    }  # Inventory.waitForRestock
    review = counts["strategies"]["code_review"]
    assert review["examples"] + review["dropped"].get("review_clean_over_share", 0) == review["built"]
    assert counts["duplicates_removed"] == {"exact": 1, "near": 1}


def test_including_tests_adds_the_test_file(tmp_path: Path) -> None:
    without = prepare(make_config(), PROJECT, tmp_path / "a").report
    with_tests = prepare(make_config(include_tests=True), PROJECT, tmp_path / "b").report
    assert "test_source" not in with_tests["files_dropped"]
    assert with_tests["files"]["used"] == without["files"]["used"] + 1


def test_same_input_config_and_seed_give_byte_identical_files(tmp_path: Path) -> None:
    first = prepare(make_config(), PROJECT, tmp_path / "one")
    second = prepare(make_config(), PROJECT, tmp_path / "two")
    for name in ("train", "validation", "manifest"):
        assert first.files[name].read_bytes() == second.files[name].read_bytes(), name
    other_seed = prepare(make_config(seed=7), PROJECT, tmp_path / "three")
    assert other_seed.files["train"].read_bytes() != first.files["train"].read_bytes()


def test_worker_processes_give_the_same_bytes_as_one_process(tmp_path: Path) -> None:
    # Enough files that the pool is used (it is skipped for small inputs).
    project = tmp_path / "many"
    source = PROJECT / "src" / "main" / "java" / "com" / "acme" / "shop" / "Cart.java"
    for index in range(60):
        package = project / f"p{index:02d}"
        package.mkdir(parents=True)
        text = source.read_text().replace("package com.acme.shop;", f"package p{index:02d};")
        (package / "Cart.java").write_text(text.replace("shopping cart", f"shopping cart number {index}"))
    one = prepare(make_config(workers=1), project, tmp_path / "one")
    two = prepare(make_config(workers=2), project, tmp_path / "two")
    for name in ("train", "validation", "manifest"):
        assert one.files[name].read_bytes() == two.files[name].read_bytes(), name
    assert one.report["duplicates_removed"]["exact"] > 0  # 60 copies of the same methods


def test_formats_and_strategies_are_chosen_by_config(tmp_path: Path) -> None:
    result = prepare(
        make_config(format="openai", strategy={"name": "code_generation"}), PROJECT, tmp_path / "out"
    )
    rows = read_jsonl(result.files["train"])
    assert all(row["messages"][-1]["role"] == "assistant" for row in rows)
    assert all(row["messages"][-1]["content"].startswith("```java\n") for row in rows)
    assert set(result.report["strategies"]) == {"code_generation"}


def test_bad_inputs_raise_errors_a_user_can_act_on(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        prepare(make_config(), tmp_path / "missing", tmp_path / "out")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no .java files"):
        prepare(make_config(), empty, tmp_path / "out")
    with pytest.raises(ConfigError, match="unknown format"):
        prepare(make_config(format="csv"), PROJECT, tmp_path / "out")
    with pytest.raises(ConfigError, match="strategy.options.code_review"):
        prepare(
            make_config(strategy={"name": ["code_review"], "options": {"code_review": {"clean_shar": 0.1}}}),
            PROJECT,
            tmp_path / "out",
        )
    nothing = tmp_path / "nothing"
    (nothing / "p").mkdir(parents=True)
    (nothing / "p" / "A.java").write_text("package p;\nclass A {\n  int f() { return 1; }\n}\n")
    with pytest.raises(DataError, match="no training examples"):
        prepare(make_config(), nothing, tmp_path / "out")


def test_a_second_run_on_the_same_output_directory_is_refused_while_the_first_holds_it(
    tmp_path: Path,
) -> None:
    from codetune.errors import LockedError
    from codetune.io import directory_lock

    out = tmp_path / "out"
    with directory_lock(out, "prepare"), pytest.raises(LockedError):
        prepare(make_config(), PROJECT, out)


def test_group_by_file_puts_nested_types_with_their_file(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    result = prepare(make_config(group_by="file"), project, tmp_path / "out")
    manifest = json.loads((result.output / "manifest.json").read_text())
    for record in manifest["train"] + manifest["validation"]:
        assert record["group"] == record["source_file"]


EXTRACT_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "java_project"


@pytest.mark.skipif(not EXTRACT_FIXTURE.is_dir(), reason="the extractor's fixture project is not there")
def test_the_extractor_fixture_with_broken_and_odd_files_prepares_cleanly(tmp_path: Path) -> None:
    result = prepare(make_config(), EXTRACT_FIXTURE, tmp_path / "out")
    report = result.report
    assert report["files"]["skipped"] == sum(
        v for k, v in report["files_dropped"].items() if k not in ("generated", "test_source")
    )
    assert any("syntax_error" in note for note in report["file_issues"])
    for split in ("train", "validation"):
        assert validate_file(result.files[split], "vertex", split=split).ok
