"""The real bundled model, SmolLM2-135M-Instruct from its GGUF, for a few steps (slow: ~1 minute)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codetune.backends.base import GenerationOptions
from codetune.backends.local.rundir import RunDir
from codetune.records import Message

from .test_backend import start, wait_until

pytestmark = pytest.mark.slow


def test_smollm2_trains_a_few_steps_and_answers(project, request: pytest.FixtureRequest) -> None:
    try:
        cache = str(request.config.cache.mkdir("codetune-models"))  # the GGUF is converted once per machine
    except AttributeError:
        cache = str(Path("cache").resolve())
    config = project(
        base_model="smollm2",
        cache_dir=cache,
        max_steps=3,
        batch_size=2,
        eval_steps=3,
        eval_max_examples=2,
        learning_rate=2e-4,
    )
    backend, record, store = start(config)

    status = wait_until(backend, record, lambda s: s.ended)

    assert status.state == "SUCCEEDED", status.error
    run_dir = RunDir(Path(record.extra["run_dir"]))
    settings = json.loads(run_dir.config.read_text())
    assert settings["base_model"]["kind"] == "bundled" and settings["hardware"]["device"] in (
        "cpu",
        "cuda",
        "mps",
    )
    if settings["hardware"]["device"] == "cpu":
        assert settings["hardware"]["precision"] == "fp32"  # never emulated bf16
    tokens = json.loads(run_dir.tokens.read_text())
    assert tokens["end_of_turn"] == "<|im_end|>" and tokens["train"]["dropped_over_length"] == 0
    losses = [row["loss"] for row in run_dir.read_metrics() if row["kind"] == "train"]
    assert len(losses) == 3 and all(0 < loss < 10 for loss in losses)  # a trained model, not random weights

    tuned = backend.chat_model(record.id, record=record)
    reply = tuned.generate(
        [Message("user", "Explain this Java method:\npublic int size() { return n; }")],
        system="You are an expert Java developer.",
        options=GenerationOptions(temperature=0.0, max_output_tokens=12),
    )
    assert reply.text.strip() and reply.output_tokens <= 12
