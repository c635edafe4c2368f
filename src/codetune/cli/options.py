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


ProcessesOption = typer.Option(
    None,
    "--processes",
    help="Training processes on this machine: a number, or auto (one per GPU). Default: local.processes.",
)
NodesOption = typer.Option(None, "--nodes", min=1, help="Machines training together (default: local.nodes).")
NodeRankOption = typer.Option(
    None,
    "--node-rank",
    min=0,
    help="This machine's number, 0 to nodes-1; 0 writes the results (default: local.node_rank).",
)
EndpointOption = typer.Option(
    None,
    "--rdzv-endpoint",
    help="host:port of machine 0, where the machines meet (default: local.rdzv_endpoint).",
)


def launch_settings(
    processes: str | None, nodes: int | None, node_rank: int | None, rdzv_endpoint: str | None
) -> dict[str, object]:
    """The ``local`` overrides the launch options give (the ones not given are left to the config).

    >>> launch_settings("2", None, 0, None)
    {'processes': '2', 'node_rank': 0}
    """
    given = {"processes": processes, "nodes": nodes, "node_rank": node_rank, "rdzv_endpoint": rdzv_endpoint}
    return {key: value for key, value in given.items() if value is not None}


def load(config_path: Path | None, **overrides: dict[str, object]) -> Config:
    """Load the config with command-line overrides (None values are ignored)."""
    from codetune.config import load_config

    return load_config(config_path, overrides={k: v for k, v in overrides.items() if v})
