"""Chat with a local model: the tuned adapter and its base come from ONE loaded model.

The base model is loaded once per process with the job's adapter on top; the base's answers are the
same weights with the adapter switched off (``disable_adapter``), so ``--compare`` costs one model in
memory, not two. The tokenizer (and so the chat template) is the one saved with the adapter: training
and serving render prompts the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.backends.local import hardware as hardware_mod
from codetune.backends.local import models
from codetune.backends.local.data import IGNORE, Conversation, chat_messages, encode
from codetune.backends.local.rundir import ADAPTER_INFO
from codetune.errors import BackendError

if TYPE_CHECKING:
    from codetune.backends.base import AnswerScore, ChatRequest, GenerationOptions, OnReply, OnScore, Reply
    from codetune.config import Config
    from codetune.records import Message

# (base model path, adapter dir or "") -> (model, tokenizer, device); one load per process
_LOADED: dict[tuple[str, str], tuple[Any, Any, str]] = {}


def _base_path(config: Config, adapter: Path | None) -> tuple[str, str]:
    """(spec, loadable path) of the base model: the adapter's own, else ``local.base_model``."""
    spec = config.local.base_model
    if adapter is not None and (adapter / ADAPTER_INFO).is_file():
        info = json.loads((adapter / ADAPTER_INFO).read_text(encoding="utf-8"))
        spec = info.get("base_model") or spec
        if info.get("base_path") and Path(info["base_path"]).is_dir():
            return spec, str(info["base_path"])
    cache_dir = models.default_cache_dir(config.local.cache_dir)
    return spec, models.resolve(spec, cache_dir=cache_dir).path


def _load(config: Config, adapter: Path | None) -> tuple[Any, Any, str, str]:
    hardware_mod.prepare_this_process()  # before anything imports torch
    spec, base_path = _base_path(config, adapter)
    key = (base_path, str(adapter or ""))
    if key not in _LOADED:
        import warnings

        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the terminal belongs to the chat, not to loading bars
        hardware = hardware_mod.detect(config.local.device)
        hardware_mod.apply_threads(hardware)
        # inference: bf16 where the hardware has it natively, fp32 on CPU (emulated bf16 is slower there)
        dtype = getattr(torch, hardware.load_dtype)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter(
                    "ignore", FutureWarning
                )  # library deprecations, nothing the user can act on
                tokenizer = AutoTokenizer.from_pretrained(str(adapter or base_path))
                model: Any = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype)
                if adapter is not None:
                    from peft import PeftModel

                    model = PeftModel.from_pretrained(model, str(adapter))
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot load the local model {adapter or base_path}: {exc}") from exc
        model.to(hardware.device).eval()
        _LOADED[key] = (model, tokenizer, hardware.device)
    model, tokenizer, device = _LOADED[key]
    return model, tokenizer, device, spec


