"""A project set up for the vertex backend against loopback servers: data, a bucket, a config file.

The ``workspace`` fixture combines fake-gcs-server (:mod:`support.gcs_emulator`), the Vertex stand-in
(:mod:`support.vertex_standin`, reading datasets from the emulator), small valid Gemini JSONL files with their
prepare manifest, and a config whose ``gcp.api_endpoint`` points at the stand-in. Import the fixtures in a
conftest: ``from support.vertex_workspace import workspace, gcs_emulator, gcs_emulator_server``.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.gcs_emulator import GcsEmulator
from support.vertex_standin import VertexStandIn, running_standin

# google-auth reads this once, at import: never probe a GCE metadata server from the test suite.
os.environ.setdefault("NO_GCE_CHECK", "true")

_buckets = itertools.count(1)

ROWS = [
    {
        "systemInstruction": {"role": "system", "parts": [{"text": "You are an expert Java developer."}]},
        "contents": [
            {
                "role": "user",
                "parts": [{"text": f"Explain this Java method:\nint size{i}() {{ return n{i}; }}"}],
            },
            {"role": "model", "parts": [{"text": f"size{i} returns the number of elements, n{i}."}]},
        ],
    }
    for i in range(4)
]


@dataclass
class Workspace:
    """A project directory with prepared data, a manifest and a vertex config pointing at the stand-ins."""

    root: Path
    config_path: Path
    bucket: str
    gcs: GcsEmulator
    vertex: VertexStandIn

    @property
    def train_file(self) -> Path:
        return self.root / "data" / "processed" / "train.jsonl"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def write_config(self, **sections: dict[str, Any]) -> Path:
        """Rewrite the config; ``sections`` update the defaults, e.g. ``training={"adapter_size": 16}``."""
        import yaml

        config: dict[str, Any] = {
            "gcp": {
                "project_id": "test-project",
                "location": "us-central1",
                "staging_bucket": self.bucket,
                "api_endpoint": self.vertex.url,
            },
            "training": {
                "backend": "vertex",
                "base_model": "gemini-2.5-flash",
                "epochs": 3,
                "learning_rate_multiplier": 1.0,
                "adapter_size": 4,
                "poll_interval_seconds": 0.01,
                "display_name": "codetune-test",
                "train_file": str(self.train_file),
                "validation_file": str(self.train_file.with_name("validation.jsonl")),
                "retry": {
                    "attempts": 3,
                    "initial_delay_seconds": 0.01,
                    "max_delay_seconds": 0.05,
                    "timeout_seconds": 10,
                },
            },
            "paths": {"runs_dir": str(self.runs), "reports_dir": str(self.root / "reports")},
        }
        for name, values in sections.items():
            config.setdefault(name, {}).update(values)
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return self.config_path

    def config(self, **sections: dict[str, Any]) -> Any:
        from codetune.config import load_config

        return load_config(self.write_config(**sections), environ={})


def write_data(directory: Path, rows: list[dict[str, Any]] = ROWS, validation: int = 1) -> None:
    """train.jsonl, validation.jsonl and the prepare manifest (one entry per line, in order)."""
    directory.mkdir(parents=True, exist_ok=True)
    train, held_out = rows[validation:], rows[:validation]
    for name, part in (("train", train), ("validation", held_out)):
        (directory / f"{name}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in part), encoding="utf-8"
        )
    manifest = {
        split: [
            {
                "example_id": f"ex{split[0]}{i}",
                "unit_id": f"com.acme.Bag#size{i}()",
                "source_file": f"src/main/java/com/acme/Bag{i}.java",
                "group": "com.acme.Bag",
                "strategy": "code_explanation",
            }
            for i in range(len(part))
        ]
        for split, part in (("train", train), ("validation", held_out))
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


@pytest.fixture
def workspace(
    tmp_path: Path, gcs_emulator: GcsEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    """Data, a fresh bucket, a Vertex stand-in reading datasets from the emulator, and a config file."""
    # No real Google account may leak in: no ADC file, no metadata server probe, no API keys.
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_CLOUD_PROJECT", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)
    bucket = f"codetune-test-{next(_buckets)}-{tmp_path.name[-8:].lower().replace('_', '-')}"
    gcs_emulator.create_bucket(bucket)
    write_data(tmp_path / "data" / "processed")
    with running_standin(storage_url=gcs_emulator.url) as vertex:
        space = Workspace(tmp_path, tmp_path / "vertex.yaml", bucket, gcs_emulator, vertex)
        space.write_config()
        yield space
