"""Held-out loss: how likely the tuned and the base model find the validation set's reference answers.

For each validation example, the mean negative log-likelihood per answer token of its reference (the
final model turn, after the system instruction and the earlier turns), under the tuned model and under
its base. This is the loss training reports on validation data, per example, so it can be compared per
strategy: lower is better, and a tuned model that learnt the codebase's style gives its references a
lower loss than the base model does. It needs one forward pass per example and side, no generation.

Only models that can score a given text do this (``ChatModel.can_score``: the local backend, where the
weights are here); a hosted API such as Gemini on Vertex AI returns log-probabilities only of what it
generates itself, and the result then says so instead of a number.

``heldout.jsonl`` in the eval's output directory keeps the scores, one line per (example, side), with
the settings' fingerprint beside it (as ``results.jsonl``): a rerun with the same models and data
reuses them, an interrupted one computes only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import CodetuneError
from codetune.io import fingerprint

if TYPE_CHECKING:
    from codetune.backends.base import AnswerScore, ChatModel
    from codetune.eval.samples import EvalSample

Progress = Callable[[str, int, int | None], None]
HELDOUT_NAME = "heldout.jsonl"
NOT_SCORABLE = (
    "{name} cannot score a given text: a hosted model API (Gemini on Vertex AI) returns log-probabilities "
    "only of what it generates itself"
)


@dataclass
class HeldOut:
    """The held-out loss of each scored example and side, or why there is none."""

    available: bool
    samples: list[EvalSample] = field(default_factory=list)  # the examples scored
    # (sample id, side) -> {"loss": nats per answer token, "tokens": answer tokens, "strategy", "line"}
    losses: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    reason: str | None = None  # why it is not available
    resumed: int = 0  # scores reused from heldout.jsonl

    def summary(self, job_page: str | None = None) -> dict[str, Any]:
        """What the report says about it (the per-strategy rows come from ``losses``). ``job_page``: the
        tuning job's console page, where a hosted service shows its own validation loss."""
        entry: dict[str, Any] = {"available": self.available, "examples": len(self.samples)}
        if self.available:
            entry["file"] = HELDOUT_NAME
            return entry
        entry["reason"] = self.reason
        if job_page:
            entry["job_metrics"] = (
                "the tuning job's own validation loss is not returned by the API; its console page shows it"
            )
            entry["job_page"] = job_page
        return entry


def settings_key(models: dict[str, ChatModel], samples: list[EvalSample], data_hash: str) -> str:
    """What the saved scores depend on: the models, the examples and the data."""
    return fingerprint(
        {
            "kind": "heldout",
            "models": {side: model.name for side, model in models.items()},
            "samples": [sample.id for sample in samples],
            "data": data_hash,
        }
    )


def heldout_losses(
    samples: list[EvalSample],
    models: dict[str, ChatModel],
    *,
    out_dir: Path,
    data_hash: str = "",
    progress: Progress | None = None,
) -> HeldOut:
    """Score every sample's reference under every model (see the module docstring); resumable."""
    from codetune.backends.base import ChatRequest
    from codetune.eval.evaluate import ResultLog, with_resume_hint

    unable = [model.name for model in models.values() if not model.can_score]
    if unable:
        return HeldOut(False, reason=NOT_SCORABLE.format(name=" and ".join(unable)))
    out_dir.mkdir(parents=True, exist_ok=True)
    log = ResultLog(out_dir / HELDOUT_NAME, settings_key(models, samples, data_hash))
    losses: dict[tuple[str, str], dict[str, Any]] = {
        (row["sample"], row["side"]): row for row in log.load() if "loss" in row
    }
    result = HeldOut(True, samples, losses, resumed=len(losses))
    total = len(samples) * len(models)
    done = len(losses)
    if progress is not None:
        progress("held-out loss", done, total)
    for side, model in models.items():
        pending = [sample for sample in samples if (sample.id, side) not in losses]
        if not pending:
            continue

        def save(
            index: int, score: AnswerScore, side: str = side, pending: list[EvalSample] = pending
        ) -> None:
            nonlocal done
            sample = pending[index]
            row = {
                "line": sample.line,
                "sample": sample.id,
                "side": side,
                "strategy": sample.strategy,
                "loss": score.loss,
                "tokens": score.tokens,
            }
            log.append(row)
            losses[(sample.id, side)] = row
            done += 1
            if progress is not None:
                progress("held-out loss", done, total)

        try:
            model.score_answers(
                [ChatRequest(sample.prompt, sample.system) for sample in pending],
                [sample.reference for sample in pending],
                on_score=save,
            )
        except CodetuneError as exc:
            raise with_resume_hint(exc, f"held-out loss, {side} model", log.path, "scores") from exc
    return result
