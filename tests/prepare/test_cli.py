"""`codetune prepare`, `codetune validate` and the seed's scripts/prepare_data.py, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codetune.cli.app import main

from .conftest import PROJECT, read_jsonl

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "strategy:\n  name: [code_explanation, code_review]\n  options:\n    code_review: {clean_share: 0.5}\n"
        "data:\n  workers: 1\n  seed: 7\n"
    )
    return path


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_prepare_command_uses_config_and_command_line(tmp_path: Path, config_file: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    code = run(["prepare", "-s", str(PROJECT), "-o", str(out), "--config", str(config_file), "--no-progress",
                "--strategy", "code_generation,code_review", "--format", "openai", "--group-by", "file"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "openai"
    assert manifest["config"]["data"]["seed"] == 7  # from the file
    assert manifest["config"]["data"]["group_by"] == "file"  # from the command line
    assert manifest["config"]["strategy"]["options"] == {"code_review": {"clean_share": 0.5}}
    assert {r["strategy"] for r in manifest["train"]} == {"code_generation", "code_review"}
    assert "files" in captured.out and "code_review" in captured.out
    assert all("messages" in row for row in read_jsonl(out / "train.jsonl"))


def test_seed_script_works_as_in_the_seed(tmp_path: Path, config_file: Path) -> None:
    out = tmp_path / "processed"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "prepare_data.py"),
            "-s",
            str(PROJECT),
            "-o",
            str(out),
            "--config",
            str(config_file),
            "--no-progress",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert (out / "train.jsonl").stat().st_size > 0 and (out / "validation.jsonl").is_file()
    assert (out / "manifest.json").is_file() and (out / "report.md").is_file()


def test_validate_reports_rows_tokens_and_cost(tmp_path: Path, config_file: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert (
        run(["prepare", "-s", str(PROJECT), "-o", str(out), "--config", str(config_file), "--no-progress"])
        == 0
    )
    capsys.readouterr()
    assert run(["validate", str(out / "train.jsonl"), "--config", str(config_file)]) == 0
    shown = capsys.readouterr().out
    assert "p50" in shown and "cost (gemini-2.5-flash)" in shown and "ok:" in shown

    bad = tmp_path / "bad.jsonl"
    lines = (out / "train.jsonl").read_text().splitlines()
    lines[2] = lines[2].replace('"role": "model"', '"role": "assistant"')
    bad.write_text("\n".join(lines) + "\n")
    assert run(["validate", str(bad), "--config", str(config_file)]) == 1
    captured = capsys.readouterr()
    assert "line 3 (row 2)" in captured.out
    assert "error:" in captured.err and "Traceback" not in captured.err
    assert run(["validate", str(bad), "--target", "openai", "--config", str(config_file)]) == 1


def test_bad_input_gives_one_line_and_a_hint_without_traceback(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(["prepare", "-s", str(tmp_path / "nope"), "-o", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "error: source not found" in err and "hint:" in err and "Traceback" not in err
    assert run(["validate", str(tmp_path / "missing.jsonl")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_command_modules_import_nothing_heavy() -> None:
    code = (
        "import sys, codetune.cli.app, codetune.cli.prepare, codetune.dataset, codetune.formats, codetune.strategies;"
        "heavy = [m for m in ('datasketch', 'detect_secrets', 'tree_sitter', 'numpy', 'torch') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stdout + completed.stderr
