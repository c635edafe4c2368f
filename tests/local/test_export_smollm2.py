"""`codetune export` of a job on the real SmolLM2-135M, trained for a few steps (slow: a few minutes):
the merged directory answers exactly like the adapter model, the q8_0 GGUF agrees on >= 95% of tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codetune.backends.local.export import export_job
from codetune.config import load_config

from .test_backend import start, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2_job(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    import os

    from support.tiny_model import write_training_config

    from .conftest import example_rows, write_rows

    try:
        cache = str(request.config.cache.mkdir("codetune-models"))  # the GGUF is converted once per machine
    except AttributeError:
        cache = str(tmp_path_factory.mktemp("models"))
    root = tmp_path_factory.mktemp("export-smollm2")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        write_rows(root / "data/processed/train.jsonl", example_rows(24))
        write_rows(root / "data/processed/validation.jsonl", example_rows(6, offset=5))
        config_path = write_training_config(
            root / "config.yaml",
            Path("smollm2"),
            {
                "base_model": "smollm2",
                "cache_dir": cache,
                "max_steps": 4,
                "batch_size": 2,
                "eval_steps": 4,
                "eval_max_examples": 2,
                "learning_rate": 1e-3,
            },
            {"testing": {"eval_max_output_tokens": 48}},
        )
        backend, record, store = start(config_path)
        status = wait_until(backend, record, lambda s: s.ended)
        assert status.state == "SUCCEEDED", status.error
        record.apply(status)
        store.save(record)
        yield load_config(config_path), record, root
    finally:
        os.chdir(cwd)


def test_merged_smollm2_answers_exactly_like_the_adapter_model(smollm2_job) -> None:
    import torch
    from safetensors import safe_open

    config, record, root = smollm2_job
    result = export_job(config, record.id, format="merged", check=3)

    [check] = result.checks
    print(f"merged: {check.summary()}; {result.files['model.safetensors']:,} bytes")
    assert (check.answers, check.identical, check.token_share) == (3, 3, 1.0)
    assert result.precision == "float32" and result.files["model.safetensors"] > 500_000_000
    info = json.loads((Path(record.extra["run_dir"]) / "adapter/codetune-adapter.json").read_text())
    name = "model.layers.0.self_attn.q_proj.weight"
    with (
        safe_open(str(Path(info["base_path"]) / "model.safetensors"), "pt") as base,
        safe_open(str(result.directory / "model.safetensors"), "pt") as merged,
    ):
        assert not torch.equal(base.get_tensor(name), merged.get_tensor(name))  # four steps moved the weights


def test_q8_0_smollm2_gguf_agrees_on_at_least_95_percent_of_tokens(smollm2_job) -> None:
    config, record, root = smollm2_job
    result = export_job(config, record.id, format="gguf", check=3)

    for check in result.checks:
        print(f"q8_0, {check.loader}: {check.summary()}")
    reader, cpp = result.checks
    assert reader.tokens > 50 and reader.token_share >= 0.95 and reader.note is None
    assert cpp.skipped or (cpp.token_share >= 0.95 and cpp.note is None)
    assert 130_000_000 < result.files[f"{record.id}-q8_0.gguf"] < 160_000_000  # ~1.06 bytes per weight
