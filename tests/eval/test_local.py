"""`codetune test` and `codetune eval` on the local backend: a real (tiny) LoRA job, trained by the real worker."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from codetune.cli.app import main

pytest.importorskip("peft")


@pytest.fixture(scope="module")
def local_job(
    tiny_model: Path, tmp_path_factory: pytest.TempPathFactory, dataset_writer, java_sources
) -> tuple[Path, str]:
    """A project with a succeeded local job on the tiny model (two LoRA steps): (project dir, job id)."""
    from codetune import training
    from codetune.backends import get_backend
    from codetune.config import load_config
    from codetune.jobs import JobStore, wait

    root = tmp_path_factory.mktemp("local-project")
    validation = dataset_writer(root / "data")
    train = root / "data" / "train.jsonl"
    train.write_text(validation.read_text() * 2)
    sources = root / "src" / "com" / "acme"
    sources.mkdir(parents=True)
    (sources / "Cart.java").write_text(java_sources)
    config_data = {
        "training": {"backend": "local", "train_file": str(train), "validation_file": str(validation)},
        "local": {
            "base_model": str(tiny_model),
            "max_steps": 2,
            "batch_size": 2,
            "eval_steps": 1,
            "save_steps": 2,
        },
        "testing": {"eval_max_output_tokens": 12, "max_output_tokens": 12},
        "paths": {"runs_dir": str(root / "runs"), "reports_dir": str(root / "reports")},
        "data": {"source": str(root / "src")},
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config_data))
    config = load_config(root / "config.yaml", environ={})
    backend = get_backend("local", config)
    store = JobStore(config.paths.runs_dir)
    record = training.submit(backend, training.build_request(config), config, store)
    status = wait(backend, record, store, poll_interval=0.5)
    assert status.state == "SUCCEEDED", (
        status.error,
        (store.job_dir(record.id) / "worker.log").read_text()[-3000:],
    )
    return root, record.id


def test_prompt_and_compare_from_one_loaded_model(local_job, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from codetune.backends.local import chat as local_chat

    root, job = local_job
    monkeypatch.chdir(root)
    loaded = len(local_chat._LOADED)
    main(["test", "-m", job, "-p", "What does size() do?", "--compare", "--config", "config.yaml"])
    out = capsys.readouterr().out
    assert "tuned" in out and "base" in out and out.count("out tokens") == 2  # side by side, with counts
    assert len(local_chat._LOADED) <= loaded + 1  # tuned and base share one loaded model


@pytest.mark.slow
def test_interactive_history_through_the_seed_script(local_job, repo_root: Path) -> None:
    root, job = local_job
    done = subprocess.run(
        [
            sys.executable,
            str(repo_root / "scripts" / "test_model.py"),
            "-m",
            job,
            "-i",
            "--config",
            "config.yaml",
        ],
        input="What does size() do?\nAnd add()?\n/history\n/quit\n",
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    stats = [(int(a), int(b)) for a, b in re.findall(r"(\d+) in / (\d+) out tokens", done.stdout)]
    assert len(stats) == 2
    # The second turn's prompt holds the first question and answer: history goes to the model.
    assert stats[1][0] > stats[0][0] + stats[0][1]
    assert "you (2): And add()?" in done.stdout


@pytest.mark.slow
def test_eval_report_with_loss_curve_and_local_judge(
    local_job, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    root, job = local_job
    monkeypatch.chdir(root)
    main(["eval", "-m", job, "--limit", "3", "--judge", "base", "--config", "config.yaml"])
    out = capsys.readouterr().out
    assert "report:" in out
    report = json.loads((root / "reports" / job / "report.json").read_text())
    assert report["backend"] == "local" and report["data"]["evaluated"] == 3
    assert set(report["models"]) == {"tuned", "base"}
    assert report["models"]["tuned"] != report["models"]["base"]
    assert sum(report["judge"]["tally"].values()) == 3
    strategies = {row["strategy"] for row in report["table"]}
    assert {"code_explanation", "code_generation", "code_review", "all"} <= strategies
    assert report["training"]["validation_loss"] is not None  # from the job's metrics.jsonl
    # The references' held-out loss on the whole validation set (4 examples), both sides, kept for a rerun.
    assert report["heldout"] == {"available": True, "examples": 4, "file": "heldout.jsonl"}
    saved = (root / "reports" / job / "heldout.jsonl").read_text().splitlines()
    assert len(saved) == 4 * 2
    page = (root / "reports" / job / "report.html").read_text()
    assert "data:image/png;base64," in page  # the job's loss.png, embedded


def _trainer_eval_loss(losses: list[dict], lengths: list[int], batch_size: int) -> float:
    """The validation loss as the trainer computes it from per-example scores: examples sorted by length
    (as the recipe sorts them), batches of ``batch_size``, each batch's loss the mean over its answer
    tokens, and the evaluation loss the mean of the batch losses weighted by their examples."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    weighted = 0.0
    for batch in batches:
        tokens = sum(losses[i]["tokens"] for i in batch)
        weighted += len(batch) * sum(losses[i]["loss"] * losses[i]["tokens"] for i in batch) / tokens
    return weighted / len(lengths)


def test_heldout_loss_is_the_loss_training_computed(local_job, tmp_path: Path) -> None:
    """Tuned: the trainer's last validation loss; base: its loss before the first step (LoRA starts at zero)."""
    from transformers import AutoTokenizer

    from codetune.backends.local.data import encode, read_conversations
    from codetune.chat import open_models, resolve_target
    from codetune.config import load_config
    from codetune.eval.heldout import heldout_losses
    from codetune.eval.samples import load_samples

    root, job = local_job
    config = load_config(root / "config.yaml", environ={})
    target = resolve_target(config, job)
    models = open_models(config, target, compare=True)
    validation = root / "data" / "validation.jsonl"
    samples = load_samples(validation)
    held = heldout_losses(samples, models, out_dir=tmp_path)

    run_dir = Path(target.record.extra["run_dir"])
    evaluations = [
        json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if '"eval"' in line
    ]
    assert evaluations[0]["step"] == 0 and evaluations[-1]["step"] == 2
    tokenizer = AutoTokenizer.from_pretrained(str(run_dir / "adapter"))
    lengths = [
        len(encode(tokenizer, c, tokenizer.eos_token)[0].input_ids) for c in read_conversations(validation)
    ]
    for side, expected in (("base", evaluations[0]["eval_loss"]), ("tuned", evaluations[-1]["eval_loss"])):
        losses = [held.losses[(sample.id, side)] for sample in samples]
        assert _trainer_eval_loss(losses, lengths, batch_size=2) == pytest.approx(expected, rel=1e-5), side
    assert all(row["tokens"] > 5 for row in held.losses.values())
    # two LoRA steps at this learning rate move the loss: the sides are told apart
    assert held.losses[(samples[0].id, "tuned")]["loss"] != held.losses[(samples[0].id, "base")]["loss"]
