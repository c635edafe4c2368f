"""How fast is `codetune extract` compared with tree-sitter's bare parse? One run, all numbers.

    .venv/bin/python bench/bench_extract.py                 # java.base from the JDK's src.zip
    .venv/bin/python bench/bench_extract.py --source DIR    # any source tree

Prints, from one run over the same files:
  bare parse        read + tree-sitter parse of every file, one core (the floor)
  records x1 / x2   ``extract_files`` (FileResult records with parsed Javadoc) with 1 and 2 workers
  jsonl x1 / x2     ``extract_to_jsonl`` (what ``codetune extract`` runs) with 1 and 2 workers
and the ratios the extractor is held to: records x1 / bare parse <= 2.0, and x1 / x2 >= 1.8; plus
whether the 1- and 2-worker outputs are byte-identical. CPU seconds are printed beside wall seconds:
on a shared machine the wall clock of the 2-worker runs depends on what else is running (the load
average is printed first).
"""

from __future__ import annotations

import argparse
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


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def timed(label: str, run: Callable[[], object]) -> tuple[float, float, object]:
    """Run once; print wall and CPU seconds. With one worker process beside this one, the busier of
    the two is what the wall clock would show on an otherwise idle machine: printed as "busiest"."""
    (own, children), wall = cpu_seconds(), time.perf_counter()
    value = run()
    wall = time.perf_counter() - wall
    own_after, children_after = cpu_seconds()
    own, children = own_after - own, children_after - children
    busiest = f"  busiest process {max(own, children):6.2f} s" if children > 0.05 else ""
    print(f"  {label:<12} {wall:7.2f} s wall  {own + children:7.2f} s cpu{busiest}", flush=True)
    return wall, max(own, children) if children > 0.05 else own, value


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, help="source tree (default: java.base from the JDK's src.zip)")
    args = parser.parse_args()

    from codetune.extract import ExtractOptions, extract_files, extract_to_jsonl
    from codetune.extract.discover import find_java_files
    from codetune.extract.java import parse_bytes

    with tempfile.TemporaryDirectory(prefix="codetune-bench-") as tmp:
        if args.source is not None:
            root = args.source
        elif SRC_ZIP.is_file():
            root = unzip_java_base(Path(tmp))
        else:
            print(f"{SRC_ZIP} not found: install openjdk-17-source or pass --source DIR", file=sys.stderr)
            return 2
        paths = [Path(entry.path) for entry in find_java_files(root) if entry.issue is None]
        size = sum(path.stat().st_size for path in paths)
        for path in paths:  # warm the page cache so that no run pays for the disk
            path.read_bytes()
        print(f"{len(paths)} files, {size / 1e6:.1f} MB under {root}")
        print(f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        def bare() -> None:
            for path in paths:
                parse_bytes(path.read_bytes())

        def records(workers: int) -> Callable[[], int]:
            def consume() -> int:  # streamed, as a caller would: nothing is kept
                fingerprint = 0
                for result in extract_files(root, ExtractOptions(workers=workers)):
                    shape = [
                        (t.qualified_name, len(t.methods), len(t.constructors), len(t.fields))
                        for t in result.types
                    ]
                    fingerprint = hash((fingerprint, result.file, result.status, tuple(shape)))
                return fingerprint

            return consume

        def jsonl(workers: int) -> Callable[[], bytes]:
            out = Path(tmp) / f"units-{workers}.jsonl"
            return lambda: (extract_to_jsonl(root, out, ExtractOptions(workers=workers)), out.read_bytes())[1]

        bare_wall, bare_cpu, _ = timed("bare parse", bare)
        r1_wall, r1_cpu, r1 = timed("records x1", records(1))
        r2_wall, r2_busiest, r2 = timed("records x2", records(2))
        j1_wall, j1_cpu, j1 = timed("jsonl x1", jsonl(1))
        j2_wall, j2_busiest, j2 = timed("jsonl x2", jsonl(2))

    print("ratios (wall clock; in brackets from CPU seconds, which other load on the machine disturbs less)")
    print(f"  records x1 / bare parse  {r1_wall / bare_wall:5.2f}  [{r1_cpu / bare_cpu:.2f}]  target <= 2.0")
    print(f"  records x1 / x2          {r1_wall / r2_wall:5.2f}  [{r1_cpu / r2_busiest:.2f}]  target >= 1.8")
    print(f"  jsonl x1 / bare parse    {j1_wall / bare_wall:5.2f}  [{j1_cpu / bare_cpu:.2f}]")
    print(f"  jsonl x1 / x2            {j1_wall / j2_wall:5.2f}  [{j1_cpu / j2_busiest:.2f}]  target >= 1.8")
    print(
        f"  same output with 1 and 2 workers: records {'yes' if r1 == r2 else 'NO'}, jsonl {'yes' if j1 == j2 else 'NO'}"
    )
    return 0 if r1 == r2 and j1 == j2 else 1


if __name__ == "__main__":
    sys.exit(main())
