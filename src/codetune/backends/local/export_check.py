"""The proof that an exported model answers like the one codetune evaluated.

A few validation prompts are answered greedily by the job's adapter model exactly as ``codetune eval``
asks it (:func:`~codetune.backends.local.chat.open_chat_model`, on the CPU in float32), and by the export,
loaded back by a loader that shares none of our writing code: transformers' ``AutoModelForCausalLM`` for a
merged directory; transformers' GGUF reader (which dequantises) and llama.cpp itself (``llama-cpp-python``,
when installed: its own template rendering, tokenizer and sampler) for a GGUF. Two figures per loader:

- **answers**: how many of the export's answers are the same text as the reference's;
- **tokens**: teacher-forced top-1 agreement. Every prompt followed by the reference's answer is fed to
  the export and to the adapter model; at each answer position (end-of-turn included) both pick their
  most likely next token, and the figure is the share where they pick the same. Free-running answers
  part for good after one different token; this counts every position, so 97% means that 3 next-token
  choices in 100 differ.

A merged directory (float32 or float16) or an f16 GGUF must give the same answers; a q8_0 GGUF or a
bfloat16 directory must agree on at least 95% of the tokens (their weights keep 8 significant bits or so).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.backends.local.data import chat_messages, read_conversations

if TYPE_CHECKING:
    from codetune.backends.base import Reply
    from codetune.config import Config
    from codetune.records import Message

MIN_QUANTIZED_AGREEMENT = 0.95
OnAnswer = Callable[[int, int], None]  # (answered, total)


@dataclass(frozen=True)
class Prompt:
    line: int  # in the file it comes from
    system: str | None
    messages: tuple[Message, ...]  # ends with a user turn


@dataclass
class Reference:
    """The evaluated model's answers, and its next-token choices along them."""

    chats: list[list[dict[str, str]]]  # the prompts as chat-template messages
    answers: list[Reply]
    sequences: list[list[int]] = field(default_factory=list)  # prompt + answer token ids
    starts: list[int] = field(default_factory=list)  # where each answer begins in its sequence
    choices: list[list[int]] = field(default_factory=list)  # the adapter model's pick at each answer position


@dataclass(frozen=True)
class Agreement:
    """How one loader's answers compare with the reference's."""

    loader: str
    exact: bool  # True: identical answers are required; False: MIN_QUANTIZED_AGREEMENT of the tokens
    answers: int = 0
    identical: int = 0
    tokens: int = 0
    agreeing: int = 0
    skipped: str | None = None  # why this loader was not run
    note: str | None = None  # e.g. the loader's own tokenizer splits a prompt differently

    @property
    def token_share(self) -> float:
        return self.agreeing / self.tokens if self.tokens else 1.0

    @property
    def passed(self) -> bool:
        if self.skipped:
            return True
        if self.exact:
            return self.identical == self.answers
        return self.token_share >= MIN_QUANTIZED_AGREEMENT

    def summary(self) -> str:
        """``3/3 answers identical, 100.0% of 212 tokens agree``."""
        if self.skipped:
            return f"skipped: {self.skipped}"
        return (
            f"{self.identical}/{self.answers} answers identical, "
            f"{100 * self.token_share:.1f}% of {self.tokens} tokens agree"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "token_share": round(self.token_share, 4), "passed": self.passed}


