from __future__ import annotations

from pathlib import Path

import pytest

from codetune.config import load_config
from codetune.errors import ConfigError


def test_repository_config_is_valid_and_keeps_seed_keys(repo_root: Path) -> None:
    config = load_config(repo_root / "config" / "config.yaml", environ={})
    assert config.training.backend == "local"
    assert config.training.base_model == "gemini-2.5-flash"
    assert config.training.adapter_size == 4
    assert config.gcp.location == "us-central1"
    assert config.strategy.system_instruction.startswith("You are an expert Java developer")


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("training:\n  epoch: 3\n  adapter_size: 0\ngcp:\n  locaton: x\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    message = str(info.value)
    assert "training.epoch: unknown key" in message
    assert "training.adapter_size" in message
    assert "gcp.locaton: unknown key" in message


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("training:\n  backend: local\n")
    config = load_config(
        path,
        environ={"CODETUNE_TRAINING_BACKEND": "vertex", "CODETUNE_GCP_API_ENDPOINT": "http://127.0.0.1:1"},
    )
    assert config.training.backend == "vertex"
    assert config.gcp.api_endpoint == "http://127.0.0.1:1"


def test_missing_explicit_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml", environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad, environ={})
    unknown = tmp_path / "u.yaml"
    unknown.write_text("trainig: {}\n")
    with pytest.raises(ConfigError, match="unknown section"):
        load_config(unknown, environ={})
