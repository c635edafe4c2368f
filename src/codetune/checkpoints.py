"""A tuned model's intermediate checkpoints, as its job record keeps them, and which one a command talks to.

Vertex AI exports about one checkpoint per epoch (unless ``training.export_last_checkpoint_only``), each on
an endpoint of its own; the job's ``endpoint`` serves the service's default one (the last, unless it was
changed on the model). ``codetune eval --checkpoints`` records the best one in the job record
(``best_checkpoint``); ``codetune test`` then talks to it, unless ``--checkpoint ID`` names another.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from codetune.errors import InputError

if TYPE_CHECKING:
    from codetune.chat import Target
    from codetune.job_state import Checkpoint
    from codetune.jobs import JobRecord


def describe(point: Checkpoint) -> str:
    """How a checkpoint is named in messages.

    >>> describe({"checkpoint_id": "2", "epoch": 2, "step": 40, "endpoint": "e"})
    'checkpoint 2 (epoch 2, step 40)'
    >>> describe({"checkpoint_id": "7", "epoch": None, "step": None, "endpoint": "e"})
    'checkpoint 7'
    """
    where = [
        f"{name} {value}"
        for name, value in (("epoch", point["epoch"]), ("step", point["step"]))
        if value is not None
    ]
    return f"checkpoint {point['checkpoint_id']}" + (f" ({', '.join(where)})" if where else "")


def default_checkpoint(record: JobRecord) -> Checkpoint | None:
    """The checkpoint the service serves by default: the one on the job's own endpoint."""
    return next((point for point in record.checkpoints if point["endpoint"] == record.endpoint), None)


def find_checkpoint(record: JobRecord, ref: str) -> Checkpoint:
    """The checkpoint with id ``ref`` (or on endpoint ``ref``); an InputError listing the ids otherwise."""
    for point in record.checkpoints:
        if ref in (point["checkpoint_id"], point["endpoint"]):
            return point
    if not record.checkpoints:
        raise InputError(
            f"job {record.id} has no intermediate checkpoints",
            hint="only Vertex AI jobs export them (unless training.export_last_checkpoint_only is true)",
        )
    ids = ", ".join(point["checkpoint_id"] for point in record.checkpoints)
    raise InputError(f"job {record.id} has no checkpoint '{ref}'", hint=f"its checkpoints: {ids}")


def best_checkpoint(record: JobRecord) -> Checkpoint | None:
    """The checkpoint ``codetune eval --checkpoints`` recorded as best, if it is still one of the job's."""
    best = record.best_checkpoint or {}
    return next((p for p in record.checkpoints if p["checkpoint_id"] == best.get("checkpoint_id")), None)


def _choice(record: JobRecord, ref: str | None) -> tuple[Checkpoint, str] | None:
    """The checkpoint ``ref`` names, else the recorded best one, with why; None for the default."""
    if ref is not None:
        return find_checkpoint(record, ref), "as --checkpoint asks"
    chosen = best_checkpoint(record)
    if chosen is None:
        return None
    best = record.best_checkpoint or {}
    return (
        chosen,
        f"the best by {best.get('metric_label') or best.get('metric')} (codetune eval --checkpoints)",
    )


def checkpoint_target(target: Target, ref: str | None) -> tuple[Target, str | None]:
    """The target to talk to: the checkpoint ``ref`` names, else (for a job named by its id) the recorded
    best one, else ``target`` itself (an endpoint as given, or the service's default checkpoint); and a line
    saying which checkpoint and why (None when no choice was made)."""
    record = target.record
    if record is None:
        if ref is not None:
            raise InputError(
                "--checkpoint needs a job record to find the checkpoint in",
                hint="pass -m with a job id from `codetune jobs`, or the checkpoint's endpoint itself",
            )
        return target, None
    if ref is None and target.label != record.id:
        return target, None  # an endpoint named on the command line is the one wanted
    choice = _choice(record, ref)
    if choice is None:
        return target, None
    chosen, why = choice
    served = default_checkpoint(record)
    note = f"{describe(chosen)} of job {record.id}, {why}"
    if served is not None and served["checkpoint_id"] != chosen["checkpoint_id"]:
        note += f"; the service serves {describe(served)} by default"
    label = f"{record.id} checkpoint {chosen['checkpoint_id']}"
    return replace(target, model=chosen["endpoint"], label=label), note