def validation_prompts(files: Sequence[Path], limit: int) -> tuple[list[Prompt], str | None]:
    """Up to ``limit`` prompts spread evenly over the first readable file (and which file, or None)."""
    for path in files:
        if not path.is_file():
            continue
        conversations = read_conversations(path)
        if not conversations:
            continue
        count = min(limit, len(conversations))
        chosen = [conversations[index * len(conversations) // count] for index in range(count)]
        return [Prompt(c.line, c.system, c.messages[:-1]) for c in chosen], str(path)
    return [], None


def reference_answers(
    config: Config,
    adapter: Path,
    prompts: Sequence[Prompt],
    max_tokens: int,
    *,
    default_system: str | None,
    on_answer: OnAnswer | None = None,
) -> Reference:
    """The evaluated model's greedy answers, as ``codetune eval`` asks it, on the CPU in float32 (the
    precision every loader below runs in: a bf16 GPU reference would differ from its own export)."""
    from codetune.backends.base import GenerationOptions
    from codetune.backends.local.chat import open_chat_model

    on_cpu = config.model_copy(update={"local": config.local.model_copy(update={"device": "cpu"})})
    model = open_chat_model(on_cpu, adapter, base=False)
    options = GenerationOptions(temperature=0.0, max_output_tokens=max_tokens)
    reference = Reference(chats=[], answers=[])
    for prompt in prompts:
        system = prompt.system or default_system
        reference.chats.append(chat_messages(system, prompt.messages))
        reference.answers.append(model.generate(list(prompt.messages), system=system, options=options))
        if on_answer is not None:
            on_answer(len(reference.answers), len(prompts))
    return reference


def _prompt_ids(tokenizer: Any, chat: list[dict[str, str]]) -> list[int]:
    text = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    return list(tokenizer.encode(text, add_special_tokens=False))


def _forced_choices(model: Any, sequences: Sequence[list[int]], starts: Sequence[int]) -> list[list[int]]:
    """A transformers model's greedy pick at each answer position, given the sequence so far."""
    import torch

    choices = []
    with torch.inference_mode():
        for sequence, start in zip(sequences, starts, strict=True):
            logits = model(input_ids=torch.tensor([sequence[:-1]])).logits[0, start - 1 :]
            choices.append(logits.argmax(-1).tolist())
    return choices


def follow_reference(reference: Reference, tokenizer: Any, adapter_model: Any, end_of_turn: int) -> None:
    """Fill in the token sequences of the reference answers and the adapter model's choices along them."""
    for chat, reply in zip(reference.chats, reference.answers, strict=True):
        prompt = _prompt_ids(tokenizer, chat)
        answer = list(tokenizer.encode(reply.text, add_special_tokens=False))
        if reply.finish_reason == "STOP":
            answer.append(end_of_turn)
        reference.sequences.append(prompt + answer)
        reference.starts.append(len(prompt))
    reference.choices = _forced_choices(adapter_model, reference.sequences, reference.starts)


def _agreement(reference: Reference, choices: Sequence[list[int]]) -> tuple[int, int]:
    """(positions, positions where ``choices`` pick what the adapter model picks)."""
    pairs = [
        (a, b)
        for ours, theirs in zip(choices, reference.choices, strict=True)
        for a, b in zip(ours, theirs, strict=True)
    ]
    return len(pairs), sum(a == b for a, b in pairs)


def _retokenized_note(loader: str, differing: int, total: int) -> str | None:
    return f"{loader}'s tokenizer splits {differing} of {total} prompts differently" if differing else None


def check_transformers(
    directory: Path,
    *,
    gguf_file: str | None,
    reference: Reference,
    max_tokens: int,
    exact: bool,
    on_answer: OnAnswer | None = None,
) -> Agreement:
    """Load ``directory`` (or its ``gguf_file``) with transformers; compare answers and next-token choices."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    extra = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer: Any = AutoTokenizer.from_pretrained(directory, **extra)
    model: Any = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32, **extra).eval()
    if gguf_file:  # a GGUF carries no generation config: stop on its end-of-turn token, as llama.cpp does
        stop: list[int] = [tokenizer.eos_token_id]
    else:  # a merged directory must stop by its own generation_config.json
        eos = GenerationConfig.from_pretrained(directory).eos_token_id
        stop = list(eos) if isinstance(eos, list) else [eos]
    identical = differing = 0
    for index, (chat, reply) in enumerate(zip(reference.chats, reference.answers, strict=True)):
        prompt = _prompt_ids(tokenizer, chat)  # the export's own template and tokenizer
        differing += prompt != reference.sequences[index][: reference.starts[index]]
        with torch.inference_mode():
            output = model.generate(
                input_ids=torch.tensor([prompt]),
                attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                do_sample=False,
                max_new_tokens=max_tokens,
                eos_token_id=stop,
                pad_token_id=stop[0],
                temperature=None,
                top_p=None,
                top_k=None,
            )
        identical += (
            tokenizer.decode(output[0, len(prompt) :], skip_special_tokens=True).strip() == reply.text
        )
        if on_answer is not None:
            on_answer(index + 1, len(reference.chats))
    tokens, agreeing = _agreement(reference, _forced_choices(model, reference.sequences, reference.starts))
    loader = "transformers GGUF reader" if gguf_file else "transformers AutoModelForCausalLM"
    note = _retokenized_note(loader, differing, len(reference.chats))
    return Agreement(loader, exact, len(reference.chats), identical, tokens, agreeing, note=note)


def llama_cpp_missing() -> str | None:
    """Why llama.cpp cannot be run here, or None."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install 'codetune[llamacpp]')"
    return None


def check_llama_cpp(
    gguf_path: Path,
    *,
    reference: Reference,
    max_tokens: int,
    exact: bool,
    on_answer: OnAnswer | None = None,
) -> Agreement:
    """Answer with llama.cpp: its own chat template rendering, tokenizer, greedy sampler and stop token."""
    from importlib.metadata import version

    if missing := llama_cpp_missing():
        return Agreement("llama.cpp", exact, skipped=missing)
    from llama_cpp import Llama

    loader = f"llama.cpp (llama-cpp-python {version('llama-cpp-python')})"
    context = max(len(sequence) for sequence in reference.sequences) + max_tokens + 16
    llm = Llama(model_path=str(gguf_path), n_ctx=context, logits_all=True, seed=0, verbose=False)
    identical = differing = 0
    choices = []
    for index, (chat, reply) in enumerate(zip(reference.chats, reference.answers, strict=True)):
        messages: Any = chat
        completion: Any = llm.create_chat_completion(
            messages=messages, temperature=0.0, top_k=1, repeat_penalty=1.0, max_tokens=max_tokens
        )
        identical += (completion["choices"][0]["message"]["content"] or "").strip() == reply.text
        sequence, start = reference.sequences[index], reference.starts[index]
        text = llm.detokenize(sequence[:start], special=True).decode("utf-8")
        differing += llm.tokenize(text.encode("utf-8"), add_bos=False, special=True) != sequence[:start]
        # the prompt in one batch, then the answer one token at a time, as llama.cpp generates (its batched
        # and single-token kernels round quantized weights differently)
        llm.reset()
        llm.eval(sequence[:start])
        picks = [int(llm.scores[start - 1].argmax())]
        for token in sequence[start:-1]:
            llm.eval([token])
            picks.append(int(llm.scores[llm.n_tokens - 1].argmax()))
        choices.append(picks)
        if on_answer is not None:
            on_answer(index + 1, len(reference.chats))
    tokens, agreeing = _agreement(reference, choices)
    note = _retokenized_note("llama.cpp", differing, len(reference.chats))
    return Agreement(loader, exact, len(reference.chats), identical, tokens, agreeing, note=note)
