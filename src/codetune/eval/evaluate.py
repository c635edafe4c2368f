"""The evaluation loop: every sampled validation prompt to the tuned and the base model (in batches, or
concurrently, as the model can), scored as it comes, optionally judged, saved line by line so an
interrupted eval resumes where it stopped.

``results.jsonl`` in the output directory is an append log of finished answers, one row per answer and
nothing else (tools read it line by line); the judge's verdicts go to ``judgements.jsonl``. Each log's
settings fingerprint is kept beside it (``results.settings.json``): a rerun with the same settings skips
what is there; with other settings (another model, temperature, sample) it starts over. A line torn by
a kill is dropped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import CodetuneError
from codetune.io import dumps, fingerprint, write_jsonl, write_text

if TYPE_CHECKING:
    from codetune.backends.base import ChatModel, GenerationOptions, Reply
    from codetune.eval.heldout import HeldOut
    from codetune.eval.samples import EvalSample
    from codetune.eval.scoring import ScoreContext

Progress = Callable[[str, int, int | None], None]
RESULTS_NAME = "results.jsonl"
JUDGEMENTS_NAME = "judgements.jsonl"


class ResultLog:
    """An append log of finished items, one JSON object per line, kept for one set of settings.

    The settings' fingerprint lives in a file beside the log (``results.jsonl`` ->
    ``results.settings.json``), so the log holds only rows.
    """

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self.settings_path = path.with_suffix(".settings.json")

    def load(self) -> list[dict[str, Any]]:
        """Rows saved for these settings; none (and an emptied log) when the settings differ."""
        rows: list[dict[str, Any]] = []
        same = self.settings_path.is_file() and self._saved_key() == self.key
        if same and self.path.is_file():
            with open(self.path, encoding="utf-8") as handle:
                for text in handle:
                    try:
                        rows.append(json.loads(text))
                    except ValueError:
                        break  # a line torn by a kill: it and anything after it are redone
        # Rewrite atomically: drops a torn tail, or empties the log for new settings. The log is
        # rewritten before the settings, so a kill in between never leaves old rows under new settings.
        write_jsonl(self.path, rows)
        if not same:
            write_text(self.settings_path, dumps({"settings": self.key}) + "\n")
        return rows

    def _saved_key(self) -> str | None:
        try:
            saved = json.loads(self.settings_path.read_text(encoding="utf-8"))
        except ValueError:
            return None
        return saved.get("settings") if isinstance(saved, dict) else None

    def append(self, row: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(dumps(row) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


@dataclass
class Evaluation:
    samples: list[EvalSample]
    results: dict[tuple[str, str], dict[str, Any]]  # (sample id, side) -> saved answer row
    judgements: dict[str, dict[str, Any]]  # sample id -> saved judgement row
    resumed: int  # rows reused from an earlier, interrupted run
    heldout: HeldOut | None = None  # the references' held-out loss, set by the runner (eval.heldout)


def with_resume_hint(exc: CodetuneError, where: str, path: Path, what: str = "answers") -> CodetuneError:
    """The same kind of error, saying where it happened and that finished ``what`` are kept."""
    message = f"{where}: {exc.message}"
    hint = (exc.hint + "; " if exc.hint else "") + f"{what} so far are kept in {path}: rerun to continue"
    try:
        error = type(exc)(message, hint=hint)
    except TypeError:  # a subclass with another constructor
        error = CodetuneError(message, hint=hint)
    error.exit_code = exc.exit_code
    return error


def settings_key(
    models: dict[str, ChatModel], samples: list[EvalSample], options: GenerationOptions, data_hash: str
) -> str:
    """What the saved answers depend on: models, sample, generation options and the data.

    Not the batch size or concurrency: batched greedy answers are the one-at-a-time answers.
    """
    return fingerprint(
        {
            "models": {side: model.name for side, model in models.items()},
            "samples": [sample.id for sample in samples],
            "options": asdict(options),
            "data": data_hash,
        }
    )


def answer_row(
    sample: EvalSample, side: str, model: str, reply: Reply, scores: dict[str, Any]
) -> dict[str, Any]:
    """One line of ``results.jsonl``."""
    return {
        "sample": sample.id,
        "line": sample.line,
        "strategy": sample.strategy,
        "side": side,
        "model": model,
        "text": reply.text,
        "latency_seconds": round(reply.latency_seconds, 3),
        "prompt_tokens": reply.prompt_tokens,
        "output_tokens": reply.output_tokens,
        "finish_reason": reply.finish_reason,
        "scores": scores,
    }


def evaluate(
    samples: list[EvalSample],
    models: dict[str, ChatModel],
    *,
    options: GenerationOptions,
    out_dir: Path,
    context: ScoreContext,
    data_hash: str = "",
    default_system: str | None = None,
    judge: ChatModel | None = None,
    judge_options: GenerationOptions | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    """Answer, score and (with ``judge`` and two models) judge every sample; resumable (module docstring).

    Each side answers all its missing samples in one ``generate_batch`` call (batches locally, concurrent
    requests on Vertex); every answer is scored and appended to the log the moment it arrives.
    """
    from codetune.backends.base import ChatRequest
    from codetune.eval.judge import judge_pair
    from codetune.eval.scoring import score_answer

    out_dir.mkdir(parents=True, exist_ok=True)
    key = settings_key(models, samples, options, data_hash)
    log = ResultLog(out_dir / RESULTS_NAME, key)
    results = {(row["sample"], row["side"]): row for row in log.load()}
    sides = list(models)
    judging = judge is not None and len(sides) == 2
    judgement_log = (
        ResultLog(out_dir / JUDGEMENTS_NAME, fingerprint([key, judge.name])) if judging and judge else None
    )
    judgements = {row["sample"]: row for row in judgement_log.load()} if judgement_log else {}
    resumed = len(results) + len(judgements)
    total = len(samples) * (len(sides) + (1 if judging else 0))
    done = sum(1 for sample in samples for side in sides if (sample.id, side) in results)

    def tick() -> None:
        if progress is not None:
            progress("evaluating", done, total)

    tick()
    for side in sides:
        model = models[side]
        pending = [sample for sample in samples if (sample.id, side) not in results]
        requests = [ChatRequest(sample.prompt, sample.system or default_system) for sample in pending]

        def save(index: int, reply: Reply, side: str = side, pending: list[EvalSample] = pending) -> None:
            nonlocal done
            sample = pending[index]
            row = answer_row(
                sample, side, models[side].name, reply, score_answer(sample, reply.text, context)
            )
            log.append(row)
            results[(sample.id, side)] = row
            done += 1
            tick()

        try:
            model.generate_batch(requests, options=options, on_reply=save)
        except CodetuneError as exc:
            unanswered = [sample.line for sample in pending if (sample.id, side) not in results]
            where = f"{side} model, validation line {unanswered[0]}" if unanswered else f"{side} model"
            raise with_resume_hint(exc, where, log.path) from exc
    if judge is not None and judgement_log is not None:
        for sample in samples:
            if sample.id not in judgements:
                tuned, base = (results[(sample.id, side)]["text"] for side in sides)
                verdict = judge_pair(judge, sample, tuned, base, judge_options or options)
                row = {
                    "sample": sample.id,
                    "line": sample.line,
                    "strategy": sample.strategy,
                    "judge": judge.name,
                    "outcome": verdict.outcome,
                    "verdicts": list(verdict.verdicts),
                    "replies": list(verdict.replies),
                }
                judgement_log.append(row)
                judgements[sample.id] = row
            done += 1
            tick()
    return Evaluation(samples, results, judgements, resumed)
