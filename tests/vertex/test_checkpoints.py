"""Intermediate checkpoints: asked for on create, kept in the job record, listed by `jobs`/`monitor`, and
talked to by `test` (the recorded best one, or `--checkpoint ID`). Real SDKs against the loopback servers."""

from __future__ import annotations

import json

import pytest

from codetune.jobs import JobStore
from support.cli import run_main
from support.vertex_workspace import Workspace


def _train(workspace: Workspace, capsys: pytest.CaptureFixture[str], **training: object) -> tuple[str, str]:
    workspace.write_config(training=training)
    code, out, err = run_main(capsys, "train", "--config", str(workspace.config_path), "--yes")
    assert code == 0, err
    return out, err


def test_a_finished_job_keeps_one_checkpoint_per_epoch_each_on_an_answering_endpoint(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = _train(workspace, capsys, epochs=4)
    (create,) = workspace.vertex.calls("POST", r"/tuningJobs$")
    assert create.body["supervisedTuningSpec"]["exportLastCheckpointOnly"] is False  # sent, the default
    (record,) = JobStore(workspace.runs).all()
    assert [(p["checkpoint_id"], p["epoch"]) for p in record.checkpoints] == [
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("4", 4),
    ]
    steps = [p["step"] for p in record.checkpoints]
    assert all(isinstance(step, int) for step in steps) and steps == sorted(steps)  # int64 strings -> numbers
    endpoints = [p["endpoint"] for p in record.checkpoints]
    assert len(set(endpoints)) == 4 and all("/endpoints/" in e for e in endpoints)
    assert record.endpoint == endpoints[-1]  # the service serves the last one by default
    # what `train` (and `monitor`) print at the end: every checkpoint, and how to compare them
    assert "checkpoints (4):" in out and all(e in out for e in endpoints)
    assert "served by default" in out and f"codetune eval -m {record.id} --checkpoints" in out
    for endpoint in endpoints:  # each one answers, through the real SDK
        workspace.vertex.replies[endpoint] = f"answer of {endpoint.rsplit('/', 1)[-1]}"
        code, answer, _ = run_main(
            capsys,
            "test",
            "-m",
            endpoint,
            "-p",
            "What does size() do?",
            "--config",
            str(workspace.config_path),
        )
        assert code == 0 and answer.strip() == f"answer of {endpoint.rsplit('/', 1)[-1]}"


def test_only_the_last_checkpoint_when_asked_and_about_ten_for_long_runs(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _train(workspace, capsys, epochs=3, export_last_checkpoint_only=True)
    (create,) = workspace.vertex.calls("POST", r"/tuningJobs$")
    assert create.body["supervisedTuningSpec"]["exportLastCheckpointOnly"] is True
    (record,) = JobStore(workspace.runs).all()
    assert len(record.checkpoints) == 1 and record.checkpoints[0]["endpoint"] == record.endpoint

    _train(workspace, capsys, epochs=12)
    (latest,) = [r for r in JobStore(workspace.runs).all() if r.id != record.id]
    assert len(latest.checkpoints) == 10 and latest.checkpoints[-1]["epoch"] == 12


def test_jobs_lists_checkpoints_and_json_prints_every_record(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _train(workspace, capsys, epochs=2)
    (record,) = JobStore(workspace.runs).all()
    code, out, _ = run_main(capsys, "jobs", "--config", str(workspace.config_path))
    assert code == 0 and "checkpoints (2):" in out
    for point in record.checkpoints:
        assert (
            f"{point['checkpoint_id']}  epoch {point['epoch']}  step {point['step']}  {point['endpoint']}"
            in out
        )

    code, out, _ = run_main(capsys, "jobs", "--json", "--config", str(workspace.config_path))
    assert code == 0
    (listed,) = json.loads(out)
    assert listed["id"] == record.id and listed["endpoint"] == record.endpoint
    assert listed["checkpoints"] == [
        {
            "checkpoint_id": p["checkpoint_id"],
            "epoch": p["epoch"],
            "step": p["step"],
            "endpoint": p["endpoint"],
        }
        for p in record.checkpoints
    ]
    assert listed["best_checkpoint"] is None

    code, out, _ = run_main(capsys, "monitor", record.id, "--config", str(workspace.config_path))
    assert code == 0 and "checkpoints (2):" in out and record.checkpoints[0]["endpoint"] in out


def test_test_talks_to_the_recorded_best_checkpoint_unless_told_otherwise(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _train(workspace, capsys, epochs=3)
    store = JobStore(workspace.runs)
    (record,) = store.all()
    first, second, third = (p["endpoint"] for p in record.checkpoints)
    for endpoint, text in ((first, "one"), (second, "two"), (third, "three")):
        workspace.vertex.replies[endpoint] = text
    config = str(workspace.config_path)

    code, out, err = run_main(capsys, "test", "-m", record.id, "-p", "hi", "--config", config)
    assert code == 0 and out.strip() == "three"  # nothing evaluated yet: the service's default checkpoint

    record.best_checkpoint = {"checkpoint_id": "2", "metric": "compile_rate", "metric_label": "compile rate"}
    store.save(record)
    code, out, err = run_main(capsys, "test", "-m", record.id, "-p", "hi", "--config", config)
    assert code == 0 and out.strip() == "two"
    assert "checkpoint 2 (epoch 2" in err and "best by compile rate" in err and "serves checkpoint 3" in err

    code, out, err = run_main(
        capsys, "test", "-m", record.id, "--checkpoint", "1", "-p", "hi", "--config", config
    )
    assert code == 0 and out.strip() == "one" and "as --checkpoint asks" in err
    code, out, err = run_main(capsys, "test", "-m", third, "-p", "hi", "--config", config)
    assert code == 0 and out.strip() == "three"  # an endpoint given by name is the one asked

    code, out, err = run_main(
        capsys, "test", "-m", record.id, "--checkpoint", "9", "-p", "hi", "--config", config
    )
    assert code != 0 and "has no checkpoint '9'" in err and "its checkpoints: 1, 2, 3" in err
    assert "Traceback" not in err
