"""``prepare``: Java sources -> cleaned, deduplicated, secret-scrubbed, split and validated JSONL files.

:func:`prepare` runs these steps, in this order, each a function below:

1. ``_file_outcomes``: extract, filter, build and scrub each file (in worker processes, results in file
   order; :mod:`codetune.dataset.units` does the work of one file);
2. ``_count_files``: count every file and its issues, pass on the units of the files used;
3. ``_drop_duplicates``: drop units that repeat an earlier one (exact, then MinHash LSH);
4. ``_balance``: let each strategy keep what it wants of its examples;
   (with a teacher, ``_teach``: the undocumented units' questions priced, confirmed and sent, then steps
   1-4 again to build from the answers; :mod:`codetune.dataset.teaching` has the rules)
5. ``_split``: train and validation, by group (the teacher's examples kept out of validation unless
   ``strategy.teacher.in_validation``);
6. ``_write``: ``train.jsonl`` / ``validation.jsonl`` in the chosen format;
7. ``_validate``: read them back and check every row for the format's target;
8. ``summarize``, ``build_manifest`` (:mod:`codetune.dataset.manifest`) and ``_write_report``:
   ``manifest.json`` (one record per output line, counts, config, versions, hashes) and ``report.json`` /
   ``report.md``.

Same input + config + seed gives byte-identical data files and manifest.
"""

from __future__ import annotations

import functools
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import ConfigError, DataError
from codetune.io import directory_lock, write_json, write_jsonl, write_text

if TYPE_CHECKING:
    from codetune.config import Config, DataConfig
    from codetune.dataset.manifest import Summary
    from codetune.dataset.split import Split
    from codetune.dataset.stats import PrepareStats
    from codetune.dataset.teaching import Confirm, TeachingOutcome
    from codetune.dataset.units import Candidate, FileOutcome, FileWorker
    from codetune.dataset.validate import ValidationResult
    from codetune.extract.discover import SourceEntry
    from codetune.formats import Format
    from codetune.records import Example
    from codetune.strategies import Strategy
    from codetune.strategies.teacher import Question, Teacher, TeacherLookup

Progress = Callable[[str, int, int | None], None]
STAGE = "prepare"
TRAIN_FILE = "train.jsonl"
VALIDATION_FILE = "validation.jsonl"
MANIFEST_FILE = "manifest.json"
REPORT_FILE = "report.json"
REPORT_MARKDOWN = "report.md"
_POOL_MIN_FILES = 48  # below this, starting processes costs more than it saves


@dataclass
class PrepareResult:
    output: Path
    files: dict[str, Path]
    report: dict[str, Any]
    validation: dict[str, ValidationResult] = field(default_factory=dict)

    def table_rows(self) -> list[tuple[str, str]]:
        from codetune.dataset.stats import table_rows

        return table_rows(self.report)


def build_strategies(config: Config) -> list[Strategy]:
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
        get_strategy(name, config.strategy.options.get(name, {}), system=system, seed=config.data.seed)
        for name in names
    ]


def prepare(
    config: Config,
    source: str | Path,
    output: str | Path,
    *,
    progress: Progress | None = None,
    source_label: str | None = None,
    teacher: Teacher | None = None,
    confirm_teacher: Confirm | None = None,
) -> PrepareResult:
    """Run the whole prepare step, one named step after the other (see the module docstring).

    ``source`` is a directory of Java files; ``source_label`` is what the manifest calls it. With a
    ``teacher``, ``confirm_teacher`` sees what asking it costs before anything is sent, and raises to refuse.
    """
    from codetune.dataset.manifest import build_manifest, summarize
    from codetune.extract.discover import find_java_files
    from codetune.formats import get_format

    started = time.monotonic()
    output = Path(output)
    label = source_label or str(source)
    fmt = get_format(config.data.format)
    strategies = build_strategies(config)  # fails fast on bad options, before any work
    entries = find_java_files(source)  # and on a source without Java files
    lookup = teacher.lookup if teacher is not None else None
    with directory_lock(output, STAGE):
        stats, file_hashes, kept, questions = _examples(entries, config, strategies, lookup, progress)
        teaching = None
        if teacher is not None:
            teaching, asked = _teach(teacher, kept, questions, confirm_teacher, progress)
            if asked:  # a second pass builds from the new answers, read from the cache
                stats, file_hashes, kept, _ = _examples(entries, config, strategies, lookup, progress)
            kept = _keep_taught(kept, teaching, teacher.lookup)
        if not kept:
            raise DataError(
                f"no training examples could be made from {label}: {_why_nothing(stats)}",
                hint="fix what the counts point at; with little Javadoc try --strategy code_review; "
                "for test code try --include-tests",
            )
        apart = teaching is not None and not config.strategy.teacher.in_validation
        split = _split(kept, config.data, stats, teaching=teaching if apart else None)
        files = _write(output, fmt, split)
        checks = _validate(files, fmt, split, stats)
        summary = summarize(files, split, config.data)
        write_json(files["manifest"], build_manifest(fmt, label, file_hashes, config, stats, split, summary))
        report = _write_report(
            files,
            fmt,
            label,
            stats,
            summary,
            seconds=time.monotonic() - started,
            teacher=teaching.report() if teaching is not None else None,
        )
    return PrepareResult(output=output, files=files, report=report, validation=checks)


