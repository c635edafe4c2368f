"""How fast is `codetune prepare` compared with extraction alone? One run, all numbers.

    .venv/bin/python bench/bench_prepare.py                 # java.base from the JDK's src.zip
    .venv/bin/python bench/bench_prepare.py --source DIR    # any source tree
    .venv/bin/python bench/bench_prepare.py --workers 1     # only the one-process run

Prints, over the same files:
  extract x1        ``extract_files`` alone, one process (the floor prepare builds on)
  prepare x1 / xN   the whole prepare step (filters, three strategies, secrets, dedup, split, write,
                    validate) with one and N worker processes
then the ratios prepare x1 / extract x1 and x1 / xN, whether the outputs are byte-identical, and the
counts of the run: examples per strategy, drops by reason, duplicates, secrets, split sizes. CPU seconds
are printed beside wall seconds: on a shared machine the wall clock depends on what else is running.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, help="source tree (default: java.base from the JDK's src.zip)")
    parser.add_argument("--workers", type=int, default=2, help="workers of the parallel run (1: skip it)")
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
