"""The layout of a local job (processes, machines, rendezvous): checked up front, planned, recorded, and
kept on resume. Quick: no training here (tests/local/test_distributed.py trains in several processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from codetune import training
from codetune.backends.base import TuningRequest
from codetune.backends.local.backend import LocalBackend
from codetune.backends.local.rundir import RunDir
from codetune.config import load_config
from codetune.errors import ConfigError
from codetune.jobs import JobRecord, JobStore

from .conftest import example_rows, write_rows
from .test_failures import run_cli


def write_config(path: Path, **local: object) -> Path:
    path.write_text(yaml.safe_dump({"local": local}), encoding="utf-8")
    return path


def test_every_layout_problem_is_reported_at_once(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", processes=0, nodes=2, node_rank=2, rdzv_endpoint="node0")

    with pytest.raises(ConfigError) as raised:
        load_config(config, environ={})

    message = raised.value.message
    assert "local.processes: 0: give a number of processes (1 or more), or auto" in message
    assert "local.node_rank: must be below local.nodes (2)" in message
    assert "local.rdzv_endpoint: 'node0' is not host:port" in message


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ({"nodes": 2, "node_rank": 1}, "local.rdzv_endpoint: needed when local.nodes is 2"),
        ({"processes": "many"}, "local.processes: 'many': give a number of processes"),
        ({"rdzv_endpoint": "10.0.0.5:70000"}, "'10.0.0.5:70000' is not host:port"),
    ],
)
def test_a_bad_layout_is_one_clear_line(tmp_path: Path, local: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_config(write_config(tmp_path / "c.yaml", **local), environ={})


def test_the_layout_comes_from_the_file_the_environment_and_the_command_line(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", processes=2, nodes=2, rdzv_endpoint="10.0.0.5:29500")

    from_env = load_config(config, environ={"CODETUNE_LOCAL_PROCESSES": "auto"})
    given = load_config(
        config, environ={}, overrides={"local": {"node_rank": 1, "rdzv_endpoint": "[::1]:29400"}}
    )

    assert from_env.local.processes == "auto"
    assert (given.local.processes, given.local.nodes, given.local.node_rank) == (2, 2, 1)
    assert given.local.rdzv_endpoint == "[::1]:29400"


def _request(examples: int = 24) -> TuningRequest:
    return TuningRequest(
        train_file=Path("train.jsonl"),
        validation_file=None,
        display_name="d",
        system_instruction=None,
        fingerprint="f",
        train_examples=examples,
        train_tokens=100 * examples,
    )


def test_the_estimate_plans_steps_of_the_global_batch(tmp_path: Path) -> None:
    one = LocalBackend(
        load_config(write_config(tmp_path / "1.yaml", batch_size=4, max_steps=None), environ={})
    )
    two = LocalBackend(
        load_config(write_config(tmp_path / "2.yaml", batch_size=2, processes=2, max_steps=None), environ={})
    )

    single, double = one.estimate(_request()), two.estimate(_request())

    assert single["steps"] == "18 (batch 4, 3 epochs)"  # 24 examples, 3 epochs of 6 steps
    assert double["steps"] == "18 (global batch 4 = 2 x 2 processes, 3 epochs)"
    assert double["processes"] == "2 processes on 1 machine" and "processes" not in single
    assert single["training tokens (estimate)"] == double["training tokens (estimate)"]


def test_the_layout_is_part_of_the_job_fingerprint(tmp_path: Path) -> None:
    train = write_rows(tmp_path / "train.jsonl", example_rows(4))
    configs = {
        name: load_config(write_config(tmp_path / f"{name}.yaml", **local), environ={})
        for name, local in {
            "one": {},
            "two": {"processes": 2},
            "node1": {"nodes": 2, "node_rank": 1, "rdzv_endpoint": "h:1"},
        }.items()
    }
    prints = {
        name: training.build_request(config, train_file=train, validation_file="").fingerprint
        for name, config in configs.items()
    }
    assert len(set(prints.values())) == 3  # another global batch, another machine's job: other jobs


def _failed_two_process_job(root: Path) -> tuple[Path, JobRecord]:
    """A job that ran in 2 processes and was killed after its checkpoint at step 2 (its files only)."""
    config_path = write_config(root / "config.yaml", processes=2, batch_size=2)
    config = load_config(config_path, environ={})
    store = JobStore(config.paths.runs_dir)
    run_dir = RunDir(store.job_dir("local-20260101-000000-abcd").resolve())
    (run_dir.checkpoints / "checkpoint-2").mkdir(parents=True)
    (run_dir.checkpoints / "checkpoint-2" / "trainer_state.json").write_text('{"global_step": 2}')
    run_dir.launch.write_text(json.dumps({"processes": 2, "nodes": 1, "node_rank": 0}))
    run_dir.write_status({"state": "FAILED", "error": "killed"})
    record = JobRecord(
        id=run_dir.path.name,
        backend="local",
        fingerprint="f",
        display_name="d",
        config=config.snapshot(),
        state="FAILED",
        extra={"run_dir": str(run_dir.path)},
    )
    store.save(record)
    return config_path, record


def test_resume_in_another_world_size_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    config_path, record = _failed_two_process_job(tmp_path)

    code = run_cli("resume", record.id, "-c", str(config_path), "--processes", "1", "--no-monitor")

    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0 and "Traceback" not in err
    assert lines[0] == (
        f"error: job {record.id} trained with 2 processes on 1 machine (world size 2); resuming it with "
        "1 process on 1 machine (world size 1) would change its global batch"
    )
    assert lines[1].startswith(f"hint: resume it as it ran: codetune resume {record.id} --processes 2")
    run_dir = RunDir(Path(record.extra["run_dir"]))
    assert run_dir.read_status()["state"] == "FAILED" and not run_dir.log.exists()  # nothing was started


def test_the_readme_shows_two_machines_with_options_train_has(repo_root: Path) -> None:
    import re
    import shlex

    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme[readme.index("<!-- scaling -->") :], re.S)
    assert block is not None
    commands = [shlex.split(line.split("#")[0]) for line in block.group(1).splitlines() if line.strip()]
    options = {"--processes": "processes", "--nodes": "nodes", "--node-rank": "node_rank"}
    options["--rdzv-endpoint"] = "rdzv_endpoint"
    from typer.main import get_command

    from codetune.cli.app import app

    train = get_command(app).commands["train"]  # type: ignore[attr-defined]
    layouts = []
    for command in commands:
        assert command[:2] == ["codetune", "train"], command
        assert train.make_context("train", command[2:]).params["node_rank"] in (0, 1)  # parses as given
        given = dict(zip(command[2::2], command[3::2], strict=True))
        assert set(given) <= set(options), given
        local = {options[flag]: value for flag, value in given.items()}
        layouts.append(load_config(None, environ={}, overrides={"local": local}).local)  # validates
    assert [layout.node_rank for layout in layouts] == [0, 1]
    assert {(layout.nodes, layout.rdzv_endpoint) for layout in layouts} == {(2, "10.0.0.5:29500")}
