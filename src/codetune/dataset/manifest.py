"""What prepare says about the data it wrote: ``manifest.json`` and the figures the report shares with it.

The manifest holds one record per output line, the counts, the config that decides the data, the
versions of the tools and the hashes of input and output; it never holds paths or times, so the same
input, config and seed give the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.io import sha256_file

if TYPE_CHECKING:
    from codetune.config import Config, DataConfig
    from codetune.dataset.split import Split
    from codetune.dataset.stats import PrepareStats
    from codetune.formats import Format
    from codetune.records import Example

VERSIONED_PACKAGES = ("tree-sitter", "tree-sitter-java", "datasketch", "detect-secrets")


@dataclass(frozen=True)
class Summary:
    """What the manifest and the report both say about the written files, per side of the split."""

    split: dict[str, Any]  # sizes, groups, per strategy
    tokens: dict[str, Any]  # estimated tokens: min, p50, p95, max, total
    outputs: dict[str, Any]  # file name, examples, sha256


def summarize(files: dict[str, Path], split: Split, data: DataConfig) -> Summary:
    """The split, the tokens and the output files (with hashes), per side."""
    from codetune.dataset.split import strategy_counts
    from codetune.dataset.stats import token_summary

    sides = (("train", split.train), ("validation", split.validation))
    tokens = {
        name: token_summary([int(e.meta.get("tokens", 0)) for e in examples]) for name, examples in sides
    }
    outputs = {
        name: {"file": files[name].name, "examples": len(examples), "sha256": sha256_file(files[name])}
        for name, examples in sides
    }
    split_info = {
        "train": len(split.train),
        "validation": len(split.validation),
        "train_groups": split.train_groups,
        "validation_groups": split.validation_groups,
        "validation_target": split.target,
        "validation_group_names": split.validation_group_names,
        "group_by": data.group_by,
        "seed": data.seed,
        "per_strategy": {
            "train": strategy_counts(split.train),
            "validation": strategy_counts(split.validation),
        },
    }
    return Summary(split=split_info, tokens=tokens, outputs=outputs)


def build_manifest(
    fmt: Format,
    label: str,
    file_hashes: list[str],
    config: Config,
    stats: PrepareStats,
    split: Split,
    summary: Summary,
) -> dict[str, Any]:
    """One record per output line, counts, config, versions and hashes: the same for the same input."""
    return {
        "format": fmt.name,
        "validation_target": fmt.validation_target,
        "source": label,
        "input_sha256": hashlib.sha256("\n".join(file_hashes).encode("utf-8")).hexdigest(),
        "tool_versions": tool_versions(),
        "config": config_snapshot(config),
        "counts": stats.counts(),
        "split": summary.split,
        "tokens_estimated": summary.tokens,
        "outputs": summary.outputs,
        "train": manifest_records(split.train),
        "validation": manifest_records(split.validation),
    }


def tool_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from codetune import __version__

    versions = {"codetune": __version__}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def config_snapshot(config: Config) -> dict[str, Any]:
    """The sections that decide the data; paths are left out so the output directory does not change it."""
    snapshot = config.snapshot()
    data = {k: v for k, v in snapshot["data"].items() if k not in ("source", "output", "workers")}
    return {"data": data, "strategy": snapshot["strategy"]}


def manifest_records(examples: Sequence[Example]) -> list[dict[str, str]]:
    """One record per output line; a teacher-written example says so (``source: teacher``) and names the
    model that wrote its Javadoc."""
    records = []
    for e in examples:
        record = {
            "example_id": e.id,
            "unit_id": e.unit_id,
            "source_file": e.source_file,
            "group": e.group,
            "strategy": e.strategy,
        }
        if e.meta.get("source") == "teacher":
            record.update(source="teacher", teacher_model=str(e.meta.get("teacher_model")))
        records.append(record)
    return records