# --- the steps, in the order prepare() runs them ---------------------------------------------------------


def _examples(
    entries: Sequence[SourceEntry],
    config: Config,
    strategies: Sequence[Strategy],
    teacher: TeacherLookup | None,
    progress: Progress | None,
) -> tuple[PrepareStats, list[str], list[Example], list[Question]]:
    """Steps 1-4: the counts, the input's file hashes, the examples each strategy keeps, and the teacher's
    questions of the units kept (in file order)."""
    from codetune.dataset.stats import PrepareStats

    stats = PrepareStats()
    file_hashes: list[str] = []
    questions: list[Question] = []
    outcomes = _file_outcomes(entries, config, teacher, progress)
    candidates = _count_files(outcomes, stats, file_hashes)
    built = _drop_duplicates(candidates, config.data, stats, questions)
    kept = _balance(strategies, built, config.data.max_tokens, stats)
    return stats, file_hashes, kept, questions


def _file_outcomes(
    entries: Sequence[SourceEntry], config: Config, teacher: TeacherLookup | None, progress: Progress | None
) -> Iterator[FileOutcome]:
    """Each file extracted, filtered, turned into examples and scrubbed, in file order (worker processes
    when that pays off; a teacher's cached answers are read in each)."""
    from codetune.dataset import units
    from codetune.extract.pipeline import resolve_workers

    workers = resolve_workers(config.data.workers, len(entries))
    factory = functools.partial(_make_worker, config, teacher)
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


def _make_worker(config: Config, teacher: TeacherLookup | None = None) -> FileWorker:
    from codetune.dataset.secrets import SecretScrubber
    from codetune.dataset.units import FileWorker

    return FileWorker(config, build_strategies(config), SecretScrubber(), teacher)


def _count_files(
    outcomes: Iterable[FileOutcome], stats: PrepareStats, file_hashes: list[str]
) -> Iterator[Candidate]:
    """Count every file (and note its issues); the candidates of the files that are used, in order.

    Each file's ``path\0sha256`` goes to ``file_hashes``, for the manifest's hash of the input.
    """
    for outcome in outcomes:
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
        yield from outcome.candidates


def _drop_duplicates(
    candidates: Iterable[Candidate], data: DataConfig, stats: PrepareStats, questions: list[Question]
) -> dict[str, list[Example]]:
    """The examples of every unit that repeats no earlier one (exact, then near), by strategy; the teacher's
    questions of those units go to ``questions``."""
    from codetune.dataset.dedup import Deduplicator

    dedup = Deduplicator(
        data.near_duplicate_threshold, num_perm=data.minhash_permutations, shingle_size=data.shingle_size
    )
    by_strategy: dict[str, list[Example]] = defaultdict(list)
    for candidate in candidates:
        duplicate = dedup.check_and_add(candidate.unit_id, candidate.code, candidate.bucket)
        if duplicate is not None:
            stats.unit_drops[duplicate.kind] += 1
            continue
        stats.units["kept"] += 1
        if candidate.question is not None:
            questions.append(candidate.question)
        for strategy_name, reason in candidate.skipped:
            stats.skipped[strategy_name][reason] += 1
        for strategy_name, reason in candidate.dropped:
            stats.dropped[strategy_name][reason] += 1
        for example in candidate.examples:
            stats.built[example.strategy] += 1
            by_strategy[example.strategy].append(example)
    return by_strategy


def _balance(
    strategies: Sequence[Strategy], built: dict[str, list[Example]], max_tokens: int, stats: PrepareStats
) -> list[Example]:
    """What each strategy keeps of its examples (``finalize``); provisional ones kept are finished now."""
    from codetune.dataset.units import finish_example
    from codetune.strategies import PROVISIONAL

    kept: list[Example] = []
    scrubber = None
    for strategy in strategies:
        chosen, dropped = strategy.finalize(built.get(strategy.name, []))
        stats.dropped[strategy.name].update(dropped)
        for example in chosen:
            if example.meta.get(PROVISIONAL):  # kept after all: scrub and measure it now
                if scrubber is None:
                    from codetune.dataset.secrets import SecretScrubber

                    scrubber = SecretScrubber()
                finished = finish_example(example, scrubber, max_tokens)
                if finished is None:
                    stats.dropped[strategy.name]["too_long"] += 1
                    continue
                example = finished
            kept.append(example)
    return kept


