"""Same input -> byte-identical output, for any number of workers; results stream in order."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import tempfile
import types
from pathlib import Path

import pytest

from codetune.extract import ExtractOptions, extract_files, extract_to_jsonl, read_units
from codetune.extract.pipeline import resolve_workers
from codetune.records import to_jsonable
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


@pytest.mark.skipif(not SRC_ZIP.is_file(), reason=f"{SRC_ZIP} is missing (CI installs openjdk-17-source)")
def test_real_code_units_are_the_records_as_json_and_read_back_as_them(tmp_path: Path) -> None:
    """Each line is the record's ``to_jsonable`` form, whoever wrote it (orjson here, json there)."""
    unzip_jdk(tmp_path, ("java.base/java/util/concurrent/",))
    root, output = tmp_path / "java.base", tmp_path / "units.jsonl"
    extract_to_jsonl(root, output, ExtractOptions(workers=2))
    units = [unit for result in extract_files(root, ExtractOptions(workers=1)) for unit in result.types]
    lines = output.read_bytes().split(b"\n")
    assert lines.pop() == b"" and len(lines) == len(units) > 300
    for line, unit in zip(lines, units, strict=True):
        assert json.loads(line) == json.loads(json.dumps(to_jsonable(unit)))
    assert list(read_units(output)) == units


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


def _many_files(root: Path, count: int = 48) -> Path:
    for number in range(count):
        (root / f"F{number:02d}.java").write_text(
            f"/** File {number}. */ class F{number:02d} {{ int n() {{ return {number}; }} }}\n"
        )
    return root


linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the test's worker is inherited by fork"
)


@linux_only
def test_a_worker_that_dies_costs_no_file(tmp_path: Path) -> None:
    from codetune.extract.discover import find_java_files
    from codetune.extract.pipeline import _extract_chunk, _run

    root = _many_files(tmp_path)
    parent = os.getpid()

    def work(chunk, options):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            os._exit(9)  # the child is killed in its first chunk (as the OOM killer would)
        return _extract_chunk(chunk, options)

    results = list(_run(find_java_files(root), ExtractOptions(workers=2), work, None))
    assert [r.file for r in results] == [f"F{n:02d}.java" for n in range(48)]
    assert all(r.status == "ok" and r.types[0].javadoc is not None for r in results)
    assert multiprocessing.active_children() == []


def test_a_consumer_that_stops_early_leaves_no_worker_behind(tmp_path: Path) -> None:
    root = _many_files(tmp_path)
    results = extract_files(root, ExtractOptions(workers=2))
    first = [next(results).file for _ in range(3)]
    assert first == ["F00.java", "F01.java", "F02.java"]
    results.close()  # type: ignore[attr-defined]
    assert multiprocessing.active_children() == []
    for spool_base in {Path(tempfile.gettempdir()), Path("/dev/shm")}:  # the children's result files
        assert not list(spool_base.glob("codetune-extract-*"))


def test_a_killed_runs_worker_files_are_removed_by_the_next_run() -> None:
    from codetune.extract.pipeline import _spool_dir

    with _spool_dir() as live:
        base = Path(live).parent
        # A pid far above pid_max cannot be alive: the spool of a run that was killed.
        orphan = base / "codetune-extract-4194305-abc"
        orphan.mkdir()
        (orphan / "3.pickle").write_bytes(b"x")
        with _spool_dir():
            assert not orphan.exists()
            assert Path(live).is_dir()  # a living run's spool is left alone
