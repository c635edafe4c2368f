"""Options shared by several commands, spelled once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from codetune.config import Config

ConfigOption = typer.Option(
    None, "--config", "-c", help="Config file (default: config/config.yaml when present).", show_default=False
)
YesOption = typer.Option(False, "--yes", "-y", help="Confirm uploads and paid jobs without asking.")
BackendOption = typer.Option(None, "--backend", "-b", help="local | vertex (default: training.backend).")
SourceOption = typer.Option(
    None,
    "--source",
    "-s",
    help="Java sources: a directory, a .zip/.jar of sources, or a git URL (default: data.source).",
)


def load(config_path: Path | None, **overrides: dict[str, object]) -> Config:
    """Load the config with command-line overrides (None values are ignored)."""
    from codetune.config import load_config

    return load_config(config_path, overrides={k: v for k, v in overrides.items() if v})
