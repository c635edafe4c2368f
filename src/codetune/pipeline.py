"""`codetune run`: prepare -> train -> evaluate in one go, each stage reused when its inputs are unchanged.

Every stage is keyed by a hash of what it reads, so a rerun after an interruption (or after nothing
changed) continues instead of starting over:

- prepare: the Java sources' contents + the ``data``/``strategy`` config + the codetune version; the key
  and the output files' sha256s are kept in ``<output>/run-stage.json`` (written last, atomically).
- train: the job *fingerprint* (training data hashes + training config, see :mod:`codetune.training`);
  a finished job is reused, a running one is followed, a killed one is resumed from its checkpoint, a
  cancelled one replaced by a new job: the same rules as ``codetune train`` (:mod:`codetune.orchestration`).
- evaluate: :func:`codetune.eval.runner.run_eval` saves answers as they come and reuses them.

Nothing here prints: progress and stage events go to callbacks the CLI renders.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune import __version__
from codetune.errors import InputError
from codetune.io import directory_lock, fingerprint, read_json, sha256_file, write_json

if TYPE_CHECKING:
    from codetune.backends.base import Backend
    from codetune.config import Config
    from codetune.dataset.teaching import TeachingPlan
    from codetune.eval.runner import EvalOutcome
    from codetune.job_state import JobStatus
    from codetune.jobs import JobRecord, JobStore
    from codetune.orchestration import Decision

Progress = Callable[[str, int, int | None], None]
STAGE_FILE = "run-stage.json"
# Keys of `data` that do not change what prepare writes (where it runs, how many processes).
_PREPARE_NEUTRAL_KEYS = ("source", "output", "workers")


@dataclass
class StageResult:
    name: str
    status: str  # "ran", "reused", "resumed", "skipped"
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunSummary:
    stages: list[StageResult]
    data_dir: Path
    job: JobRecord | None = None
    evaluation: EvalOutcome | None = None

    @property
    def seconds(self) -> float:
        return sum(stage.seconds for stage in self.stages)


@dataclass
class RunHooks:
    """What the pipeline tells its caller while it works (the CLI draws these)."""

    progress: Progress | None = None
    stage_started: Callable[[str, str], None] | None = None  # (stage, what it is about to do)
    job_status: Callable[[JobStatus], None] | None = None
    # Sees what the prepare stage's teacher (strategy.teacher) would cost before it is asked; raises to refuse.
    confirm_teacher: Callable[[TeachingPlan], None] | None = None


def source_digest(root: Path) -> str:
    """sha256 over the relative paths and contents of every ``.java`` file under ``root`` (sorted)."""
    from codetune.extract.discover import find_java_files

    digest = hashlib.sha256()
    for entry in find_java_files(root):
        digest.update(entry.rel.encode("utf-8") + b"\0")
        try:
            digest.update(sha256_file(entry.path).encode("ascii"))
        except OSError:
            digest.update(b"<unreadable>")  # prepare reports it; the key must still be stable
        digest.update(b"\n")
    return digest.hexdigest()


def prepare_key(config: Config, source_dir: Path) -> str:
    snapshot = config.snapshot()
    data = {k: v for k, v in snapshot["data"].items() if k not in _PREPARE_NEUTRAL_KEYS}
    return fingerprint(
        {
            "codetune": __version__,
            "sources": source_digest(source_dir),
            "data": data,
            "strategy": snapshot["strategy"],
        }
    )


def _reusable_prepare(output: Path, key: str) -> bool:
    stamp = output / STAGE_FILE
    if not stamp.is_file():
        return False
    try:
        recorded = read_json(stamp)
    except InputError:
        return False
    if recorded.get("key") != key:
        return False
    outputs = recorded.get("outputs") or {}
    return bool(outputs) and all(
        (output / name).is_file() and sha256_file(output / name) == digest for name, digest in outputs.items()
    )


def _prepare_detail(output: Path) -> dict[str, Any]:
    manifest = read_json(output / "manifest.json")
    return {"counts": manifest.get("counts") or {}, "split": manifest.get("split") or {}}


def run_prepare(config: Config, source: str | Path, output: Path, hooks: RunHooks) -> StageResult:
    from codetune.dataset.pipeline import prepare
    from codetune.sources import resolve_source
    from codetune.strategies.teacher import make_teacher

    started = time.monotonic()
    source_dir = resolve_source(source, progress=hooks.progress)
    key = prepare_key(config, source_dir)
    if _reusable_prepare(output, key):
        return StageResult("prepare", "reused", time.monotonic() - started, _prepare_detail(output))
    if hooks.stage_started:
        hooks.stage_started("prepare", f"preparing training data from {source}")
    result = prepare(
        config,
        source_dir,
        output,
        progress=hooks.progress,
        source_label=str(source),
        teacher=make_teacher(config),
        confirm_teacher=hooks.confirm_teacher,
    )
    outputs = {path.name: sha256_file(path) for path in result.files.values() if path.is_file()}
    # Written last: only a finished stage is ever reused.
    write_json(output / STAGE_FILE, {"key": key, "outputs": outputs})
    return StageResult("prepare", "ran", time.monotonic() - started, _prepare_detail(output))


def run_training(
    config: Config, backend: Backend, store: JobStore, data_dir: Path, hooks: RunHooks
) -> tuple[StageResult, JobRecord]:
    """Reuse, follow, resume or start the job for this data and config (:mod:`codetune.orchestration`)."""
    from codetune import orchestration, training

    started = time.monotonic()
    validation = data_dir / "validation.jsonl"
    request = training.build_request(
        config,
        train_file=data_dir / "train.jsonl",
        validation_file=validation if validation.is_file() else None,
    )
    # No confirmation asked here: `codetune run` asks before its first stage on a paid backend.
    decision = orchestration.start_or_reuse(backend, request, config, store)
    record = decision.record
    if decision.action == "reused":
        return StageResult("train", "reused", time.monotonic() - started, {"job": record.id}), record
    if hooks.stage_started:
        hooks.stage_started("train", _training_words(decision, request.train_examples, backend.name))
    final = orchestration.follow(backend, record, store, config, on_status=hooks.job_status)
    error = orchestration.outcome_error(record, final)
    if error is not None:
        raise error
    status_word = "ran" if decision.action == "started" else "resumed"
    detail = {"job": record.id, "metrics": dict(final.metrics), "stats": dict(final.stats)}
    return StageResult("train", status_word, time.monotonic() - started, detail), record


def _training_words(decision: Decision, examples: int, backend: str) -> str:
    if decision.action == "started":
        return f"training on {examples} examples ({backend} backend)"
    if decision.action == "resumed":
        return f"resuming job {decision.record.id} from its last checkpoint"
    return f"continuing job {decision.record.id}"


def run_evaluation(
    config: Config, record: JobRecord, hooks: RunHooks, limit: int | None
) -> tuple[StageResult, EvalOutcome]:
    from codetune.eval.runner import run_eval

    started = time.monotonic()
    if hooks.stage_started:
        hooks.stage_started("evaluate", "comparing the tuned model with its base on validation examples")
    outcome = run_eval(config, model=record.id, limit=limit, progress=hooks.progress)
    status_word = "reused" if outcome.resumed and outcome.resumed >= _answer_count(outcome) else "ran"
    detail = {"html": str(outcome.html), "samples": len(outcome.report.get("samples") or [])}
    return StageResult("evaluate", status_word, time.monotonic() - started, detail), outcome


def _answer_count(outcome: EvalOutcome) -> int:
    samples = outcome.report.get("samples") or []
    return len(samples) * max(1, len(outcome.report.get("models") or {}))


def run_all(
    config: Config,
    *,
    source: str | Path | None = None,
    evaluate: bool = True,
    eval_limit: int | None = None,
    hooks: RunHooks | None = None,
) -> RunSummary:
    """The main job end to end. One run at a time per runs/ directory (a clear error otherwise)."""
    from codetune.backends import get_backend
    from codetune.jobs import JobStore

    hooks = hooks or RunHooks()
    output = Path(config.data.output)
    store = JobStore(config.paths.runs_dir)
    backend = get_backend(config.training.backend, config)
    stages: list[StageResult] = []
    with directory_lock(store.root / ".pipeline", "codetune run"):
        stages.append(run_prepare(config, source or config.data.source, output, hooks))
        train_stage, record = run_training(config, backend, store, output, hooks)
        stages.append(train_stage)
        outcome = None
        if evaluate and record.extra.get("role") == "follower":  # another machine's job holds the model
            stages.append(
                StageResult("evaluate", "skipped", 0.0, {"reason": "the tuned model is on machine 0"})
            )
        elif evaluate:
            eval_stage, outcome = run_evaluation(config, record, hooks, eval_limit)
            stages.append(eval_stage)
    return RunSummary(stages=stages, data_dir=output, job=record, evaluation=outcome)
