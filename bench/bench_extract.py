"""How fast is `codetune extract` compared with tree-sitter's bare parse? One run, all numbers.

    .venv/bin/python bench/bench_extract.py                 # java.base from the JDK's src.zip
    .venv/bin/python bench/bench_extract.py --source DIR    # any source tree

Prints, from one run over the same files (each measured in several interleaved rounds; the best
of each is compared, since a shared machine only ever makes a run slower):
  bare parse        read + tree-sitter parse of every file, one core (the floor)
  jsonl x1 / x2     ``extract_to_jsonl``, what ``codetune extract`` runs, with 1 and 2 workers
  records x1 / x2   ``extract_files`` (FileResult records with parsed Javadoc, handed to the caller
                    in its own process) with 1 and 2 workers
  records split     records x1's work split over two processes that hand nothing back: the most
                    two processes give on this machine, for this work, at this moment
  records pure      records x1 by the pure-Python extractor (a fresh process with
                    CODETUNE_PURE_PYTHON=1), to show what the compiled one buys
and the ratios the extractor is held to, for ``codetune extract``: x1 / bare parse <= 2.0, and
x1 / x2 >= 1.8; the same for records; plus whether the outputs are the same (1 and 2 workers,
compiled and pure). Beside the ratios of the best times: the median of each round's own ratio
(the runs of a round are seconds apart, so a machine whose speed drifts over minutes disturbs it
least), the ratio of the medians, and that of the CPU seconds of the busiest process.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from codetune.extract.discover import SourceEntry
    from codetune.records import FileResult

T = TypeVar("T")
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


@dataclass
class Timing:
    """Wall seconds of each round, and the CPU seconds of the busiest process in each."""

    wall: list[float] = field(default_factory=list)
    busiest: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.wall)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def best_cpu(self) -> float:
        return min(self.busiest)


@dataclass
class TimedInside:
    """What a run in another process returns: its value, and its time measured there."""

    value: object
    seconds: float


def timed(timing: Timing, run: Callable[[], T]) -> T | object:
    """Run once and record it. With a worker process beside this one, the busier of the two is
    what the wall clock would show on an otherwise idle machine."""
    (own, children), wall = cpu_seconds(), time.perf_counter()
    value = run()
    timing.wall.append(time.perf_counter() - wall)
    own_after, children_after = cpu_seconds()
    timing.busiest.append(max(own_after - own, children_after - children))
    if isinstance(value, TimedInside):  # start-up and imports of the other process excluded
        timing.wall[-1] = timing.busiest[-1] = value.seconds
        return value.value
    return value


def shapes_digest(results: Iterable[FileResult]) -> str:
    """What a caller would do with each result as it streams past (nothing is kept): a digest."""
    digest = hashlib.sha256()
    for result in results:
        shape = [(t.qualified_name, len(t.methods), len(t.constructors), len(t.fields)) for t in result.types]
        digest.update(repr((result.file, result.status, shape)).encode())
    return digest.hexdigest()


def records_digest(root: Path, workers: int) -> str:
    from codetune.extract import ExtractOptions, extract_files

    return shapes_digest(extract_files(root, ExtractOptions(workers=workers)))


def split_without_handover(root: Path) -> Callable[[], None]:
    """records x1's work split in two halves of equal bytes, one done in a forked child and one here;
    nothing comes back.

    No worker pool does better than this on the same machine at the same moment: the ceiling that
    the ratio x1 / x2 can reach there, which a shared host moves a lot from minute to minute.
    """
    from codetune.extract import ExtractOptions, extract_entry
    from codetune.extract.discover import find_java_files

    options = ExtractOptions(workers=1)
    halves: tuple[list[SourceEntry], list[SourceEntry]] = ([], [])
    weights = [0, 0]
    for entry in sorted(find_java_files(root), key=lambda entry: -os.path.getsize(entry.path)):
        lighter = weights.index(min(weights))  # the largest file left goes to the lighter half
        halves[lighter].append(entry)
        weights[lighter] += os.path.getsize(entry.path)

    def extract_half(half: list[SourceEntry]) -> None:
        gc.disable()  # as extract_files does around each file
        shapes_digest(extract_entry(entry, options) for entry in half)
        gc.enable()

    def run() -> None:
        child = os.fork()
        if child == 0:
            try:
                extract_half(halves[1])
            finally:
                os._exit(0)
        extract_half(halves[0])
        os.waitpid(child, 0)

    return run


def pure_records(root: Path) -> Callable[[], TimedInside]:
    """records x1 in a fresh pure-Python process, timed inside it."""

    def run() -> TimedInside:
        env = {**os.environ, "CODETUNE_PURE_PYTHON": "1"}
        command = [sys.executable, __file__, "--records-once", str(root)]
        done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        seconds, digest = done.stdout.split()
        return TimedInside(digest, float(seconds))

    return run


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, help="source tree (default: java.base from the JDK's src.zip)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of all the runs (default 5)")
    parser.add_argument("--records-once", type=Path, help=argparse.SUPPRESS)  # the pure-Python run's child
    args = parser.parse_args()

    from codetune.extract import IMPLEMENTATION, ExtractOptions, extract_to_jsonl
    from codetune.extract.discover import find_java_files
    from codetune.extract.java import parse_bytes

    if args.records_once is not None:
        started = time.perf_counter()
        digest = records_digest(args.records_once, 1)
        print(f"{time.perf_counter() - started:.4f} {digest}")
        return 0

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
        print(IMPLEMENTATION.describe())

        def bare() -> None:
            for path in paths:
                parse_bytes(path.read_bytes())

        def records(workers: int) -> Callable[[], str]:
            return lambda: records_digest(root, workers)

        def jsonl(workers: int) -> Callable[[], bytes]:
            out = Path(tmp) / f"units-{workers}.jsonl"
            return lambda: (extract_to_jsonl(root, out, ExtractOptions(workers=workers)), out.read_bytes())[1]

        runs: dict[str, Callable[[], object]] = {
            "bare parse": bare,
            "jsonl x1": jsonl(1),
            "jsonl x2": jsonl(2),
            "records x1": records(1),
            "records x2": records(2),
            "records split": split_without_handover(root),
        }
        if IMPLEMENTATION.compiled:
            runs["records pure"] = pure_records(root)
        timings = {label: Timing() for label in runs}
        outputs: dict[str, set[object]] = {label: set() for label in runs}
        # Rounds interleave the runs, so that a slow spell of a shared machine touches all of
        # them alike; the best of each is its time with the least interference.
        print(f"{'round':<12}" + "".join(f"{label:>13}" for label in runs))
        for round_number in range(1, args.rounds + 1):
            for label, run in runs.items():
                outputs[label].add(timed(timings[label], run))
            print(f"{round_number:<12}" + "".join(f"{timings[label].wall[-1]:12.2f}s" for label in runs))
        print(f"{'best':<12}" + "".join(f"{timings[label].best:12.2f}s" for label in runs))
        print(f"{'median':<12}" + "".join(f"{timings[label].median:12.2f}s" for label in runs))

    def ratio(numerator: str, denominator: str) -> str:
        top, bottom = timings[numerator], timings[denominator]
        # The two runs of one round are minutes closer than the best of each may be: the median of
        # the rounds' own ratios holds up best when the machine's speed drifts.
        per_round = statistics.median(a / b for a, b in zip(top.wall, bottom.wall, strict=True))
        return (
            f"{top.best / bottom.best:5.2f}  (rounds' median {per_round:.2f}, medians {top.median / bottom.median:.2f},"
            f" cpu of the busiest process {top.best_cpu / bottom.best_cpu:.2f})"
        )

    print("ratios of the best times")
    print(f"  codetune extract (jsonl)  x1 / bare parse  {ratio('jsonl x1', 'bare parse')}  target <= 2.0")
    print(f"                            x1 / x2          {ratio('jsonl x1', 'jsonl x2')}  target >= 1.8")
    print(f"  records (Python API)      x1 / bare parse  {ratio('records x1', 'bare parse')}  target <= 2.0")
    print(f"                            x1 / x2          {ratio('records x1', 'records x2')}  target >= 1.8")
    print(
        f"  the machine's ceiling     x1 / split       {ratio('records x1', 'records split')}  (nothing handed back)"
    )
    if "records pure" in timings:
        print(f"  what compiling buys       pure / x1        {ratio('records pure', 'records x1')}")
        print(f"                            pure / bare      {ratio('records pure', 'bare parse')}")
    same_records = (
        len(outputs["records x1"] | outputs["records x2"] | outputs.get("records pure", set())) == 1
    )
    same_jsonl = len(outputs["jsonl x1"] | outputs["jsonl x2"]) == 1
    print(
        f"  same output in every round: records {'yes' if same_records else 'NO'} (1 and 2 workers"
        f"{', compiled and pure' if 'records pure' in timings else ''}),"
        f" jsonl {'yes' if same_jsonl else 'NO'} (1 and 2 workers)"
    )
    return 0 if same_records and same_jsonl else 1


if __name__ == "__main__":
    sys.exit(main())
