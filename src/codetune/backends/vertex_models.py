"""Facts about Gemini models on Vertex AI, and the chat model for tuned endpoints and base models.

The tables follow Vertex AI's tuning documentation, summarised in docs/vertex.md: which adapter sizes each
base model accepts (the service answers a wrong one with a vague ``400``, so it is checked before anything is
spent), how job states map onto codetune's, and which thinking budget each model family accepts (Flash may
turn thinking off with 0; Pro rejects 0 with "Thinking can't be disabled for this model", its minimum is 128).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from codetune.backends.base import (
    AnswerScore,
    ChatRequest,
    GenerationOptions,
    OnReply,
    OnScore,
    Reply,
)
from codetune.backends.vertex_errors import Where, translate
from codetune.errors import BackendError, InputError
from codetune.job_state import JobState

if TYPE_CHECKING:
    from codetune.records import Message

ADAPTER_SIZES: dict[str, tuple[int, ...]] = {
    "gemini-2.5-flash": (1, 2, 4, 8, 16),
    "gemini-2.5-flash-lite": (1, 2, 4, 8, 16),
    "gemini-2.5-pro": (1, 2, 4, 8),
    "gemini-2.0-flash-001": (1, 2, 4, 8),
    "gemini-2.0-flash-lite-001": (1, 2, 4, 8),
}
ADAPTER_ENUM: dict[int, str] = {
    1: "ADAPTER_SIZE_ONE",
    2: "ADAPTER_SIZE_TWO",
    4: "ADAPTER_SIZE_FOUR",
    8: "ADAPTER_SIZE_EIGHT",
    16: "ADAPTER_SIZE_SIXTEEN",
    32: "ADAPTER_SIZE_THIRTY_TWO",
}
PRO_MIN_THINKING_BUDGET = 128

_STATES: dict[str, JobState] = {
    "JOB_STATE_QUEUED": "PENDING",
    "JOB_STATE_PENDING": "PENDING",
    "JOB_STATE_RUNNING": "RUNNING",
    "JOB_STATE_UPDATING": "RUNNING",
    "JOB_STATE_PAUSED": "RUNNING",
    "JOB_STATE_SUCCEEDED": "SUCCEEDED",
    "JOB_STATE_PARTIALLY_SUCCEEDED": "SUCCEEDED",
    "JOB_STATE_FAILED": "FAILED",
    "JOB_STATE_EXPIRED": "FAILED",
    "JOB_STATE_CANCELLING": "CANCELLING",
    "JOB_STATE_CANCELLED": "CANCELLED",
}


def model_id(model: str) -> str:
    """The bare model id of a publisher model name.

    >>> model_id("publishers/google/models/gemini-2.5-pro"), model_id("gemini-2.5-flash")
    ('gemini-2.5-pro', 'gemini-2.5-flash')
    """
    return model.rsplit("/", 1)[-1]


def allowed_adapter_sizes(base_model: str) -> tuple[int, ...] | None:
    """Adapter sizes the service accepts for ``base_model`` (None: a model codetune has no facts about).

    >>> allowed_adapter_sizes("gemini-2.5-pro"), allowed_adapter_sizes("gemini-9")
    ((1, 2, 4, 8), None)
    """
    return ADAPTER_SIZES.get(model_id(base_model))


def normalise_state(raw: str | None) -> JobState:
    """A Vertex job state -> codetune's state (unknown states count as running, a missing one as pending).

    >>> normalise_state("JOB_STATE_QUEUED"), normalise_state("JOB_STATE_EXPIRED"), normalise_state("NEW")
    ('PENDING', 'FAILED', 'RUNNING')
    """
    if not raw:
        return "PENDING"  # a job the service has not reported a state for yet
    return _STATES.get(raw, "RUNNING")


def enum_text(value: Any) -> str:
    """The string of an SDK enum (or of a plain string, for enum values the SDK does not know yet).

    >>> enum_text(None), enum_text("JOB_STATE_RUNNING")
    ('', 'JOB_STATE_RUNNING')
    """
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def thinking_budget_for(model: str, requested: int | None) -> int | None:
    """The thinking budget to send: None sends none; Pro cannot go below its minimum; pre-2.5 has no thinking.

    >>> thinking_budget_for("gemini-2.5-flash", 0), thinking_budget_for("gemini-2.5-pro", 0)
    (0, 128)
    >>> thinking_budget_for("gemini-2.0-flash-001", 0) is None, thinking_budget_for("gemini-2.5-pro", None) is None
    (True, True)
    >>> thinking_budget_for("gemini-2.5-pro", -1)
    -1
    """
    if requested is None:
        return None
    name = model_id(model)
    if not name.startswith("gemini-2.5") and not name.startswith("gemini-3"):
        return None  # 2.0 models reject thinking settings
    if "pro" in name and requested >= 0:  # -1 (dynamic) is fine for every 2.5 model
        return max(requested, PRO_MIN_THINKING_BUDGET)
    return requested


def endpoint_name(model: str, project: str, location: str) -> str:
    """The full resource name to call: the SDK rewrites a short ``endpoints/123`` into a wrong publisher path.

    >>> endpoint_name("endpoints/42", "p", "us-central1")
    'projects/p/locations/us-central1/endpoints/42'
    >>> endpoint_name("1234567890", "p", "l"), endpoint_name("gemini-2.5-pro", "p", "l")
    ('projects/p/locations/l/endpoints/1234567890', 'gemini-2.5-pro')
    """
    if model.startswith("endpoints/"):
        return f"projects/{project}/locations/{location}/{model}"
    if model.isdigit():
        return f"projects/{project}/locations/{location}/endpoints/{model}"
    return model


class VertexChatModel:
    """A Gemini model on Vertex AI: a tuned model's endpoint or a publisher model such as gemini-2.5-pro.

    ``generate_batch`` keeps up to ``concurrency`` requests in flight (threads: the SDK's HTTP client is
    thread-safe); each request retries 429s and 5xx with backoff (the client's retry options). It cannot
    score a given text (``can_score``): Gemini returns log-probabilities only of what it generates.
    """

    can_score = False

    def __init__(
        self, client: Any, model: str, *, base_model: str, where: Where, concurrency: int = 1
    ) -> None:
        self._client = client
        self.name = model
        self.base_model = base_model  # decides the thinking budget: a tuned Pro model is still a Pro model
        self._where = where
        self.concurrency = max(1, concurrency)

    def generate_batch(
        self, requests: Sequence[ChatRequest], *, options: GenerationOptions, on_reply: OnReply | None = None
    ) -> list[Reply]:
        """Every request answered, ``concurrency`` at a time; ``on_reply`` runs in the calling thread.

        When a request fails for good, no new ones start; those in flight finish and are delivered
        (they are paid for), then the first error is raised.
        """
        from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

        replies: list[Reply | None] = [None] * len(requests)
        failure: Exception | None = None
        waiting = iter(range(len(requests)))
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="vertex-generate") as pool:
            running: dict[Future[Reply], int] = {}

            def start_next() -> None:
                index = next(waiting, None)
                if index is not None:
                    request = requests[index]
                    running[
                        pool.submit(self.generate, request.messages, system=request.system, options=options)
                    ] = index

            for _ in range(self.concurrency):
                start_next()
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = running.pop(future)
                    try:
                        replies[index] = future.result()
                    except Exception as exc:  # noqa: BLE001 - re-raised once the others are in
                        failure = failure or exc
                        continue
                    if on_reply is not None:
                        on_reply(index, replies[index])  # type: ignore[arg-type]
                    if failure is None:
                        start_next()
        if failure is not None:
            raise failure
        return [reply for reply in replies if reply is not None]

    def score_answers(
        self,
        requests: Sequence[ChatRequest],
        answers: Sequence[str],
        *,
        on_score: OnScore | None = None,
    ) -> list[AnswerScore]:
        raise BackendError(
            f"{self.name} cannot score a given text: Gemini returns log-probabilities only of what it generates"
        )

    def generate(
        self, messages: Sequence[Message], *, system: str | None, options: GenerationOptions
    ) -> Reply:
        """One reply to ``messages`` (user/model alternating, ending with a user turn)."""
        from google.genai import types

        if not messages or messages[-1].role != "user":
            raise InputError("a conversation must end with a user message")
        contents = [types.Content(role=m.role, parts=[types.Part(text=m.text)]) for m in messages]
        budget = thinking_budget_for(self.base_model, options.thinking_budget)
        config = types.GenerateContentConfig(
            system_instruction=system or None,
            temperature=options.temperature,
            max_output_tokens=options.max_output_tokens,
            seed=options.seed,
            thinking_config=types.ThinkingConfig(thinking_budget=budget) if budget is not None else None,
        )
        started = time.monotonic()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the SDK warns about non-text parts and experimental flags
                response = self._client.models.generate_content(
                    model=self.name, contents=contents, config=config
                )
        except Exception as exc:  # noqa: BLE001 - translated in one place, cause kept
            raise translate(exc, self._where) from exc
        latency = time.monotonic() - started
        candidate = response.candidates[0] if response.candidates else None
        texts = []
        if candidate is not None and candidate.content is not None:
            texts = [part.text for part in candidate.content.parts or [] if part.text and not part.thought]
        usage = response.usage_metadata
        return Reply(
            text="".join(texts),
            latency_seconds=latency,
            prompt_tokens=usage.prompt_token_count if usage else None,
            output_tokens=usage.candidates_token_count if usage else None,
            finish_reason=enum_text(candidate.finish_reason) if candidate is not None else None,
            model=self.name,
        )

    def count_tokens(self, text: str) -> int:
        """Exact token count of ``text`` for this model (a network call: countTokens)."""
        try:
            response = self._client.models.count_tokens(model=self.name, contents=text)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, Where(f"counting tokens with {self.name}", self._where.project)) from exc
        return int(response.total_tokens or 0)
