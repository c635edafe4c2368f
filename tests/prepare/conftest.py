"""Shared parts of the prepare tests: the fixture project, configs, and a one-call prepare run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from codetune.config import Config

HERE = Path(__file__).parent
PROJECT = HERE / "fixtures" / "project"
GOLDEN = HERE / "golden"
ALL_STRATEGIES = ["code_explanation", "code_generation", "code_review"]


def make_config(**data: Any) -> Config:
    """Defaults plus ``data`` overrides; all three strategies; one process unless asked."""
    strategy = data.pop("strategy", {"name": ALL_STRATEGIES})
    data.setdefault("workers", 1)
    return Config.model_validate({"data": data, "strategy": strategy})


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def all_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*")) if p.is_file())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the fixture project (tests add files to it)."""
    target = tmp_path / "project"
    shutil.copytree(PROJECT, target)
    return target


@pytest.fixture
def update_golden() -> bool:
    return os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")
