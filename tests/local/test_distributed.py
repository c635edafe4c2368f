"""A local job in several processes (torchrun, gloo on the CPU), end to end on the tiny Llama: the real
worker, torchrun, TRL and PEFT. Each job here starts 2-3 Python processes that import torch: slow."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import psutil
import pytest
import yaml

from codetune import orchestration, training
from codetune.backends import get_backend
from codetune.backends.local.rundir import RunDir
from codetune.config import load_config
from codetune.jobs import JobRecord, JobStore
from support.tiny_model import write_training_config

from .conftest import example_rows, write_rows
from .test_backend import wait_until
from .test_failures import run_cli

pytestmark = pytest.mark.slow

# No dropout: the two layouts draw their dropout masks differently; without it they compute the same thing.
SAME_STEPS = {"max_steps": 6, "eval_steps": 3, "save_steps": 2, "lora_dropout": 0.0}
LONG = {"max_steps": 500, "eval_steps": 500, "save_steps": 500}


def job_config(root: Path, tiny_model: Path, **local: object) -> Path:
    """A project in ``root``: the tiny data (absolute paths, so jobs in two projects can run at once)."""
    train = write_rows(root / "data/train.jsonl", example_rows(24))
    validation = write_rows(root / "data/validation.jsonl", example_rows(6, offset=5))
    path = write_training_config(
        root / "config.yaml",
        tiny_model,
        {"cache_dir": str(root.parent / "cache"), **local},
        {"paths": {"runs_dir": str(root / "runs")}},
    )
    config = yaml.safe_load(path.read_text())
    config["training"].update(train_file=str(train), validation_file=str(validation))
    path.write_text(yaml.safe_dump(config))
    return path


def submit(config_path: Path):
    config = load_config(config_path, environ={})
    backend = get_backend("local", config)
    store = JobStore(config.paths.runs_dir)
    request = training.build_request(config)
    assert backend.check(request) == []
    return backend, training.submit(backend, request, config, store), store


def processes_of(run_dir: RunDir) -> list[psutil.Process]:
    """The job's supervisor and everything under it (torchrun starts its ranks in sessions of their own)."""
    supervisor = psutil.Process(int(run_dir.read_status()["supervisor_pid"]))
    return [supervisor, *supervisor.children(recursive=True)]


def trainer_ranks(tree: list[psutil.Process]) -> dict[int, psutil.Process]:
    return {
        int(process.environ()["RANK"]): process
        for process in tree
        if "--trainer" in process.cmdline() and "RANK" in process.environ()
    }


