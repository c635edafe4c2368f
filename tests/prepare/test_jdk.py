"""End to end on the JDK's own sources (Debian's openjdk-17-source): prepare's output passes the validator.

A JDK package runs by default; the whole of java.base (about 3,100 files) is marked slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codetune.dataset.pipeline import prepare
from codetune.dataset.validate import validate_file
from codetune.sources import resolve_source
from support.javac import SRC_ZIP

from .conftest import make_config

pytestmark = pytest.mark.skipif(not SRC_ZIP.is_file(), reason="needs openjdk-17-source (make system-deps)")


@pytest.fixture(scope="module")
def jdk_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jdk-sources")


def check_outputs(out: Path) -> dict:  # type: ignore[type-arg]
    manifest = json.loads((out / "manifest.json").read_text())
    for split in ("train", "validation"):
        result = validate_file(out / f"{split}.jsonl", "vertex", split=split)
        assert result.ok, result.errors[:3]
        assert result.rows == len(manifest[split])
    assert not {r["group"] for r in manifest["train"]} & {r["group"] for r in manifest["validation"]}
    return manifest


def test_a_jdk_package_prepares_into_valid_vertex_files(tmp_path: Path, jdk_cache: Path) -> None:
    root = resolve_source(f"{SRC_ZIP}:java.base/java/util/concurrent", cache_dir=jdk_cache)
    result = prepare(make_config(workers=2), root, tmp_path / "out", source_label="java.util.concurrent")
    manifest = check_outputs(tmp_path / "out")
    counts = result.report["strategies"]
    assert all(counts[name]["examples"] > 50 for name in counts), counts
    assert result.report["units"]["kept"] > 500
    assert manifest["split"]["validation"] > 0
    # The package's own license headers and @author lines must not turn into "secrets".
    assert result.report["secrets_scrubbed"]["total"] < 10


@pytest.mark.slow
def test_all_of_java_base_prepares_into_valid_vertex_files(tmp_path: Path, jdk_cache: Path) -> None:
    root = resolve_source(f"{SRC_ZIP}:java.base", cache_dir=jdk_cache)
    result = prepare(make_config(workers=0), root, tmp_path / "out", source_label="java.base")
    check_outputs(tmp_path / "out")
    report = result.report
    assert report["files"]["scanned"] > 3000
    assert report["files_dropped"].get("generated", 0) > 50  # the JDK's template-generated nio classes
    assert report["duplicates_removed"]["exact"] > 500
    assert all(info["examples"] > 5000 for info in report["strategies"].values())
    assert report["split"]["validation"] <= 5000