def _teach(
    teacher: Teacher,
    kept: list[Example],
    questions: list[Question],
    confirm: Confirm | None,
    progress: Progress | None,
) -> tuple[TeachingOutcome, bool]:
    """Choose the units to teach, price and confirm the new questions, send them; True when new answers
    came back (so the examples must be built again)."""
    from codetune.dataset import teaching

    in_validation = teacher.settings.in_validation
    own = [e for e in kept if not teaching.is_taught(e)]
    validation_groups = (
        None if in_validation else set(_split_of(own, teacher.config.data).validation_group_names)
    )
    plan = teaching.plan(teacher, questions, validation_groups=validation_groups)
    outcome = teaching.TeachingOutcome(teacher.lookup.model, plan)
    if plan.pending:
        outcome.run = teaching.teach(teacher, plan, confirm=confirm, progress=progress)
    return outcome, bool(outcome.run and outcome.run.answered)


def _keep_taught(kept: list[Example], outcome: TeachingOutcome, lookup: TeacherLookup) -> list[Example]:
    """The codebase's own examples, and the teacher's for the units chosen for it (counted by strategy);
    answers without a usable Javadoc are counted by why."""
    from codetune.dataset.teaching import is_taught

    chosen = {question.unit_id for question in outcome.plan.chosen}
    for question in outcome.plan.chosen:
        problem = lookup.javadoc(question)[1]
        if problem is not None:
            outcome.unusable[problem] += 1
    result = [e for e in kept if not is_taught(e) or e.unit_id in chosen]
    outcome.examples.update(e.strategy for e in result if is_taught(e))
    return result


def _split_of(examples: list[Example], data: DataConfig) -> Split:
    from codetune.dataset.split import split_examples

    return split_examples(
        examples,
        fraction=data.validation_fraction,
        seed=data.seed,
        max_validation=data.max_validation_examples,
    )


def _split(
    kept: list[Example], data: DataConfig, stats: PrepareStats, *, teaching: TeachingOutcome | None = None
) -> Split:
    """Train and validation by group; the kept and scrubbed counts, and the split's warnings. With
    ``teaching``, the split is made from the codebase's own examples and the teacher's go to train (those
    of a validation group are left out, counted)."""
    from codetune.dataset.split import strategy_counts
    from codetune.dataset.teaching import is_taught, place
    from codetune.dataset.validate import check_split_sizes

    if teaching is None:
        split = _split_of(kept, data)
    else:
        split = _split_of([e for e in kept if not is_taught(e)], data)
        left_out = place(split, [e for e in kept if is_taught(e)], seed=data.seed)
        for example in left_out:
            stats.dropped[example.strategy]["teacher_in_validation_group"] += 1
        teaching.left_out_of_validation = len(left_out)
    written = [*split.train, *split.validation]
    stats.kept.update(strategy_counts(written))
    for example in written:
        stats.secrets.update(example.meta.get("secrets", {}))
    stats.warnings += split.notes
    stats.warnings += check_split_sizes(len(split.train), len(split.validation))
    return split


def _write(output: Path, fmt: Format, split: Split) -> dict[str, Path]:
    """``train.jsonl`` and ``validation.jsonl`` in the format; the paths of every file prepare writes."""
    files = {
        "train": output / TRAIN_FILE,
        "validation": output / VALIDATION_FILE,
        "manifest": output / MANIFEST_FILE,
        "report": output / REPORT_FILE,
        "report_markdown": output / REPORT_MARKDOWN,
    }
    write_jsonl(files["train"], (fmt.to_row(e) for e in split.train))
    write_jsonl(files["validation"], (fmt.to_row(e) for e in split.validation))
    return files


def _validate(
    files: dict[str, Path], fmt: Format, split: Split, stats: PrepareStats
) -> dict[str, ValidationResult]:
    """Read back what was written and check it for the format's target: a bad row is our bug."""
    from codetune.dataset.validate import validate_file

    checks: dict[str, ValidationResult] = {}
    for name, examples in (("train", split.train), ("validation", split.validation)):
        if name == "validation" and not examples:
            continue
        measured = [
            int(e.meta["tokens"]) for e in examples
        ]  # each example's estimate, made when it was built
        result = validate_file(files[name], fmt.validation_target, split=name, row_tokens=measured)
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
    return checks


def _write_report(
    files: dict[str, Path],
    fmt: Format,
    label: str,
    stats: PrepareStats,
    summary: Summary,
    *,
    seconds: float,
    teacher: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``report.json`` and ``report.md``: the counts, and what changes from run to run, which the manifest
    leaves out (the run time; what the teacher was asked now and what came from its cache)."""
    from codetune.dataset.stats import build_report, render_markdown

    report = build_report(
        stats, split=summary.split, tokens=summary.tokens, outputs=summary.outputs, seconds=seconds
    )
    if teacher is not None:
        report["teacher"] = teacher
    report["source"] = label
    report["format"] = fmt.name
    write_json(files["report"], report)
    write_text(files["report_markdown"], render_markdown(report))
    return report


# --- helpers ---------------------------------------------------------------------------------------------


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
