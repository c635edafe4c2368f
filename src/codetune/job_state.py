"""A job's state, as every backend reports it: the states and one status reading. Imports nothing of codetune.

Both the backend protocol (:mod:`codetune.backends.base`) and the job records (:mod:`codetune.jobs`) build on
this module, so neither needs the other to say what a state is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

# Normalised job states; each backend maps its provider's states onto these (the raw state is kept too).
JobState = Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"]
TERMINAL_STATES: frozenset[str] = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


def is_terminal(state: str) -> bool:
    """True for a state a job never leaves.

    >>> is_terminal("SUCCEEDED"), is_terminal("CANCELLING")
    (True, False)
    """
    return state in TERMINAL_STATES


class Checkpoint(TypedDict):
    """One intermediate checkpoint of a tuned model, deployed to its own endpoint (Vertex AI exports about
    one per epoch), as a job record keeps it."""

    checkpoint_id: str
    epoch: int | None
    step: int | None
    endpoint: str


@dataclass
class JobStatus:
    """One reading of a job's state, from the backend's ``status``."""

    state: JobState
    raw_state: str = ""  # provider's own state, e.g. JOB_STATE_RUNNING
    detail: str | None = None  # finer progress, e.g. Vertex tuning_job_state PROCESSING_DATASET
    step: int | None = None
    total_steps: int | None = None
    eta_seconds: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)  # latest loss, eval_loss, tokens/s, lr, ...
    stats: dict[str, Any] = field(default_factory=dict)  # provider data stats (billable tokens, examples)
    error: str | None = None
    tuned_model: str | None = None  # what `codetune test -m` takes
    endpoint: str | None = None
    # Intermediate checkpoints, in training order; ``endpoint`` serves the provider's default one.
    checkpoints: list[Checkpoint] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # backend-specific facts, folded into JobRecord.extra

    @property
    def ended(self) -> bool:
        return is_terminal(self.state)
