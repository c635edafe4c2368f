"""What every backend provides, as protocols (no implementation inheritance).

A backend starts a supervised tuning job and returns at once (``submit``), reports on it
(``status``), stops it (``cancel``) and gives chat models for tuned or base models. Polling and the
job record on disk live once, in :mod:`codetune.jobs`, not in each backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    latency_seconds: float  # in a batch: the batch's wall time shared equally among its answers
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None  # STOP (ended its turn) or MAX_TOKENS (cut at the limit), as Gemini says
    model: str = ""


@dataclass(frozen=True)
class ChatRequest:
    """One conversation to answer: ``messages`` alternate user/model and end with a user turn."""

    messages: tuple[Message, ...]
    system: str | None = None


@dataclass(frozen=True)
class AnswerScore:
    """How likely a model finds a given answer: the mean negative log-likelihood of its tokens."""

    loss: float  # nats per answer token (the training loss of that answer)
    tokens: int  # answer tokens scored, the end-of-turn token included


OnReply = Callable[[int, Reply], None]  # (index of the request, its reply), as each one is ready
OnScore = Callable[[int, AnswerScore], None]


@runtime_checkable
class ChatModel(Protocol):
    """A model to talk to: ``messages`` alternate user/model and end with a user turn.

    ``generate_batch`` answers many requests the fastest way the model knows (a local model: padded
    batches; a remote one: concurrent requests; otherwise :func:`generate_each`), with the same answers
    as :meth:`generate` gives one at a time. ``can_score`` says whether ``score_answers`` works: a model
    whose weights are here can score a given answer; a hosted API returns log-probabilities only of
    what it generates itself, and its ``score_answers`` raises :class:`~codetune.errors.BackendError`.
    """

    name: str
    can_score: bool

    def generate(
        self, messages: Sequence[Message], *, system: str | None, options: GenerationOptions
    ) -> Reply: ...

    def generate_batch(
        self, requests: Sequence[ChatRequest], *, options: GenerationOptions, on_reply: OnReply | None = None
    ) -> list[Reply]:
        """Replies in request order; ``on_reply`` hears of each one as soon as it is ready (any order)."""
        ...

    def score_answers(
        self,
        requests: Sequence[ChatRequest],
        answers: Sequence[str],
        *,
        on_score: OnScore | None = None,
    ) -> list[AnswerScore]:
        """How likely each answer is as this model's reply to its request, in request order."""
        ...


def generate_each(
    model: ChatModel,
    requests: Sequence[ChatRequest],
    *,
    options: GenerationOptions,
    on_reply: OnReply | None = None,
) -> list[Reply]:
    """``generate_batch`` for a model that cannot batch: one request after another, in order."""
    replies = []
    for index, request in enumerate(requests):
        reply = model.generate(request.messages, system=request.system, options=options)
        if on_reply is not None:
            on_reply(index, reply)
        replies.append(reply)
    return replies


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
