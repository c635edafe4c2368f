"""What every backend provides, as protocols.

A backend starts a supervised tuning job and returns at once (``submit``), reports on it (``status``),
stops it (``cancel``) and gives chat models for tuned or base models. What a backend can do beyond that is
*declared* on it (``paid``, ``uploads``, ``can_resume``, ``max_poll_interval_seconds``), never probed:
:mod:`codetune.orchestration` reads these to decide confirmation, resume and polling. A backend class
names :class:`Backend` as its base (PEP 544's explicit protocol subclassing) to take the defaults of what
it does not declare; there is no deeper hierarchy. Polling and the job record on disk live once, in
:mod:`codetune.jobs`; job states in :mod:`codetune.job_state`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from codetune.errors import ConfigError, JobError
from codetune.job_state import JobStatus
from codetune.records import Message

if TYPE_CHECKING:
    from codetune.jobs import JobRecord

# (stage description, completed, total or None) -> None, as in codetune.cli.ui.ProgressCallback
Progress = Callable[[str, int, int | None], None]


@dataclass
class TuningRequest:
    """Everything a backend needs to start a job; built and validated by :func:`codetune.training.build_request`."""

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
    """A training backend. Required: ``name`` and the methods without a body here; the rest has defaults."""

    name: str
    # True when submit spends money or uploads data: a job is started only after the user confirms.
    paid: bool = True
    # True when the data is copied somewhere before a job reads it (`codetune upload` does that step alone).
    uploads: bool = False
    # True when a job that was killed can continue from its last checkpoint (`resume`).
    can_resume: bool = False
    # How stale a followed job's status may get: a backend whose status is a local file read caps the
    # configured interval (training.poll_interval_seconds, sized for remote APIs) to show progress promptly.
    max_poll_interval_seconds: float = math.inf

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

    def upload(self, request: TuningRequest, progress: Progress | None = None) -> dict[str, str]:
        """Copy the data where jobs read it; ``{split: URI}``. Only where ``uploads`` is True."""
        raise ConfigError(
            f"the {self.name} backend reads {request.train_file} in place: there is nothing to upload"
        )

    def resume(self, record: JobRecord) -> None:
        """Restart a killed job from its last checkpoint. Only where ``can_resume`` is True."""
        raise JobError(
            f"the {self.name} backend cannot resume a job", hint="start a new one with: codetune train"
        )

    def chat_model(
        self, model: str | None, *, record: JobRecord | None = None, base: bool = False
    ) -> ChatModel:
        """A tuned model (``model`` or the record's) or, with ``base=True``, the model to compare with."""
        ...
