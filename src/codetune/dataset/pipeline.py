"""``prepare``: Java sources -> cleaned, deduplicated, secret-scrubbed, split and validated JSONL files.

Top to bottom: find the files; extract, filter, build and scrub each one (in worker processes, results
in file order); drop duplicate units (exact, then MinHash LSH); let each strategy balance its examples;
split by group; write ``train.jsonl`` / ``validation.jsonl`` in the chosen format, a ``manifest.json``
(one record per output line, counts, config, versions, hashes) and a report; validate what was written.
Same input + config + seed gives byte-identical data files and manifest.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import ConfigError, DataError
from codetune.io import directory_lock, sha256_file, write_json, write_jsonl, write_text

if TYPE_CHECKING:
    from codetune.config import Config
    from codetune.dataset.stats import PrepareStats
    from codetune.dataset.units import FileOutcome, FileWorker
    from codetune.dataset.validate import ValidationResult
    from codetune.records import Example
    from codetune.strategies import Strategy
    from codetune.strategies.teacher import ChatTeacher

Progress = Callable[[str, int, int | None], None]
STAGE = "prepare"
TRAIN_FILE = "train.jsonl"
VALIDATION_FILE = "validation.jsonl"
MANIFEST_FILE = "manifest.json"
REPORT_FILE = "report.json"
REPORT_MARKDOWN = "report.md"
TEACHER_CACHE = "teacher-cache.json"
_POOL_MIN_FILES = 48  # below this, starting processes costs more than it saves
_VERSIONED_PACKAGES = ("tree-sitter", "tree-sitter-java", "datasketch", "detect-secrets")


@dataclass
class PrepareResult:
    output: Path
    files: dict[str, Path]
    report: dict[str, Any]
    validation: dict[str, ValidationResult] = field(default_factory=dict)

    def table_rows(self) -> list[tuple[str, str]]:
        from codetune.dataset.stats import table_rows

        return table_rows(self.report)


def build_strategies(config: Config, teacher: ChatTeacher | None = None) -> list[Strategy]:
    """The configured strategies, options validated (a typo is a ConfigError before any work)."""
    from codetune.strategies import STRATEGIES, get_strategy

    names = list(dict.fromkeys(config.strategy.name))
    if not names:
        raise ConfigError(
            "no strategy selected", hint=f"set strategy.name to some of: {', '.join(STRATEGIES.names())}"
        )
    unknown = sorted(set(config.strategy.options) - set(STRATEGIES.names()))
    if unknown:
        raise ConfigError(
            f"strategy.options has unknown strategy name(s): {', '.join(unknown)}",
            hint=f"known strategies: {', '.join(STRATEGIES.names())}",
        )
    system = config.strategy.system_instruction.strip() or None
    return [
        get_strategy(
            name, config.strategy.options.get(name, {}), system=system, seed=config.data.seed, teacher=teacher
        )
        for name in names
    ]


def _make_worker(config: Config, teacher: ChatTeacher | None = None) -> FileWorker:
    from codetune.dataset.secrets import SecretScrubber
    from codetune.dataset.units import FileWorker

    return FileWorker(config, build_strategies(config, teacher), SecretScrubber())


def _workers(requested: int, files: int) -> int:
    if requested <= 0:
        try:
            requested = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            requested = os.cpu_count() or 1
    return max(1, min(requested, files))


def _outcomes(
    entries: Sequence[Any], factory: Any, workers: int, progress: Progress | None
) -> Iterator[FileOutcome]:
    """Each file's outcome, in file order, from worker processes when that pays off."""
    from codetune.dataset import units

    total = len(entries)
    if progress:
        progress(STAGE, 0, total)
    if workers <= 1 or total < _POOL_MIN_FILES:
        units.init_worker(factory)
        results: Iterator[FileOutcome] = map(units.work, entries)
        pool = None
    else:
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        pool = context.Pool(workers, initializer=units.init_worker, initargs=(factory,))
        results = pool.imap(units.work, entries, chunksize=4)
    try:
        for done, outcome in enumerate(results, 1):
            if progress:
                progress(STAGE, done, total)
            yield outcome
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


