"""How fast is `codetune prepare` compared with extraction alone, or with another checkout? All numbers.

    .venv/bin/python bench/bench_prepare.py                 # java.base from the JDK's src.zip
    .venv/bin/python bench/bench_prepare.py --source DIR    # any source tree
    .venv/bin/python bench/bench_prepare.py --workers 1     # only the one-process run
    .venv/bin/python bench/bench_prepare.py --against ../main/src --rounds 3   # this checkout vs another

Prints, over the same files:
  extract x1        ``extract_files`` alone, one process (the floor prepare builds on)
  prepare x1 / xN   the whole prepare step (filters, three strategies, secrets, dedup, split, write,
                    validate) with one and N worker processes
then the ratios prepare x1 / extract x1 and x1 / xN, whether the outputs are byte-identical, and the
counts of the run: examples per strategy, drops by reason, duplicates, secrets, split sizes. CPU seconds
are printed beside wall seconds: on a shared machine the wall clock depends on what else is running.

With ``--against SRC`` (the ``src`` directory of another checkout, e.g. main's) it runs
``codetune prepare`` from that checkout and from this one in fresh processes, alternately, ``--rounds``
times each (so that a machine whose speed drifts slows both alike), and prints every run's wall and CPU
seconds (user + system, worker processes included), the medians, their ratios, and whether both
checkouts wrote the same ``train.jsonl``, ``validation.jsonl`` and ``manifest.json`` bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

SRC_ZIP = Path("/usr/lib/jvm/openjdk-17/lib/src.zip")


def unzip_java_base(target: Path) -> Path:
    with zipfile.ZipFile(SRC_ZIP) as archive:
        for name in archive.namelist():
            if name.startswith("java.base/") and name.endswith(".java"):
                archive.extract(name, target)
    return target / "java.base"


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, run: Callable[[], object]) -> tuple[float, object]:
    cpu, wall = cpu_seconds(), time.perf_counter()
    value = run()
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(f"  {label:<14} {wall:7.2f} s wall  {cpu:7.2f} s cpu", flush=True)
    return wall, value


CHECKED = ("train.jsonl", "validation.jsonl", "manifest.json")


def prepare_in_a_process(src: Path, source: Path, output: Path, workers: int) -> tuple[float, float, str]:
    """``codetune prepare`` run from checkout ``src`` in a fresh process: wall and CPU seconds (its worker
    processes included), and a digest of the data files it wrote."""
    config = output.with_suffix(".yaml")
    config.write_text(
        json.dumps(
            {
                "data": {"source": str(source), "output": str(output), "workers": workers},
                "strategy": {"name": ["code_explanation", "code_generation", "code_review"]},
            }
        )
    )
    command = [sys.executable, "-m", "codetune", "prepare", "--config", str(config), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(src)}
    cpu, wall = cpu_seconds(), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    digest = hashlib.sha256(b"".join((output / name).read_bytes() for name in CHECKED)).hexdigest()
    return wall, cpu, digest


def compare_checkouts(source: Path, against: Path, rounds: int, workers: int, work: Path) -> int:
    here = Path(__file__).resolve().parents[1] / "src"
    sides = {"before": against.resolve(), "after": here}
    runs: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
    digests: set[str] = set()
    print(f"before: {sides['before']}\nafter:  {sides['after']}\nsource: {source}, {workers} worker(s)")
    for round_number in range(1, rounds + 1):
        for side, src in sides.items():
            wall, cpu, digest = prepare_in_a_process(src, source, work / f"{side}-{round_number}", workers)
            runs[side].append((wall, cpu))
            digests.add(digest)
            print(f"  round {round_number} {side:<6} {wall:7.2f} s wall  {cpu:7.2f} s cpu", flush=True)
    medians = {
        side: (statistics.median(w for w, _ in times), statistics.median(c for _, c in times))
        for side, times in runs.items()
    }
    for side, (wall, cpu) in medians.items():
        print(f"  median {side:<6}  {wall:7.2f} s wall  {cpu:7.2f} s cpu")
    (wall_before, cpu_before), (wall_after, cpu_after) = medians["before"], medians["after"]
    print(f"  after / before: wall {wall_after / wall_before:.2f}, cpu {cpu_after / cpu_before:.2f}")
    print(f"  same {', '.join(CHECKED)}: {'yes' if len(digests) == 1 else 'NO'}")
    return 0 if len(digests) == 1 else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, help="source tree (default: java.base from the JDK's src.zip)")
    parser.add_argument("--workers", type=int, default=2, help="workers of the parallel run (1: skip it)")
    parser.add_argument("--against", type=Path, help="the src directory of another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each checkout with --against")
    args = parser.parse_args()

    from codetune.config import Config
    from codetune.dataset.pipeline import prepare
    from codetune.extract import ExtractOptions, extract_files

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.source is not None:
            source = args.source
        elif SRC_ZIP.is_file():
            source = unzip_java_base(work / "src")
        else:
            print(f"no --source and no {SRC_ZIP}", file=sys.stderr)
            return 2
        if args.against is not None:
            return compare_checkouts(source.resolve(), args.against, args.rounds, args.workers, work)

        def config(workers: int) -> Config:
            return Config.model_validate(
                {
                    "data": {"workers": workers},
                    "strategy": {"name": ["code_explanation", "code_generation", "code_review"]},
                }
            )

        print(f"source: {source}")
        extract_wall, _ = timed(
            "extract x1", lambda: sum(1 for _ in extract_files(source, ExtractOptions(workers=1)))
        )
        one_wall, result = timed("prepare x1", lambda: prepare(config(1), source, work / "one"))
        ratios = [f"prepare x1 / extract x1 = {one_wall / extract_wall:.2f}"]
        if args.workers > 1:
            many_wall, _ = timed(
                f"prepare x{args.workers}", lambda: prepare(config(args.workers), source, work / "many")
            )
            ratios.append(f"prepare x1 / x{args.workers} = {one_wall / many_wall:.2f}")
            same = all(
                (work / "one" / name).read_bytes() == (work / "many" / name).read_bytes()
                for name in ("train.jsonl", "validation.jsonl", "manifest.json")
            )
            ratios.append(f"outputs identical: {same}")
        print("  " + "; ".join(ratios))
        report = result.report  # type: ignore[attr-defined]
        for label, value in result.table_rows():  # type: ignore[attr-defined]
            print(f"  {label:<20} {value}")
        print(
            json.dumps(
                {"units_dropped": report["units_dropped"], "strategies": report["strategies"]}, indent=1
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
