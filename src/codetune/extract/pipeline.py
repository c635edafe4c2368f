"""Extract every file of a source tree, in worker processes, streaming results in a fixed order.

Files are sent to the workers as paths in small chunks (the workers read and parse them
themselves), at most a few chunks per worker are in flight, and results come back in the order the
files were found, so memory stays flat and the output is the same for any number of workers.
A file never stops the run: whatever goes wrong comes back as a ``skipped`` or ``partial``
:class:`FileResult` with its reasons.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from codetune.extract.discover import SourceEntry, SourceText, find_java_files, read_source
from codetune.records import FileIssue, FileResult

if TYPE_CHECKING:
    from codetune.extract.output import ExtractReport

Progress = Callable[[str, int, int | None], None]
T = TypeVar("T")

PROGRESS_STAGE = "extract"
_MAX_CHUNK = 16
_CHUNKS_IN_FLIGHT_PER_WORKER = 3


@dataclass(frozen=True)
class ExtractOptions:
    """How to extract. ``workers=0`` means one worker process per CPU core."""

    max_file_bytes: int = 1_000_000
    workers: int = 0
    fallback_encoding: str = "cp1252"  # for files that are not UTF-8 (recorded per file)


def extract_source(text: str, file: str = "Source.java") -> FileResult:
    """Extract one file's text (already decoded). ``file`` is the relative path to record.

    >>> result = extract_source("package p; /** A box. */ class Box { int size() { return 0; } }")
    >>> result.status, [(t.qualified_name, t.javadoc.summary) for t in result.types]
    ('ok', [('p.Box', 'A box.')])
    >>> [m.id for m in result.types[0].methods]
    ['p.Box#size()']
    """
    from codetune.extract.discover import normalise_line_endings

    normalised, line_endings = normalise_line_endings(text)
    source = SourceText(normalised, "utf-8", line_endings, len(text.encode("utf-8")))
    return _extract_text(source, file)


def _extract_text(source: SourceText, rel: str) -> FileResult:
    from codetune.extract.declarations import DeclarationWalker
    from codetune.extract.java import parse_bytes, syntax_errors

    data = source.text.encode("utf-8")
    tree = parse_bytes(data)
    walker = DeclarationWalker(data, rel, source.text)
    types = tuple(walker.walk(tree.root_node))
    issues = list(source.issues)
    status = "ok"
    if tree.root_node.has_error:
        status = "partial"
        dropped = len(walker.broken)
        for line, column, what in syntax_errors(tree):
            detail = f"column {column}: {what}"
            if dropped:
                detail += f" ({dropped} declaration{'s' if dropped != 1 else ''} with errors left out)"
                dropped = 0  # said once per file
            issues.append(FileIssue(rel, "syntax_error", detail, line))
    return FileResult(
        file=rel,
        status=status,  # type: ignore[arg-type]
        types=types,
        encoding=source.encoding,
        line_endings=source.line_endings,  # type: ignore[arg-type]
        issues=tuple(issues),
        bytes=source.size,
    )


def extract_entry(entry: SourceEntry, options: ExtractOptions) -> FileResult:
    """Read and extract one file found by the walk; every failure becomes a skipped result."""
    if entry.issue is not None:
        return FileResult(file=entry.rel, status="skipped", issues=(entry.issue,))
    source = read_source(entry.path, entry.rel, options.max_file_bytes, options.fallback_encoding)
    if isinstance(source, FileIssue):
        return FileResult(file=entry.rel, status="skipped", issues=(source,))
    try:
        return _extract_text(source, entry.rel)
    except RecursionError:
        issue = FileIssue(entry.rel, "too_deep", "declarations nested too deeply to walk")
    except Exception as exc:  # a bug of ours must not cost the user the rest of the run
        issue = FileIssue(entry.rel, "extractor_error", f"{type(exc).__name__}: {exc}")
    return FileResult(
        file=entry.rel,
        status="skipped",
        encoding=source.encoding,
        line_endings=source.line_endings,  # type: ignore[arg-type]
        issues=(*source.issues, issue),
        bytes=source.size,
    )


def extract_files(
    root: str | Path, options: ExtractOptions | None = None, progress: Progress | None = None
) -> Iterator[FileResult]:
    """One :class:`FileResult` per file under ``root``, in sorted relative-path order, streamed.

    Raises :class:`codetune.errors.InputError` at once when ``root`` is missing or holds no ``.java``
    file; bad files never raise.
    """
    options = options or ExtractOptions()
    entries = find_java_files(root)
    return _run(entries, options, _extract_chunk, progress)


def _run(
    entries: Sequence[SourceEntry],
    options: ExtractOptions,
    work: Callable[[Sequence[SourceEntry], ExtractOptions], list[T]],
    progress: Progress | None,
) -> Iterator[T]:
    total = len(entries)
    workers = resolve_workers(options.workers, total)
    if progress is not None:
        progress(PROGRESS_STAGE, 0, total)
    results = (
        _in_process(entries, options, work) if workers <= 1 else _in_pool(entries, options, work, workers)
    )
    for done, result in enumerate(results, 1):
        if progress is not None:
            progress(PROGRESS_STAGE, done, total)
        yield result


def resolve_workers(requested: int, files: int) -> int:
    """How many processes to use: ``0`` means one per usable core; never more than the files need.

    >>> resolve_workers(4, 100), resolve_workers(4, 1), resolve_workers(2, 0)
    (4, 1, 1)
    """
    if requested <= 0:
        try:
            requested = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            requested = os.cpu_count() or 1
    return max(1, min(requested, files))


def _in_process(
    entries: Sequence[SourceEntry], options: ExtractOptions, work: Callable[..., list[T]]
) -> Iterator[T]:
    for entry in entries:
        yield from work((entry,), options)


def _chunks(entries: Sequence[SourceEntry], workers: int) -> list[Sequence[SourceEntry]]:
    # Small enough that one big file does not leave a worker idle at the end, big enough that
    # the per-task overhead stays negligible.
    size = max(1, min(_MAX_CHUNK, len(entries) // (workers * 8)))
    return [entries[start : start + size] for start in range(0, len(entries), size)]


def _in_pool(
    entries: Sequence[SourceEntry], options: ExtractOptions, work: Callable[..., list[T]], workers: int
) -> Iterator[T]:
    """``workers - 1`` child processes plus this one, results yielded in order.

    This process is a worker too: while the next result in order is not back yet, it extracts the
    next chunk nobody has started. Shipping records between processes costs time on both ends, so
    the share done here without shipping is what lets two processes come close to twice the speed
    of one on two cores.
    """
    chunks = _chunks(entries, workers)
    # fork is cheap and needs no re-import; elsewhere (macOS, Windows) fork is unsafe or missing.
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)
    window = (workers - 1) * _CHUNKS_IN_FLIGHT_PER_WORKER
    lookahead = window * 2  # bounds the finished chunks held here (memory stays flat)
    inflight: dict[int, Any] = {}
    finished: dict[int, list[T]] = {}
    next_chunk = 0
    with context.Pool(workers - 1, initializer=_worker_init) as pool:

        def dispatch() -> None:
            nonlocal next_chunk
            while next_chunk < len(chunks) and len(inflight) < window:
                inflight[next_chunk] = pool.apply_async(_remote, (work, chunks[next_chunk], options))
                next_chunk += 1

        dispatch()
        for index in range(len(chunks)):
            while index not in finished:
                pending = inflight.get(index)
                if pending is not None and pending.ready():
                    finished[index] = _loads(inflight.pop(index).get())
                    dispatch()
                elif next_chunk < len(chunks) and next_chunk - index < lookahead:
                    mine = next_chunk
                    next_chunk += 1
                    finished[mine] = work(chunks[mine], options)
                else:
                    finished[index] = _loads(inflight.pop(index).get())
                    dispatch()
            yield from finished.pop(index)


def _worker_init() -> None:
    # Records hold no reference cycles, so the cyclic collector only costs time in a worker.
    gc.disable()


def _remote(work: Callable[..., list[T]], chunk: Sequence[SourceEntry], options: ExtractOptions) -> bytes:
    """Run in a child: pickle the results ourselves so the parent can load them without the GC."""
    return pickle.dumps(work(chunk, options), protocol=pickle.HIGHEST_PROTOCOL)


def _loads(blob: bytes) -> Any:
    """Unpickle many small acyclic objects with the cyclic GC paused (it would rescan them all)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(blob)
    finally:
        if enabled:
            gc.enable()


