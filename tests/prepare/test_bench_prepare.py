"""bench/bench_prepare.py --against runs both checkouts on the fixture project and compares their files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PROJECT

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_prepare.py"


@pytest.mark.slow
def test_the_benchmark_compares_two_checkouts_run_for_run(repo_root: Path) -> None:
    # This checkout against itself: every figure printed, and the same bytes on both sides.
    command = [sys.executable, str(BENCH), "--source", str(PROJECT), "--workers", "1", "--rounds", "1"]
    command += ["--against", str(repo_root / "src")]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    for line in ("round 1 before", "round 1 after", "median before", "after / before: wall"):
        assert line in run.stdout, run.stdout
    assert "same train.jsonl, validation.jsonl, manifest.json: yes" in run.stdout
