"""The local backend end to end on a tiny Llama: the real worker process, TRL and PEFT, no mocks."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from codetune import orchestration, training
from codetune.backends import get_backend
from codetune.backends.base import GenerationOptions
from codetune.backends.local.rundir import RunDir
from codetune.config import load_config
from codetune.job_state import JobStatus
from codetune.jobs import JobRecord, JobStore
from codetune.records import Message
from support.tiny_model import write_training_config

TIMEOUT = 240.0


def start(config_path: Path):
    config = load_config(config_path)
    backend = get_backend("local", config)
    store = JobStore(config.paths.runs_dir)
    request = training.build_request(config)
    assert backend.check(request) == []
    record = training.submit(backend, request, config, store)
    return backend, record, store


def wait_until(
    backend, record: JobRecord, condition: Callable[[JobStatus], bool], seen: list[str] | None = None
) -> JobStatus:
    deadline = time.monotonic() + TIMEOUT
    while True:
        status = backend.status(record)
        if seen is not None and (not seen or seen[-1] != status.state):
            seen.append(status.state)
        if condition(status) or status.ended:
            return status
        assert time.monotonic() < deadline, f"job stuck in {status.state} ({status.detail})"
        time.sleep(0.1)


def lora_tensors(adapter: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(adapter / "adapter_model.safetensors")


@pytest.fixture(scope="module")
def finished(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory):
    """One uninterrupted 6-step job (shared: the resume test compares against it)."""
    from .conftest import example_rows, write_rows

    root = tmp_path_factory.mktemp("finished")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        write_rows(root / "data/processed/train.jsonl", example_rows(24))
        write_rows(root / "data/processed/validation.jsonl", example_rows(6, offset=5))
        config_path = _config(root, tiny_model)
        backend, record, store = start(config_path)
        seen: list[str] = []
        status = wait_until(backend, record, lambda s: s.ended, seen)
        record.apply(status)
        store.save(record)
        yield backend, record, status, seen, root
    finally:
        os.chdir(cwd)


def _config(root: Path, tiny_model: Path, **local: object) -> Path:
    return write_training_config(
        root / "config.yaml",
        tiny_model,
        {"cache_dir": str(root / "cache"), **local},
        {"paths": {"runs_dir": str(root / "runs")}},
    )


def test_a_job_trains_saves_and_reports(finished, tiny_model: Path) -> None:
    backend, record, status, seen, _ = finished
    run_dir = RunDir(Path(record.extra["run_dir"]))

    assert status.state == "SUCCEEDED", status.error
    assert seen[0] == "PENDING" and "RUNNING" in seen and seen[-1] == "SUCCEEDED"
    assert status.tuned_model == record.id and (status.step, status.total_steps) == (6, 6)
    assert status.metrics["tokens_per_second"] > 0

    rows = run_dir.read_metrics()
    assert [r["step"] for r in rows if r["kind"] == "train"] == [1, 2, 3, 4, 5, 6]
    assert [r["step"] for r in rows if r["kind"] == "eval"] == [
        0,
        3,
        6,
    ]  # at the start, every 3 steps, the end
    evals = [r["eval_loss"] for r in rows if r["kind"] == "eval"]
    assert evals[-1] < evals[0]  # it learned something about the held-out answers
    assert run_dir.plot.read_bytes().startswith(b"\x89PNG")
    tokens = json.loads(run_dir.tokens.read_text())
    assert tokens["train"]["examples"] == 24 and tokens["train"]["tokens"]["max"] <= 256
    settings = json.loads(run_dir.config.read_text())
    assert settings["hardware"]["precision"] == "fp32" and settings["lora"]["r"] == 16  # local.lora_rank

    # the adapter changed (LoRA B starts at zero), the base model did not
    lora_b = [t for name, t in lora_tensors(run_dir.adapter).items() if "lora_B" in name]
    assert lora_b and all(t.abs().sum() > 0 for t in lora_b)
    assert (run_dir.adapter / "chat_template.jinja").is_file()  # served with the template it was trained with

    tuned = backend.chat_model(record.tuned_model, record=record)
    base = backend.chat_model(None, record=record, base=True)
    assert tuned._model is base._model  # one loaded model, the adapter toggled
    import torch
    from transformers import AutoModelForCausalLM

    original = AutoModelForCausalLM.from_pretrained(tiny_model)
    ids = torch.tensor([[1, 4093, 198, 6004, 2]])
    with torch.no_grad():
        reference = original(ids).logits
        with tuned._model.disable_adapter():
            as_base = tuned._model(ids).logits
        adapted = tuned._model(ids).logits
    assert torch.allclose(reference, as_base, atol=1e-5)
    assert not torch.allclose(reference, adapted, atol=1e-3)

    options = GenerationOptions(temperature=0.0, max_output_tokens=5)
    reply = tuned.generate(
        [Message("user", "Explain: int f() { return 1; }")], system="Be brief.", options=options
    )
    assert reply.output_tokens and reply.output_tokens <= 5 and reply.finish_reason in ("STOP", "MAX_TOKENS")
    assert base.generate([Message("user", "Hi")], system=None, options=options).model.endswith("(base)")


@pytest.mark.slow
def test_a_killed_job_resumes_from_its_checkpoint(
    finished, tiny_model: Path, tmp_path: Path, monkeypatch
) -> None:
    from .conftest import example_rows, write_rows

    monkeypatch.chdir(tmp_path)
    write_rows(tmp_path / "data/processed/train.jsonl", example_rows(24))
    write_rows(tmp_path / "data/processed/validation.jsonl", example_rows(6, offset=5))
    config_path = _config(tmp_path, tiny_model)
    backend, record, store = start(config_path)
    run_dir = RunDir(Path(record.extra["run_dir"]))

    wait_until(backend, record, lambda s: run_dir.last_checkpoint() is not None and (s.step or 0) >= 3)
    os.killpg(int(record.extra["pid"]), signal.SIGKILL)  # the worker and its trainer, as a crash would
    killed = wait_until(backend, record, lambda s: s.state == "FAILED")
    assert killed.state == "FAILED" and "stopped without finishing" in (killed.error or "")
    assert f"codetune resume {record.id}" in killed.extra["failure_hint"]
    checkpoint_step = int(run_dir.last_checkpoint().name.rpartition("-")[2])
    assert 2 <= checkpoint_step < 6
    assert store.load(record.id).state == "PENDING"  # the record on disk has not seen the kill

    # A retried `train` or `run` for the same data and config reads the job again and continues it.
    config = load_config(config_path)
    decision = orchestration.start_or_reuse(backend, training.build_request(config), config, store)
    assert (decision.action, decision.record.id) == ("resumed", record.id)
    assert [r.id for r in store.all()] == [record.id]  # no second job
    status = wait_until(backend, record, lambda s: s.ended)
    assert status.state == "SUCCEEDED", status.error

    rows = run_dir.read_metrics()
    train_steps = [r["step"] for r in rows if r["kind"] == "train"]
    assert train_steps == [1, 2, 3, 4, 5, 6]  # no step lost, none repeated
    state = json.loads((run_dir.last_checkpoint() / "trainer_state.json").read_text())
    assert state["global_step"] == 6
    # same data position, LR schedule and RNG as the uninterrupted run: the same losses and weights
    _, reference_record, _, _, _ = finished
    reference_dir = RunDir(Path(reference_record.extra["run_dir"]))
    reference = {r["step"]: r for r in reference_dir.read_metrics() if r["kind"] == "train"}
    for row in rows:
        if row["kind"] == "train":
            assert row["loss"] == pytest.approx(reference[row["step"]]["loss"], rel=1e-4)
            assert row["learning_rate"] == pytest.approx(reference[row["step"]]["learning_rate"])
    resumed, uninterrupted = lora_tensors(run_dir.adapter), lora_tensors(reference_dir.adapter)
    for name, tensor in uninterrupted.items():
        assert (resumed[name] - tensor).abs().max() < 1e-4, name


def _refuse() -> None:
    raise AssertionError("a free, local job asked for confirmation")


@pytest.mark.slow
def test_cancel_stops_the_worker_cleanly(project, tmp_path: Path) -> None:
    config = load_config(project(max_steps=500, eval_steps=500, save_steps=500))
    backend, store = get_backend("local", config), JobStore(config.paths.runs_dir)
    decision = orchestration.start_or_reuse(
        backend, training.build_request(config), config, store, confirm=_refuse
    )
    record = decision.record
    assert decision.action == "started"
    wait_until(backend, record, lambda s: (s.step or 0) >= 1)

    assert orchestration.cancel(backend, record, store)
    status = wait_until(backend, record, lambda s: s.ended)

    assert status.state == "CANCELLED"
    run_dir = RunDir(Path(record.extra["run_dir"]))
    assert not run_dir.worker_alive() and not run_dir.adapter.exists()
    assert not orchestration.cancel(backend, record, store)  # already ended
    assert store.load(record.id).state == "CANCELLED"
