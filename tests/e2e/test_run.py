"""`codetune run` end to end on the shipped sample Java with a tiny model: the real CLI in a subprocess.

Covers the robustness the main job promises: a rerun reuses every finished stage, a run killed in the
middle of training continues from its checkpoint, two runs at once are refused clearly, and an
unwritable output directory or a full disk is one clear line, not a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from support.tiny_model import tiny_model  # noqa: F401 - fixture

REPO = Path(__file__).resolve().parents[2]


def _write_config(root: Path, model: Path, **local: object) -> Path:
    config = {
        "training": {"backend": "local", "epochs": 1, "adapter_size": 4},
        "strategy": {"name": ["code_explanation", "code_generation", "code_review"]},
        "data": {"source": str(root / "java"), "output": str(root / "processed")},
        "local": {
            "base_model": str(model),
            "max_steps": 4,
            "batch_size": 4,
            "max_length": 512,
            "eval_steps": 2,
            "save_steps": 2,
            "eval_max_examples": 4,
            **local,
        },
        "testing": {"eval_limit": 3, "eval_max_output_tokens": 6},
        "paths": {"runs_dir": str(root / "runs"), "reports_dir": str(root / "reports")},
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path, tiny_model: Path) -> Path:  # noqa: F811 - the fixture imported above
    # A small slice of the shipped sample keeps the tiny model's eval quick; it is real Java all the same.
    sample = REPO / "data/raw/java/src/main/java/com/example/inventory"
    for package in ("util", "model"):
        shutil.copytree(sample / package, tmp_path / "java/com/example/inventory" / package)
    _write_config(tmp_path, tiny_model)
    return tmp_path


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODETUNE_")}
    env.update(XDG_CACHE_HOME=str(root / "cache"), HF_HUB_OFFLINE="1", COLUMNS="200")
    return env


def _codetune(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codetune", *args, "--config", str(root / "config.yaml")],
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _stage_statuses(stdout: str) -> dict[str, str]:
    statuses = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.split("│") if cell.strip()]
        if len(cells) >= 2 and cells[0] in ("prepare", "train", "evaluate"):
            statuses[cells[0]] = cells[1]
    return statuses


def _data_hashes(root: Path) -> dict[str, str]:
    import hashlib

    return {
        name: hashlib.sha256((root / "processed" / name).read_bytes()).hexdigest()
        for name in ("train.jsonl", "validation.jsonl", "manifest.json")
    }


@pytest.mark.slow
def test_run_goes_end_to_end_and_a_rerun_reuses_every_stage(workspace: Path) -> None:
    first = _codetune(workspace, "run")
    assert first.returncode == 0, first.stderr
    assert _stage_statuses(first.stdout) == {"prepare": "ran", "train": "ran", "evaluate": "ran"}
    jobs = sorted(p.name for p in (workspace / "runs").iterdir() if p.name.startswith("local-"))
    assert len(jobs) == 1
    run_dir = workspace / "runs" / jobs[0]
    assert (run_dir / "adapter" / "adapter_model.safetensors").is_file()
    assert (run_dir / "loss.png").is_file()
    report = workspace / "reports" / jobs[0] / "report.html"
    assert report.is_file() and "<table" in report.read_text(encoding="utf-8")
    assert "validation loss" in first.stdout
    assert f"codetune test -m {jobs[0]} -i --compare" in first.stdout
    hashes = _data_hashes(workspace)

    again = _codetune(workspace, "run")
    assert again.returncode == 0, again.stderr
    assert _stage_statuses(again.stdout) == {"prepare": "reused", "train": "reused", "evaluate": "reused"}
    assert sorted(p.name for p in (workspace / "runs").iterdir() if p.name.startswith("local-")) == jobs
    assert _data_hashes(workspace) == hashes

    # A changed input invalidates prepare (and so the training fingerprint): new data, a new job.
    util = workspace / "java/com/example/inventory/util"
    shutil.copy(
        REPO / "data/raw/java/src/main/java/com/example/inventory/query/Page.java", util / "Page.java"
    )
    changed = _codetune(workspace, "run", "--no-eval")
    assert changed.returncode == 0, changed.stderr
    assert _stage_statuses(changed.stdout) == {"prepare": "ran", "train": "ran"}


def _wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _checkpoints(root: Path) -> list[Path]:
    """Complete checkpoints (the trainer writes trainer_state.json last)."""
    return sorted((root / "runs").glob("local-*/checkpoints/checkpoint-*/trainer_state.json"))


@pytest.mark.slow
def test_a_run_killed_during_training_continues_from_its_checkpoint(
    workspace: Path,
    tiny_model: Path,  # noqa: F811 - the fixture imported above
) -> None:
    _write_config(workspace, tiny_model, max_steps=400, save_steps=5, eval_steps=400)
    process = subprocess.Popen(
        [sys.executable, "-m", "codetune", "run", "--no-eval", "--config", str(workspace / "config.yaml")],
        cwd=workspace,
        env=_env(workspace),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: bool(_checkpoints(workspace)), timeout=240), "no checkpoint was written"
    finally:
        process.kill()
        process.wait()
    # Kill the training worker too, the way a machine reboot or the OOM killer would.
    (run_dir,) = (workspace / "runs").glob("local-*")
    status = json.loads((run_dir / "status.json").read_text(encoding="utf-8"))
    pids = [int(status[key]) for key in ("supervisor_pid", "pid") if status.get(key)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    total = status["total_steps"]
    assert (status.get("step") or 0) < total

    resumed = _codetune(workspace, "run", "--no-eval", timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert _stage_statuses(resumed.stdout) == {"prepare": "reused", "train": "resumed"}
    assert [p.name for p in (workspace / "runs").glob("local-*")] == [run_dir.name]  # no second job
    final = json.loads((run_dir / "status.json").read_text(encoding="utf-8"))
    assert final["state"] == "SUCCEEDED" and final["step"] == total
    history = json.loads((run_dir / "job.json").read_text(encoding="utf-8"))["history"]
    assert any((entry.get("detail") or "").startswith("resuming from checkpoint-") for entry in history)
    metrics = [
        json.loads(line) for line in (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert sorted(m["step"] for m in metrics if m["kind"] == "train") == list(range(1, total + 1))


def test_two_runs_at_once_are_refused_with_a_clear_message(workspace: Path) -> None:
    from codetune.io import directory_lock

    with directory_lock(workspace / "runs" / ".pipeline", "codetune run"):
        second = _codetune(workspace, "run")
    assert second.returncode == 4
    assert "in use by codetune run" in second.stderr
    assert "Traceback" not in second.stderr
    assert not (workspace / "processed").exists()  # it did nothing


def _mount_tmpfs(target: Path, options: str) -> bool:
    target.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    return (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True
        ).returncode
        == 0
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [("ro,size=1m", "Read-only file system"), ("size=16k", "no space left on device")],
    ids=["read-only", "full"],
)
def test_unwritable_output_is_one_clear_line(workspace: Path, options: str, expected: str) -> None:
    target = workspace / "processed"
    if not _mount_tmpfs(target, options):
        pytest.skip("needs root and tmpfs mounts to make a read-only or full file system")
    try:
        result = _codetune(workspace, "run")
    finally:
        subprocess.run(["umount", str(target)], check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert expected.lower() in result.stderr.lower()
    assert "hint:" in result.stderr