def _extract_chunk(chunk: Sequence[SourceEntry], options: ExtractOptions) -> list[FileResult]:
    return [extract_entry(entry, options) for entry in chunk]


def _extract_chunk_json(
    chunk: Sequence[SourceEntry], options: ExtractOptions
) -> list[tuple[FileResult, dict[str, int], str]]:
    """For ``units.jsonl``: each file's result without its types, their counts, and its JSON lines.

    Serialising in the worker keeps the parent's share of the work to writing bytes.
    """
    from codetune.extract.output import file_counts, jsonl_lines

    shipped = []
    for entry in chunk:
        result = extract_entry(entry, options)
        shipped.append((replace(result, types=()), file_counts(result), jsonl_lines(result)))
    return shipped


def extract_to_jsonl(
    root: str | Path,
    output: str | Path,
    options: ExtractOptions | None = None,
    progress: Progress | None = None,
) -> ExtractReport:
    """Write ``output`` (one JSON object per type, in file order) and its report next to it.

    Both files are written atomically; the report lists every file that was skipped or partial and
    why. Returns the report.
    """
    from codetune.extract.output import ExtractReport, report_path
    from codetune.io import atomic_open, write_json

    options = options or ExtractOptions()
    entries = find_java_files(root)
    report = ExtractReport(source=str(root), output=str(output))
    with atomic_open(output, "w") as handle:
        for result, counts, lines in _run(entries, options, _extract_chunk_json, progress):
            report.add(result, counts)
            handle.write(lines)
    write_json(report_path(output), report.to_json())
    return report