def left_behind(tree: list[psutil.Process], grace: float = 10.0) -> list[int]:
    """Processes of ``tree`` still alive after ``grace`` seconds (zombies waiting to be reaped count as gone)."""
    deadline = time.monotonic() + grace
    while True:
        alive = [p.pid for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def train_rows(run_dir: RunDir) -> dict[int, dict]:
    return {row["step"]: row for row in run_dir.read_metrics() if row["kind"] == "train"}


@pytest.fixture(scope="module")
def layouts(
    tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[JobRecord, RunDir]]:
    """The same 6 steps on the same data and seed: 2 processes of batch 2, and 1 process of batch 4."""
    root = tmp_path_factory.mktemp("layouts")
    jobs = {
        "two": submit(job_config(root / "two", tiny_model, processes=2, batch_size=2, **SAME_STEPS)),
        "one": submit(job_config(root / "one", tiny_model, processes=1, batch_size=4, **SAME_STEPS)),
    }
    done = {}
    for name, (backend, record, store) in jobs.items():
        status = wait_until(backend, record, lambda s: s.ended)
        assert status.state == "SUCCEEDED", f"{name}: {status.error}"
        record.apply(status)
        store.save(record)
        done[name] = (record, RunDir(Path(record.extra["run_dir"])))
    return done


def test_two_processes_of_batch_2_train_like_one_of_batch_4(layouts) -> None:
    (two, two_dir), (_, one_dir) = layouts["two"], layouts["one"]

    # the same global batch, recorded, and the same plan
    assert two.extra["launch"] == {
        "processes": 2,
        "nodes": 1,
        "node_rank": 0,
        "rdzv_endpoint": None,
        "world_size": 2,
        "global_batch_size": 4,
    }
    two_settings, one_settings = (json.loads(d.config.read_text()) for d in (two_dir, one_dir))
    assert (two_settings["global_batch_size"], two_settings["batch_size"]) == (4, 2)
    assert two_settings["processes"]["world_size"] == 2 and two_settings["processes"]["backend"] == "gloo"
    assert (one_settings["global_batch_size"], one_settings["processes"]["world_size"]) == (4, 1)

    # one row per step, written by rank 0 alone; each step trains the same examples with the same gradient
    two_steps, one_steps = train_rows(two_dir), train_rows(one_dir)
    assert [r["step"] for r in two_dir.read_metrics() if r["kind"] == "train"] == [1, 2, 3, 4, 5, 6]
    assert [r["step"] for r in two_dir.read_metrics() if r["kind"] == "eval"] == [0, 3, 6]
    for step, row in one_steps.items():
        assert two_steps[step]["tokens"] == row["tokens"]  # the global batch of step k: the same examples
        assert two_steps[step]["learning_rate"] == pytest.approx(row["learning_rate"])
        assert two_steps[step]["loss"] == pytest.approx(row["loss"], rel=1e-4)
        assert two_steps[step]["grad_norm"] == pytest.approx(row["grad_norm"], rel=1e-3)  # not halved by DDP

    final = {name: d.read_metrics()[-1]["eval_loss"] for name, d in (("two", two_dir), ("one", one_dir))}
    difference = abs(final["two"] - final["one"]) / final["one"]
    print(f"final eval loss: 2x2 {final['two']:.6f}, 1x4 {final['one']:.6f}, difference {difference:.4%}")
    assert difference < 0.02

    # the adapter, the plot and the status: once, by rank 0
    assert two_dir.log.read_text().count("saved the adapter") == 1
    assert "rank 0 saved the adapter" in two_dir.log.read_text()
    assert (two_dir.adapter / "adapter_model.safetensors").is_file() and two_dir.plot.is_file()
    endings = [json.loads(two_dir.rank_ending(rank).read_text())["ending"] for rank in (0, 1)]
    assert endings == ["succeeded", "succeeded"]


def test_every_job_writes_tensorboard_events(layouts) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    for record, run_dir in layouts.values():
        events = EventAccumulator(str(run_dir.tensorboard))
        events.Reload()
        scalars = {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
        assert [step for step, _ in scalars["train/loss"]] == [1, 2, 3, 4, 5, 6], record.id
        assert [step for step, _ in scalars["eval/loss"]] == [0, 3, 6]
        assert scalars["train/learning_rate"][0] == (1, pytest.approx(0.01))
        assert all(value > 0 for _, value in scalars["train/tokens_per_second"])
        losses = train_rows(run_dir)
        assert [value for _, value in scalars["train/loss"]] == pytest.approx(
            [losses[s]["loss"] for s in losses]
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_two_machines_on_loopback_train_to_succeeded(tiny_model: Path, tmp_path: Path) -> None:
    endpoint = f"127.0.0.1:{free_port()}"
    machines = {
        rank: submit(
            job_config(
                tmp_path / f"machine{rank}",
                tiny_model,
                nodes=2,
                node_rank=rank,
                rdzv_endpoint=endpoint,
                batch_size=2,
                **SAME_STEPS,
            )
        )
        for rank in (1, 0)  # the follower first: it waits for machine 0 at the endpoint
    }
    statuses = {
        rank: wait_until(backend, record, lambda s: s.ended)
        for rank, (backend, record, _) in machines.items()
    }

    assert statuses[0].state == "SUCCEEDED", statuses[0].error
    assert statuses[1].state == "SUCCEEDED", statuses[1].error
    leader, follower = (RunDir(Path(machines[rank][1].extra["run_dir"])) for rank in (0, 1))
    assert statuses[0].tuned_model == machines[0][1].id and (leader.adapter / "adapter_config.json").is_file()
    assert json.loads(leader.config.read_text())["processes"]["machines"] == 2
    assert [r["step"] for r in leader.read_metrics() if r["kind"] == "train"] == [1, 2, 3, 4, 5, 6]
    # the follower says what it was, trained, kept checkpoints to resume from, and wrote no results
    assert statuses[1].extra["role"] == "follower" and statuses[1].tuned_model is None
    assert statuses[1].detail == "machine 1 of 2: trained with machine 0, which holds the adapter"
    assert machines[1][1].extra["role"] == "follower"
    assert follower.last_checkpoint() is not None
    assert not follower.adapter.exists() and not follower.metrics.exists() and not follower.config.exists()


def test_a_killed_rank_fails_the_job_at_once_naming_it(tiny_model: Path, tmp_path: Path) -> None:
    backend, record, _ = submit(job_config(tmp_path, tiny_model, processes=2, batch_size=2, **LONG))
    run_dir = RunDir(Path(record.extra["run_dir"]))
    wait_until(backend, record, lambda s: (s.step or 0) >= 2)
    tree = processes_of(run_dir)

    killed_at = time.monotonic()
    trainer_ranks(tree)[1].send_signal(signal.SIGKILL)  # what the kernel's out-of-memory killer does
    status = wait_until(backend, record, lambda s: s.ended)
    seconds = time.monotonic() - killed_at

    print(f"FAILED {seconds:.1f}s after rank 1 was killed: {status.error}")
    assert status.state == "FAILED" and seconds < 60
    assert status.error == "rank 1 of 2 was killed (SIGKILL), most often by the out-of-memory killer"
    assert "lower local.batch_size or local.max_length" in status.extra["failure_hint"]
    assert left_behind(tree) == []


def test_cancel_stops_every_process(tiny_model: Path, tmp_path: Path) -> None:
    backend, record, store = submit(job_config(tmp_path, tiny_model, processes=2, batch_size=2, **LONG))
    run_dir = RunDir(Path(record.extra["run_dir"]))
    wait_until(backend, record, lambda s: (s.step or 0) >= 1)
    tree = processes_of(run_dir)
    assert len(trainer_ranks(tree)) == 2

    assert orchestration.cancel(backend, record, store)
    status = wait_until(backend, record, lambda s: s.ended)

    assert status.state == "CANCELLED" and status.detail == "cancelled by the user"
    assert left_behind(tree) == []
    assert not run_dir.adapter.exists() and store.load(record.id).state == "CANCELLED"


def test_a_killed_job_resumes_in_its_world_size_from_its_checkpoint(
    layouts, tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_path = job_config(tmp_path, tiny_model, processes=2, batch_size=2, **SAME_STEPS)
    backend, record, store = submit(config_path)
    run_dir = RunDir(Path(record.extra["run_dir"]))
    wait_until(backend, record, lambda s: run_dir.last_checkpoint() is not None and (s.step or 0) >= 3)
    tree = processes_of(run_dir)
    os.killpg(int(record.extra["pid"]), signal.SIGKILL)  # the supervisor's session, as a crash would
    killed = wait_until(backend, record, lambda s: s.state == "FAILED")
    record.apply(killed)
    store.save(record)
    assert left_behind(tree) == []  # torchrun and the ranks die with their parent
    checkpoint = int(run_dir.last_checkpoint().name.rpartition("-")[2])
    assert 2 <= checkpoint < 6

    # another world size: refused, in one line that names both
    code = run_cli("resume", record.id, "-c", str(config_path), "--processes", "1", "--no-monitor")
    err = capsys.readouterr().err
    assert code != 0 and "world size 2" in err and "world size 1" in err and "Traceback" not in err

    code = run_cli("resume", record.id, "-c", str(config_path), "--no-monitor")  # as it ran: 2 processes
    assert code == 0
    record = store.load(record.id)  # the resumed worker's, as a fresh shell would follow it
    backend = get_backend("local", load_config(config_path, environ={}))
    status = wait_until(backend, record, lambda s: s.ended)
    assert status.state == "SUCCEEDED", status.error

    steps = [r["step"] for r in run_dir.read_metrics() if r["kind"] == "train"]
    assert steps == [1, 2, 3, 4, 5, 6]  # from the checkpoint on, none lost, none repeated
    reference = train_rows(layouts["two"][1])
    for step, row in train_rows(run_dir).items():  # the same data position and schedule as uninterrupted
        assert row["loss"] == pytest.approx(reference[step]["loss"], rel=1e-4), step
        assert row["learning_rate"] == pytest.approx(reference[step]["learning_rate"])
