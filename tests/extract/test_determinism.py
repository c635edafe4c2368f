"""Same input -> byte-identical output, for any number of workers; results stream in order."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from codetune.extract import ExtractOptions, extract_files, extract_to_jsonl
from codetune.extract.pipeline import resolve_workers
from support.javac import SRC_ZIP, unzip_jdk


def jsonl_bytes(root: Path, out: Path, workers: int) -> tuple[bytes, bytes]:
    extract_to_jsonl(root, out / "units.jsonl", ExtractOptions(workers=workers))
    report = (out / "units.report.json").read_text(encoding="utf-8").replace(str(out), "OUT")
    return (out / "units.jsonl").read_bytes(), report.encode()


def test_fixture_output_is_identical_for_one_two_and_three_workers(
    fixture_root: Path, tmp_path: Path
) -> None:
    one = jsonl_bytes(fixture_root, tmp_path / "w1", 1)
    assert one == jsonl_bytes(fixture_root, tmp_path / "w2", 2)
    assert one == jsonl_bytes(fixture_root, tmp_path / "w3", 3)
    assert one == jsonl_bytes(fixture_root, tmp_path / "again", 1)


@pytest.mark.skipif(not SRC_ZIP.is_file(), reason=f"{SRC_ZIP} is missing (CI installs openjdk-17-source)")
def test_real_code_records_are_identical_in_process_and_in_workers(tmp_path: Path) -> None:
    unzip_jdk(tmp_path, ("java.base/java/util/concurrent/",))
    root = tmp_path / "java.base"
    in_process = list(extract_files(root, ExtractOptions(workers=1)))
    in_workers = list(extract_files(root, ExtractOptions(workers=2)))
    assert len(in_process) > 80
    assert in_process == in_workers


def test_results_stream_in_sorted_order_with_progress(fixture_root: Path) -> None:
    seen: list[tuple[str, int, int | None]] = []
    results = extract_files(fixture_root, ExtractOptions(workers=2), progress=lambda *args: seen.append(args))
    assert isinstance(results, types.GeneratorType)
    files = [result.file for result in results]
    assert files == sorted(files) and len(files) == 15
    assert seen[0] == ("extract", 0, 15) and seen[-1] == ("extract", 15, 15)


def test_resolve_workers() -> None:
    assert resolve_workers(0, 1000) >= 1
    assert resolve_workers(8, 3) == 3
    assert resolve_workers(1, 1000) == 1
