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
from codetune.backends.local.data import chat_messages
from codetune.backends.local.rundir import ADAPTER_INFO
from codetune.errors import BackendError

if TYPE_CHECKING:
    from codetune.backends.base import GenerationOptions, Reply
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
    """A :class:`~codetune.backends.base.ChatModel` over a loaded (PEFT) model."""

    def __init__(self, name: str, model: Any, tokenizer: Any, device: str, *, adapter_enabled: bool) -> None:
        self.name = name
        self._model = model
        self._tokenizer = tokenizer
        self._device = device
        self._adapter_enabled = adapter_enabled

    def generate(
        self, messages: Sequence[Message], *, system: str | None, options: GenerationOptions
    ) -> Reply:
        import torch
        from transformers import GenerationConfig

        from codetune.backends.base import Reply

        tokenizer = self._tokenizer
        inputs = tokenizer.apply_chat_template(
            chat_messages(system, messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self._device)
        stop_ids = [tokenizer.eos_token_id]
        settings = GenerationConfig(
            max_new_tokens=options.max_output_tokens,
            do_sample=options.temperature > 0,
            temperature=options.temperature if options.temperature > 0 else None,
            top_p=None,
            top_k=None,
            eos_token_id=stop_ids,
            pad_token_id=tokenizer.pad_token_id
            if tokenizer.pad_token_id is not None
            else tokenizer.eos_token_id,
        )
        if options.seed is not None:
            torch.manual_seed(options.seed)  # sampling reproduces for the same seed
        disabled = (
            nullcontext()
            if self._adapter_enabled or not hasattr(self._model, "disable_adapter")
            else self._model.disable_adapter()
        )
        started = time.perf_counter()
        with torch.inference_mode(), disabled:
            output = self._model.generate(**inputs, generation_config=settings)
        latency = time.perf_counter() - started
        prompt_tokens = int(inputs["input_ids"].shape[1])
        new_tokens = output[0, prompt_tokens:].tolist()
        finished = bool(new_tokens) and new_tokens[-1] in stop_ids
        return Reply(
            text=tokenizer.decode(new_tokens, skip_special_tokens=True).strip(),
            latency_seconds=latency,
            prompt_tokens=prompt_tokens,
            output_tokens=len(new_tokens),
            finish_reason="STOP" if finished else "MAX_TOKENS",
            model=self.name,
        )


def open_chat_model(config: Config, adapter: Path | None, *, base: bool) -> LocalChatModel:
    """The tuned model of ``adapter``, or (``base=True``) its base: both from the same loaded weights."""
    model, tokenizer, device, spec = _load(config, adapter)
    if base or adapter is None:
        return LocalChatModel(f"{spec} (base)", model, tokenizer, device, adapter_enabled=False)
    job = adapter.parent.name if adapter.name == "adapter" else adapter.name
    return LocalChatModel(f"{job} (tuned {spec})", model, tokenizer, device, adapter_enabled=True)
