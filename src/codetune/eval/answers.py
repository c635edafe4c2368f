"""`codetune eval --answers FILE.jsonl`: score answers from anywhere against the validation set.

Each line of the file is ``{"line": N, "text": "..."}``, N the 1-based line in ``validation.jsonl``.
The answers come from another model, another tool or a person; no model is loaded. They are scored
like the tuned model's (same metrics, same report) as one side named ``answers``. Scoring the
references themselves is how to see the metrics' ceiling: 100% of checkable samples compile, every
finding is recalled, and the text scores are at their top.

A line that cannot be used (not JSON, no line number or text, a line number the validation file does
not have, a second answer to the same line) is reported with its number and skipped; only a file with
no usable line is an error.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import InputError

if TYPE_CHECKING:
    from codetune.config import Config
    from codetune.eval.runner import EvalOutcome, Progress
    from codetune.eval.samples import EvalSample

SIDE = "answers"
_SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class AnswerFile:
    answers: list[tuple[EvalSample, str, int]]  # (sample, answer text, line in the answers file)
    problems: list[str]  # "answers.jsonl:3: not JSON"
    lines: int  # non-blank lines read


def read_answers(path: Path, samples: list[EvalSample], limit: int | None = None) -> AnswerFile:
    """The usable answers of ``path`` in file order (at most ``limit``), and what was wrong with the rest."""
    if not path.is_file():
        raise InputError(
            f"answers file not found: {path}", hint='one JSON object a line: {"line": N, "text": "..."}'
        )
    by_line = {sample.line: sample for sample in samples}
    answers: list[tuple[EvalSample, str, int]] = []
    problems: list[str] = []
    first_seen: dict[int, int] = {}
    count = 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            count += 1
            problem, sample, answer = _parse_line(text, by_line)
            if sample is not None and sample.line in first_seen:
                problem = f"validation line {sample.line} is answered twice (first on line {first_seen[sample.line]})"
            if problem:
                problems.append(f"{path.name}:{number}: {problem}")
                continue
            assert sample is not None
            first_seen[sample.line] = number
            if limit is None or len(answers) < limit:
                answers.append((sample, answer, number))
    if not answers:
        shown = "; ".join(problems[:_SHOWN_PROBLEMS]) or f"{path} is empty"
        raise InputError(
            f"no usable answer in {path}: {shown}",
            hint='one JSON object a line: {"line": N, "text": "..."}, N the 1-based line in validation.jsonl',
        )
    return AnswerFile(answers, problems, count)


def _parse_line(text: str, by_line: dict[int, EvalSample]) -> tuple[str, EvalSample | None, str]:
    """(problem, sample, answer text) of one line of the answers file; problem is "" when usable."""
    try:
        row = json.loads(text)
    except ValueError:
        return "not JSON", None, ""
    if not isinstance(row, dict):
        return "not a JSON object", None, ""
    line, answer = row.get("line"), row.get("text")
    if not isinstance(line, int) or isinstance(line, bool):
        return '"line" must be a whole number (the 1-based line in validation.jsonl)', None, ""
    if not isinstance(answer, str):
        return '"text" must be a string (the answer)', None, ""
    if line not in by_line:
        return f"validation.jsonl has no example on line {line}", None, ""
    return "", by_line[line], answer


def run_answers(
    config: Config,
    answers_file: str | Path,
    *,
    limit: int | None = None,
    output: str | Path | None = None,
    progress: Progress | None = None,
) -> EvalOutcome:
    """Score every answer of ``answers_file`` against ``training.validation_file``; write the reports."""
    from codetune.eval.evaluate import RESULTS_NAME
    from codetune.eval.report import write_report
    from codetune.eval.runner import EvalOutcome, report_body, score_context
    from codetune.eval.samples import load_samples
    from codetune.io import write_jsonl

    started = time.monotonic()
    path = Path(answers_file)
    data_file = Path(config.training.validation_file)
    every = load_samples(data_file)
    read = read_answers(path, every, limit)
    context = score_context(config, data_file)
    out_dir = Path(output) if output else Path(config.paths.reports_dir) / f"answers-{path.stem}"
    total = len(read.answers)

    def tick(index: int) -> None:
        if progress is not None:
            progress("scoring answers", index + 1, total)

    from codetune.eval.scoring import score_answers

    if progress is not None:
        progress("scoring answers", 0, total)
    scores = score_answers([(sample, text) for sample, text, _ in read.answers], context, done=tick)
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for (sample, text, number), scored in zip(read.answers, scores, strict=True):
        results[(sample.id, SIDE)] = {
            "sample": sample.id,
            "line": sample.line,
            "strategy": sample.strategy,
            "side": SIDE,
            "answers_line": number,
            "text": text,
            "scores": scored,
        }
    samples = sorted({sample.id: sample for sample, _, _ in read.answers}.values(), key=lambda s: s.line)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / RESULTS_NAME, [results[(s.id, SIDE)] for s in samples])
    report = report_body(
        samples,
        results,
        title=f"codetune eval: answers from {path.name}",
        models={SIDE: str(path)},
        data_file=data_file,
        total_examples=len(every),
        settings={"answers_file": str(path), "limit": limit},
        more="answer more validation lines",
    )
    report["job"], report["backend"] = None, None
    report["answers_file"] = {
        "path": str(path),
        "lines": read.lines,
        "scored": total,
        "problems": read.problems,
    }
    report["warnings"] = [*report["warnings"], *_problem_warnings(read.problems)]
    html, json_path = write_report(report, out_dir)
    return EvalOutcome(html, json_path, report, 0, time.monotonic() - started)


def _problem_warnings(problems: list[str]) -> list[str]:
    if not problems:
        return []
    shown = "; ".join(problems[:_SHOWN_PROBLEMS])
    more = f" (and {len(problems) - _SHOWN_PROBLEMS} more)" if len(problems) > _SHOWN_PROBLEMS else ""
    return [f"{len(problems)} line(s) of the answers file skipped: {shown}{more}"]