def _tool_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from codetune import __version__

    versions = {"codetune": __version__}
    for name in _VERSIONED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _config_snapshot(config: Config) -> dict[str, Any]:
    """The sections that decide the data; paths are left out so the output directory does not change it."""
    snapshot = config.snapshot()
    data = {k: v for k, v in snapshot["data"].items() if k not in ("source", "output", "workers")}
    return {"data": data, "strategy": snapshot["strategy"]}


def _manifest_records(examples: Sequence[Example]) -> list[dict[str, str]]:
    return [
        {
            "example_id": e.id,
            "unit_id": e.unit_id,
            "source_file": e.source_file,
            "group": e.group,
            "strategy": e.strategy,
        }
        for e in examples
    ]


def _why_nothing(stats: PrepareStats) -> str:
    """The counts that explain an empty result, in one line."""

    def top(counter: Counter[str]) -> str:
        return ", ".join(f"{k} {v}" for k, v in counter.most_common(3)) or "none"

    skipped: Counter[str] = Counter()
    for counter in (*stats.skipped.values(), *stats.dropped.values()):
        skipped.update(counter)
    return (
        f"{stats.files['scanned']} files scanned, {stats.files['used']} used (dropped: {top(stats.file_drops)}); "
        f"{stats.units['seen']} units, {stats.units['kept']} kept (dropped: {top(stats.unit_drops)}); "
        f"strategies skipped: {top(skipped)}"
    )


