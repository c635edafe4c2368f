"""bench/bench_extract.py runs end to end on the fixture project and finds every output identical."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_extract.py"


def test_the_extraction_benchmark_runs_and_compares_outputs(fixture_root: Path) -> None:
    # A relative source path, as a user would type it.
    source = os.path.relpath(fixture_root)
    command = [sys.executable, str(BENCH), "--source", source, "--slices", "2", "--rounds", "2"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "in 2 slices" in run.stdout
    for line in ("x1 / bare parse", "x1 / x2", "x1 / split", "same output in every round"):
        assert line in run.stdout, run.stdout
    assert "records yes (1 and 2 workers), jsonl yes (1 and 2 workers)" in run.stdout


def test_bad_arguments_are_one_line_each(tmp_path: Path) -> None:
    cases = [
        (["--source", str(tmp_path / "missing")], "error: source directory not found"),
        (["--source", str(tmp_path)], "error: no .java files under"),
        (["--rounds", "0"], "argument --rounds: '0' is not a whole number of at least 1"),
    ]
    for args, message in cases:
        run = subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, run.stderr
        assert message in run.stderr and "Traceback" not in run.stderr, run.stderr
