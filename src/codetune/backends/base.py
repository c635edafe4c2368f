"""What every backend provides, as protocols (no implementation inheritance).

A backend starts a supervised tuning job and returns at once (``submit``), reports on it
(``status``), stops it (``cancel``) and gives chat models for tuned or base models. Polling and the
job record on disk live once, in :mod:`codetune.jobs`, not in each backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from codetune.records import Message

if TYPE_CHECKING:
    from codetune.jobs import JobRecord

# Normalised job states; each backend maps its provider's states onto these (raw state kept too).
JobState = Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLING", "CANCELLED"]
TERMINAL_STATES: frozenset[str] = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


@dataclass
class TuningRequest:
    """Everything a backend needs to start a job; built and validated by :func:`codetune.jobs.prepare_request`."""

    train_file: Path
    validation_file: Path | None
    display_name: str
    system_instruction: str | None
    fingerprint: str  # hash of data + config: a retried `train` reuses the job with the same fingerprint
    data_hashes: dict[str, str] = field(default_factory=dict)  # "train"/"validation" -> sha256
    train_examples: int = 0
    validation_examples: int = 0
    train_tokens: int = 0  # estimated (chars/4 rule) over the training file, one pass
    validation_tokens: int = 0
    warnings: list[str] = field(default_factory=list)  # the validator's, shown with the estimate


@dataclass
class JobStatus:
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
    extra: dict[str, Any] = field(default_factory=dict)  # backend-specific facts, folded into JobRecord.extra

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass
class GenerationOptions:
    temperature: float = 0.2
    max_output_tokens: int = 512
    thinking_budget: int | None = 0  # Gemini 2.5 only; None leaves the model's default
    seed: int | None = 0


@dataclass
class Reply:
    text: str
    latency_seconds: float
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    model: str = ""


@runtime_checkable
class ChatModel(Protocol):
    """A model to talk to: ``messages`` alternate user/model and end with a user turn."""

    name: str

    def generate(
        self, messages: Sequence[Message], *, system: str | None, options: GenerationOptions
    ) -> Reply: ...


@runtime_checkable
class Backend(Protocol):
    name: str
    paid: bool  # True when submit spends money or uploads data: the CLI asks for confirmation first

    def check(self, request: TuningRequest) -> list[str]:
        """Problems that would make the job fail, found before anything is uploaded or started."""
        ...

    def estimate(self, request: TuningRequest) -> dict[str, Any]:
        """Examples, (estimated) tokens, cost: shown before the user confirms."""
        ...

    def submit(self, request: TuningRequest, record: JobRecord) -> None:
        """Start the job and return at once; fills ``record.remote_name`` and backend fields."""
        ...

    def status(self, record: JobRecord) -> JobStatus: ...

    def cancel(self, record: JobRecord) -> None: ...

    def chat_model(
        self, model: str | None, *, record: JobRecord | None = None, base: bool = False
    ) -> ChatModel:
        """A tuned model (``model`` or the record's) or, with ``base=True``, the model to compare with."""
        ...