def prepare(
    config: Config,
    source: str | Path,
    output: str | Path,
    *,
    progress: Progress | None = None,
    source_label: str | None = None,
    teacher: ChatTeacher | None = None,
) -> PrepareResult:
    """Run the whole prepare step; see the module docstring. ``source`` is a directory of Java files."""
    from codetune.dataset.dedup import Deduplicator
    from codetune.dataset.split import split_examples, strategy_counts
    from codetune.dataset.stats import PrepareStats, build_report, render_markdown, token_summary
    from codetune.dataset.units import finish_example
    from codetune.dataset.validate import check_split_sizes, validate_file
    from codetune.extract.discover import find_java_files
    from codetune.formats import get_format
    from codetune.strategies import PROVISIONAL

    started = time.monotonic()
    data = config.data
    output = Path(output)
    fmt = get_format(data.format)
    strategies = build_strategies(config, teacher)  # fails fast on bad options, before any work
    entries = find_java_files(source)
    workers = 1 if teacher is not None else _workers(data.workers, len(entries))
    factory = functools.partial(_make_worker, config, teacher)
    stats = PrepareStats()
    dedup = Deduplicator(
        data.near_duplicate_threshold, num_perm=data.minhash_permutations, shingle_size=data.shingle_size
    )
    by_strategy: dict[str, list[Example]] = defaultdict(list)
    file_hashes: list[str] = []

    with directory_lock(output, "prepare"):
        for outcome in _outcomes(entries, factory, workers, progress):
            stats.files["scanned"] += 1
            stats.files[outcome.status] += 1
            if outcome.sha256:
                file_hashes.append(f"{outcome.file}\x00{outcome.sha256}")
            for reason, detail, line in outcome.issues:
                if outcome.status == "skipped":
                    stats.file_drops[reason] += 1
                where = f"{outcome.file}:{line}" if line else outcome.file
                stats.note_file(f"{where} {reason}" + (f" ({detail})" if detail else ""))
            if outcome.dropped:
                stats.file_drops[outcome.dropped] += 1
            if outcome.status == "skipped" or outcome.dropped:
                continue
            stats.files["used"] += 1
            stats.units["seen"] += outcome.units_seen
            stats.unit_drops.update(outcome.unit_drops)
            for candidate in outcome.candidates:
                duplicate = dedup.check_and_add(candidate.unit_id, candidate.code, candidate.bucket)
                if duplicate is not None:
                    stats.unit_drops[duplicate.kind] += 1
                    continue
                stats.units["kept"] += 1
                for strategy_name, reason in candidate.skipped:
                    stats.skipped[strategy_name][reason] += 1
                for strategy_name, reason in candidate.dropped:
                    stats.dropped[strategy_name][reason] += 1
                for example in candidate.examples:
                    stats.built[example.strategy] += 1
                    by_strategy[example.strategy].append(example)

        kept: list[Example] = []
        scrubber = None
        for strategy in strategies:
            chosen, dropped = strategy.finalize(by_strategy.get(strategy.name, []))
            stats.dropped[strategy.name].update(dropped)
            for example in chosen:
                if example.meta.get(PROVISIONAL):  # kept after all: scrub and measure it now
                    if scrubber is None:
                        from codetune.dataset.secrets import SecretScrubber

                        scrubber = SecretScrubber()
                    finished = finish_example(example, scrubber, data.max_tokens)
                    if finished is None:
                        stats.dropped[strategy.name]["too_long"] += 1
                        continue
                    example = finished
                kept.append(example)
        if not kept:
            raise DataError(
                f"no training examples could be made from {source_label or source}: {_why_nothing(stats)}",
                hint="fix what the counts point at; with little Javadoc try --strategy code_review; "
                "for test code try --include-tests",
            )
        stats.kept.update(strategy_counts(kept))
        for example in kept:
            stats.secrets.update(example.meta.get("secrets", {}))
        split = split_examples(
            kept,
            fraction=data.validation_fraction,
            seed=data.seed,
            max_validation=data.max_validation_examples,
        )
        stats.warnings += split.notes
        stats.warnings += check_split_sizes(len(split.train), len(split.validation))

        files = {
            "train": output / TRAIN_FILE,
            "validation": output / VALIDATION_FILE,
            "manifest": output / MANIFEST_FILE,
            "report": output / REPORT_FILE,
            "report_markdown": output / REPORT_MARKDOWN,
        }
        write_jsonl(files["train"], (fmt.to_row(e) for e in split.train))
        write_jsonl(files["validation"], (fmt.to_row(e) for e in split.validation))

        checks: dict[str, ValidationResult] = {}
        for name in ("train", "validation"):
            if name == "validation" and not split.validation:
                continue
            result = validate_file(files[name], fmt.validation_target, split=name)
            bad_rows = [e for e in result.errors if e.line > 0]
            if bad_rows:
                raise DataError(
                    f"prepare wrote an invalid {name} file: {bad_rows[0]}",
                    hint="this is a bug in codetune; please report it with the manifest",
                )
            # File-level limits (too few or too many examples for the target) are the data's, not ours.
            stats.warnings += [f"{name}: {e.message}" for e in result.errors if e.line == 0]
            stats.warnings += [f"{name}: {w}" for w in result.warnings]
            checks[name] = result

        tokens = {
            name: token_summary([int(e.meta.get("tokens", 0)) for e in examples])
            for name, examples in (("train", split.train), ("validation", split.validation))
        }
        outputs = {
            name: {"file": files[name].name, "examples": len(examples), "sha256": sha256_file(files[name])}
            for name, examples in (("train", split.train), ("validation", split.validation))
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
        if teacher is not None:
            teacher.save()
            stats.warnings.append(f"teacher: {teacher.stats()}")
        manifest = {
            "format": fmt.name,
            "validation_target": fmt.validation_target,
            "source": source_label or str(source),
            "input_sha256": hashlib.sha256("\n".join(file_hashes).encode("utf-8")).hexdigest(),
            "tool_versions": _tool_versions(),
            "config": _config_snapshot(config),
            "counts": stats.counts(),
            "split": split_info,
            "tokens_estimated": tokens,
            "outputs": outputs,
            "train": _manifest_records(split.train),
            "validation": _manifest_records(split.validation),
        }
        write_json(files["manifest"], manifest)
        report = build_report(
            stats, split=split_info, tokens=tokens, outputs=outputs, seconds=time.monotonic() - started
        )
        report["source"] = manifest["source"]
        report["format"] = fmt.name
        write_json(files["report"], report)
        write_text(files["report_markdown"], render_markdown(report))
    return PrepareResult(output=output, files=files, report=report, validation=checks)