class LocalChatModel:
    """A :class:`~codetune.backends.base.ChatModel` over a loaded (PEFT) model.

    Generation runs in left-padded batches of ``batch_size`` prompts of similar length, with the KV
    cache; greedy decoding gives the same tokens as one prompt at a time (the attention mask hides the
    padding and the position ids count real tokens only). Each sequence stops at its own end-of-turn
    token. Scoring reuses the training data's encoding (:func:`.data.encode`), so an answer's loss here
    is the loss training computed on it.
    """

    can_score = True

    def __init__(
        self,
        name: str,
        model: Any,
        tokenizer: Any,
        device: str,
        *,
        adapter_enabled: bool,
        batch_size: int = 1,
    ) -> None:
        self.name = name
        self._model = model
        self._tokenizer = tokenizer
        self._device = device
        self._adapter_enabled = adapter_enabled
        self.batch_size = max(1, batch_size)

    # -- generation -------------------------------------------------------------------------------------

    def generate(
        self, messages: Sequence[Message], *, system: str | None, options: GenerationOptions
    ) -> Reply:
        from codetune.backends.base import ChatRequest

        return self._generate_group([self.prompt_ids(ChatRequest(tuple(messages), system))], options)[0]

    def generate_batch(
        self, requests: Sequence[ChatRequest], *, options: GenerationOptions, on_reply: OnReply | None = None
    ) -> list[Reply]:
        prompts = [self.prompt_ids(request) for request in requests]
        replies: list[Reply | None] = [None] * len(prompts)
        for group in length_groups([len(ids) for ids in prompts], self.batch_size):
            for index, reply in zip(
                group, self._generate_group([prompts[i] for i in group], options), strict=True
            ):
                replies[index] = reply
                if on_reply is not None:
                    on_reply(index, reply)
        return [reply for reply in replies if reply is not None]

    def prompt_ids(self, request: ChatRequest) -> list[int]:
        """The prompt's token ids: the conversation in the chat template, ready for the answer."""
        encoding = self._tokenizer.apply_chat_template(
            chat_messages(request.system, request.messages), add_generation_prompt=True, return_dict=True
        )
        return [int(token) for token in encoding["input_ids"]]

    def _generate_group(self, prompts: list[list[int]], options: GenerationOptions) -> list[Reply]:
        """One batch: prompts left-padded to the longest, generated together, cut at their own end."""
        import torch
        from transformers import GenerationConfig

        from codetune.backends.base import Reply

        tokenizer = self._tokenizer
        stop_ids = [tokenizer.eos_token_id]
        pad_id = self._pad_id()
        width = max(len(ids) for ids in prompts)
        input_ids = torch.tensor(
            [[pad_id] * (width - len(ids)) + ids for ids in prompts], device=self._device
        )
        attention = torch.tensor(
            [[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts], device=self._device
        )
        settings = GenerationConfig(
            max_new_tokens=options.max_output_tokens,
            do_sample=options.temperature > 0,
            temperature=options.temperature if options.temperature > 0 else None,
            top_p=None,
            top_k=None,
            eos_token_id=stop_ids,
            pad_token_id=pad_id,
        )
        if options.seed is not None:
            torch.manual_seed(options.seed)  # sampling reproduces for the same seed (and the same batch)
        started = time.perf_counter()
        with torch.inference_mode(), self._adapter_switch():
            output = self._model.generate(
                input_ids=input_ids, attention_mask=attention, generation_config=settings
            )
        share = (time.perf_counter() - started) / len(prompts)
        replies = []
        for row, ids in zip(output[:, width:].tolist(), prompts, strict=True):
            new_tokens, finished = cut_at_stop(row, stop_ids)
            replies.append(
                Reply(
                    text=tokenizer.decode(new_tokens, skip_special_tokens=True).strip(),
                    latency_seconds=share,
                    prompt_tokens=len(ids),
                    output_tokens=len(new_tokens),
                    finish_reason="STOP" if finished else "MAX_TOKENS",
                    model=self.name,
                )
            )
        return replies

    # -- scoring ----------------------------------------------------------------------------------------

    def score_answers(
        self,
        requests: Sequence[ChatRequest],
        answers: Sequence[str],
        *,
        on_score: OnScore | None = None,
    ) -> list[AnswerScore]:
        """Mean negative log-likelihood of each answer's tokens (end-of-turn included), as training's loss.

        The conversation is encoded as training encodes it, and only the final answer counts. Batches
        are right-padded (padding is masked by attention and labels), the beginning the batch's rows
        share (system instruction, chat template) is computed once (~10% of the time on the demo data),
        and only answer positions go through the LM head, so a long prompt costs no
        ``[tokens, vocabulary]`` logits.
        """

        encoded = [
            self._answer_tokens(request, answer) for request, answer in zip(requests, answers, strict=True)
        ]
        scores: list[AnswerScore | None] = [None] * len(encoded)
        for group in length_groups([len(ids) for ids, _ in encoded], self.batch_size):
            for index, score in zip(group, self._score_group([encoded[i] for i in group]), strict=True):
                scores[index] = score
                if on_score is not None:
                    on_score(index, score)
        return [score for score in scores if score is not None]

    def _answer_tokens(self, request: ChatRequest, answer: str) -> tuple[list[int], list[int]]:
        """Token ids and labels of the conversation with ``answer`` as its last turn (earlier answers masked)."""
        from codetune.records import Message

        conversation = Conversation(0, request.system, (*request.messages, Message("model", answer)))
        encoded, _ = encode(self._tokenizer, conversation, self._tokenizer.eos_token)
        return encoded.input_ids, last_answer_only(encoded.labels)

    def _score_group(self, examples: list[tuple[list[int], list[int]]]) -> list[AnswerScore]:
        import inspect

        import torch
        import torch.nn.functional as F
        from transformers import DynamicCache

        from codetune.backends.base import AnswerScore

        width = max(len(ids) for ids, _ in examples)
        pad_id = self._pad_id()
        input_ids = torch.tensor(
            [ids + [pad_id] * (width - len(ids)) for ids, _ in examples], device=self._device
        )
        labels = torch.tensor(
            [lab + [IGNORE] * (width - len(lab)) for _, lab in examples], device=self._device
        )
        attention = torch.tensor(
            [[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in examples], device=self._device
        )
        # The batch's common beginning (system instruction, template) is computed once and its keys and
        # values reused by every row; it ends before the first answer token's prediction.
        first_answer = min(next(i for i, label in enumerate(lab) if label != IGNORE) for _, lab in examples)
        shared = min(common_prefix([ids for ids, _ in examples]), first_answer - 1)
        causal_lm = self._model.get_base_model() if hasattr(self._model, "get_base_model") else self._model
        backbone = causal_lm.base_model
        if shared < 2 or len(examples) < 2:
            shared = 0
        # transformers 5 renamed the cache argument (the old name still works, with a warning)
        cache_arg = (
            "cache" if "cache" in inspect.signature(backbone.forward).parameters else "past_key_values"
        )
        with torch.inference_mode(), self._adapter_switch():
            cache: dict[str, Any] = {}
            if shared:
                cache[cache_arg] = DynamicCache()
                backbone(input_ids=input_ids[:1, :shared], use_cache=True, **cache)  # fills the cache
                cache[cache_arg].batch_repeat_interleave(len(examples))
            hidden = backbone(
                input_ids=input_ids[:, shared:], attention_mask=attention, use_cache=bool(shared), **cache
            ).last_hidden_state
            head = causal_lm.get_output_embeddings()
            scores = []
            for row in range(len(examples)):
                targets = labels[row, shared + 1 :]
                answer = targets != IGNORE
                logits = head(hidden[row, :-1][answer]).float()
                total = F.cross_entropy(logits, targets[answer], reduction="sum")
                count = int(answer.sum())
                scores.append(AnswerScore(loss=float(total) / max(count, 1), tokens=count))
        return scores

    def _pad_id(self) -> int:
        tokenizer = self._tokenizer
        return int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id)

    def _adapter_switch(self) -> Any:
        """The adapter off for the base model's turn (the same weights, one model in memory)."""
        if self._adapter_enabled or not hasattr(self._model, "disable_adapter"):
            return nullcontext()
        return self._model.disable_adapter()


def length_groups(lengths: Sequence[int], size: int) -> list[list[int]]:
    """Indices in groups of at most ``size``, shortest first, so each group pads little.

    >>> length_groups([30, 5, 12, 7, 40], 2)
    [[1, 3], [2, 0], [4]]
    """
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    return [order[start : start + size] for start in range(0, len(order), size)]


def common_prefix(rows: Sequence[Sequence[int]]) -> int:
    """How many leading tokens all rows share.

    >>> common_prefix([[1, 2, 3, 4], [1, 2, 5], [1, 2, 3]]), common_prefix([[1], [2]])
    (2, 0)
    """
    shortest = min(len(row) for row in rows)
    for position in range(shortest):
        if any(row[position] != rows[0][position] for row in rows):
            return position
    return shortest


def cut_at_stop(tokens: Sequence[int], stop_ids: Sequence[int]) -> tuple[list[int], bool]:
    """A generated row up to and including its first stop token (what follows is batch padding),
    and whether it stopped.

    >>> cut_at_stop([5, 6, 2, 2, 2], [2]), cut_at_stop([5, 6, 7], [2])
    (([5, 6, 2], True), ([5, 6, 7], False))
    """
    for position, token in enumerate(tokens):
        if token in stop_ids:
            return list(tokens[: position + 1]), True
    return list(tokens), False


def last_answer_only(labels: Sequence[int]) -> list[int]:
    """Labels with every answer but the last one masked (the last run of trained tokens).

    >>> last_answer_only([-100, 4, 5, -100, -100, 8, 9, -100])
    [-100, -100, -100, -100, -100, 8, 9, -100]
    """
    end = max((i for i, label in enumerate(labels) if label != IGNORE), default=-1)
    start = end
    while start > 0 and labels[start - 1] != IGNORE:
        start -= 1
    return [label if start <= i <= end else IGNORE for i, label in enumerate(labels)]


def open_chat_model(config: Config, adapter: Path | None, *, base: bool) -> LocalChatModel:
    """The tuned model of ``adapter``, or (``base=True``) its base: both from the same loaded weights."""
    model, tokenizer, device, spec = _load(config, adapter)
    batch_size = config.testing.eval_batch_size
    if base or adapter is None:
        return LocalChatModel(
            f"{spec} (base)", model, tokenizer, device, adapter_enabled=False, batch_size=batch_size
        )
    job = adapter.parent.name if adapter.name == "adapter" else adapter.name
    return LocalChatModel(
        f"{job} (tuned {spec})", model, tokenizer, device, adapter_enabled=True, batch_size=batch_size
    )
