"""Talking to a tuned model: which model ``-m`` means, conversations with history, tuned vs base.

``-m`` is a job id (or unique prefix), a run directory, a provider name that a job record knows, or a
Vertex endpoint ``projects/.../endpoints/...`` (which needs no record); omitted, the latest job. The job
record gives the backend, the tuned model and the system instruction the model was taught with, so it is
asked as it was taught. A :class:`ChatSession` keeps one conversation per model: every model gets the same
user turns and sees its own earlier answers, so ``--compare`` is two conversations side by side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from codetune.errors import ConfigError, InputError, JobError
from codetune.records import Message

if TYPE_CHECKING:
    from codetune.backends.base import ChatModel, GenerationOptions, Reply
    from codetune.config import Config
    from codetune.jobs import JobRecord

TUNED, BASE = "tuned", "base"
MODEL_HINT = (
    "pass -m with a job id from `codetune jobs`, a run directory, or a Vertex endpoint "
    "(projects/P/locations/L/endpoints/E)"
)


@dataclass(frozen=True)
class Target:
    """The tuned model a command talks to."""

    backend: str
    model: str | None  # what the backend's chat_model() gets (None: the record's)
    record: JobRecord | None
    label: str  # how it is shown: job id or endpoint name
    system: str | None  # the system instruction of training


def is_vertex_endpoint(ref: str) -> bool:
    """
    >>> is_vertex_endpoint("projects/p/locations/us-central1/endpoints/123"), is_vertex_endpoint("local-2024")
    (True, False)
    """
    return ref.startswith("projects/") and "/endpoints/" in ref


def resolve_target(config: Config, ref: str | None) -> Target:
    """The model ``-m ref`` names (see the module docstring); a job that has not succeeded is an error."""
    from codetune.jobs import JobStore

    store = JobStore(config.paths.runs_dir)
    if ref and is_vertex_endpoint(ref):
        try:
            record: JobRecord | None = store.find(ref)
        except JobError:
            record = None  # an endpoint tuned elsewhere: no record, the configured system instruction
        system = record.system_instruction if record else config.strategy.system_instruction
        return Target("vertex", ref, record, ref, system)
    try:
        record = store.find(ref)
    except JobError as exc:
        if ref and re.match(r"^(projects/[^/]+/locations/[^/]+/)?models/", ref):
            raise JobError(
                f"{ref} is a tuned model's name, and no job record here knows its endpoint",
                hint="pass the endpoint it is deployed to: -m projects/P/locations/L/endpoints/E "
                "(shown when its tuning job ended, and in the Vertex AI console)",
            ) from exc
        raise JobError(exc.message, hint=MODEL_HINT if ref else exc.hint) from exc
    if not record.ended:  # trained with --no-monitor: the record on disk may be behind the job
        from codetune.backends import get_backend

        if record.apply(get_backend(record.backend, config).status(record)):
            store.save(record)
    if record.state != "SUCCEEDED":
        hint = (
            f"follow it with: codetune monitor {record.id}"
            if not record.ended
            else f"see why with: codetune jobs --show {record.id}; or train again"
        )
        raise JobError(f"job {record.id} has no tuned model yet (state {record.state})", hint=hint)
    return Target(record.backend, record.tuned_model, record, record.id, record.system_instruction)


def open_models(config: Config, target: Target, *, compare: bool) -> dict[str, ChatModel]:
    """The tuned model, and with ``compare`` the base model to compare with, in that order.

    Locally both come from one loaded model (the backend toggles the adapter); on Vertex the base model
    is ``testing.compare_model``.
    """
    from codetune.backends import get_backend

    backend = get_backend(target.backend, config)
    models = {TUNED: backend.chat_model(target.model, record=target.record)}
    if compare:
        models[BASE] = backend.chat_model(None, record=target.record, base=True)
    return models


def open_judge(config: Config, spec: str, target: Target) -> ChatModel:
    """The judge ``--judge spec`` names: ``base`` (the target backend's base model, e.g. SmolLM2 locally),
    a Gemini model or Vertex endpoint, or a job whose tuned model judges."""
    from codetune.backends import get_backend

    if spec == "base":
        return get_backend(target.backend, config).chat_model(None, record=target.record, base=True)
    if spec.startswith(("gemini", "publishers/")):
        return get_backend("vertex", config).chat_model(spec, base=True)
    judge = resolve_target(config, spec)
    return get_backend(judge.backend, config).chat_model(judge.model, record=judge.record)


def generation_options(
    config: Config,
    *,
    temperature: float | None = None,
    max_output_tokens: int | None = None,
    thinking_budget: int | None = None,
) -> GenerationOptions:
    """``testing`` defaults with command-line overrides, checked like the config is."""
    from codetune.backends.base import GenerationOptions

    testing = config.testing
    options = GenerationOptions(
        temperature=testing.temperature if temperature is None else temperature,
        max_output_tokens=testing.max_output_tokens if max_output_tokens is None else max_output_tokens,
        thinking_budget=testing.thinking_budget if thinking_budget is None else thinking_budget,
    )
    problems = []
    if not 0 <= options.temperature <= 2:
        problems.append(f"--temperature must be between 0 and 2 (got {options.temperature:g})")
    if options.max_output_tokens < 1:
        problems.append(f"--max-tokens must be at least 1 (got {options.max_output_tokens})")
    if options.thinking_budget is not None and options.thinking_budget < -1:
        problems.append(
            f"--thinking-budget must be -1 (dynamic), 0 (off) or positive (got {options.thinking_budget})"
        )
    if problems:
        raise ConfigError("; ".join(problems))
    return options


@dataclass
class Turn:
    prompt: str
    replies: dict[str, Reply]


@dataclass
class ChatSession:
    """One conversation per model, advanced together: a turn is kept only when every model answered."""

    models: dict[str, ChatModel]
    system: str | None
    options: GenerationOptions
    turns: list[Turn] = field(default_factory=list)

    def history(self, label: str) -> list[Message]:
        """The conversation ``label``'s model has seen so far."""
        messages: list[Message] = []
        for turn in self.turns:
            messages.append(Message("user", turn.prompt))
            messages.append(Message("model", turn.replies[label].text))
        return messages

    def ask(self, prompt: str, *, on_reply: Callable[[str, Reply], None] | None = None) -> dict[str, Reply]:
        """Send ``prompt`` after each model's own history; returns the replies by label."""
        if not prompt.strip():
            raise InputError("empty prompt", hint="type a question, or /help for the commands")
        replies: dict[str, Reply] = {}
        for label, model in self.models.items():
            messages = [*self.history(label), Message("user", prompt)]
            replies[label] = model.generate(messages, system=self.system, options=self.options)
            if on_reply is not None:
                on_reply(label, replies[label])
        self.turns.append(Turn(prompt, replies))
        return replies

    def reset(self) -> None:
        self.turns.clear()

    def with_options(self, **changes: object) -> None:
        """Change generation options mid-conversation (e.g. ``temperature=0.7``)."""
        self.options = replace(self.options, **changes)  # type: ignore[arg-type]
