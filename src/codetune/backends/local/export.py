"""``codetune export``: a local job's tuned model as files other tools run, each proven by loading it back.

Formats (:data:`FORMATS`):

- ``merged``: the adapter merged into the base weights (PEFT ``merge_and_unload``, in float32, then saved
  in the base model's precision or ``--dtype``) as a Hugging Face directory: safetensors, the tokenizer with
  the chat template used in training, and a ``generation_config.json`` that stops on the end-of-turn token.
  ``AutoModelForCausalLM.from_pretrained``, vLLM and TGI load it.
- ``gguf``: one ``.gguf`` file (``q8_0`` or ``f16``) for llama.cpp (:mod:`.gguf_writer`).
- ``ollama``: that GGUF with a ``Modelfile`` whose TEMPLATE, SYSTEM and stop token are the training ones
  (:mod:`.ollama`).

Everything is written into a hidden directory beside the target and renamed into place at the end, so a
killed export leaves no half file (and the next one removes what it left); an existing target is
replaced only with ``force``; the disk's free space is checked first. Then the proof
(:mod:`.export_check`) runs on what was written, and its figures are kept in ``export.json``.
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.backends.local import export_check, gguf_writer
from codetune.backends.local.export_plan import FORMATS, ExportPlan, Progress, plan_export
from codetune.io import temp_dir_for_this_process, write_json, write_text

if TYPE_CHECKING:
    from codetune.config import Config

__all__ = ["FORMATS", "ExportResult", "export_job"]

RECORD = "export.json"
_STAGING = ".export-"  # prefix of the hidden directories an export writes into before renaming


@dataclass
class ExportResult:
    job: str
    format: str
    directory: Path
    files: dict[str, int]  # name -> bytes
    write_seconds: float
    check_seconds: float
    precision: str  # dtype of a merged export, quantization of a GGUF
    checks: list[export_check.Agreement] = field(default_factory=list)
    prompts_from: str | None = None  # the file the check prompts came from
    run_command: str | None = None  # how to use it (Ollama)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync(directory: Path) -> None:
    """Every file of ``directory`` on disk before it is renamed into place (a power cut leaves old or new)."""
    for path in directory.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _install(staging: Path, target: Path) -> None:
    """Put ``staging`` in ``target``'s place (replacing an old one only at the very end)."""
    old = None
    if target.exists():
        old = target.with_name(f"{_STAGING}{os.getpid()}-old-{target.name}")
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _generation_config(base_path: str, tokenizer: Any, end_of_turn: int) -> Any:
    from transformers import GenerationConfig

    try:
        settings = GenerationConfig.from_pretrained(base_path)
    except OSError:
        settings = GenerationConfig()
    eos = settings.eos_token_id
    others = [e for e in (eos if isinstance(eos, list) else [eos]) if e is not None and e != end_of_turn]
    settings.eos_token_id = [end_of_turn, *others]  # the first stops the answer; the others still stop too
    if tokenizer.pad_token_id is not None:
        settings.pad_token_id = tokenizer.pad_token_id
    return settings


def export_job(
    config: Config,
    ref: str | None,
    *,
    format: str,
    output: Path | None = None,
    dtype: str | None = None,
    quant: str = "q8_0",
    force: bool = False,
    check: int = 5,
    on_progress: Progress | None = None,
) -> ExportResult:
    """Export job ``ref`` (default: the latest) as ``format`` into ``output`` and prove it on ``check`` prompts."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    progress: Progress = on_progress or (lambda stage, done, total: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # library deprecations, nothing the user can act on
        plan = plan_export(
            config,
            ref,
            format=format,
            output=output,
            dtype=dtype,
            quant=quant,
            force=force,
            check=check,
            progress=progress,
        )
        return _export(plan, config, check, progress)


def _export(plan: ExportPlan, config: Config, check: int, progress: Progress) -> ExportResult:
    from transformers import AutoTokenizer

    result = ExportResult(
        job=plan.record.id,
        format=plan.format,
        directory=plan.target,
        files={},
        write_seconds=0.0,
        check_seconds=0.0,
        precision=plan.precision,
    )
    tokenizer: Any = AutoTokenizer.from_pretrained(str(plan.adapter))  # the training one, with its template
    end_of_turn = int(tokenizer.convert_tokens_to_ids(plan.end_of_turn or tokenizer.eos_token))
    # what could still refuse the export is worked out before the long parts
    metadata = None
    if plan.format != "merged":
        eot = tokenizer.convert_ids_to_tokens(end_of_turn)
        metadata = gguf_writer.tokenizer_metadata(tokenizer, vocab_size=plan.vocab_size, end_of_turn=eot)
    modelfile = (
        _modelfile(plan, tokenizer, end_of_turn, config.testing.temperature)
        if plan.format == "ollama"
        else None
    )

    started = time.perf_counter()
    reference = _reference(result, config, plan, check, progress) if check else None
    result.check_seconds += time.perf_counter() - started

    started = time.perf_counter()
    model = _adapter_model(plan, progress)
    if reference is not None:  # the adapter model's own next-token choices, before it is merged away
        following = time.perf_counter()
        progress("check: the adapter model's next-token choices", 0, 1)
        export_check.follow_reference(reference, tokenizer, model, end_of_turn)
        progress("check: the adapter model's next-token choices", 1, 1)
        result.check_seconds += time.perf_counter() - following
        started += time.perf_counter() - following
    merged = model.merge_and_unload().eval()
    progress("merge the adapter into the base weights", 1, 1)
    plan.target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(temp_dir_for_this_process(plan.target.parent, _STAGING))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; the export gets the usual mode
    try:
        if metadata is None:
            _write_merged(staging, merged, tokenizer, plan, end_of_turn, progress)
        else:
            _write_gguf(staging / plan.gguf_name, merged, metadata, plan, progress)
        del merged, model
        if modelfile is not None:
            write_text(staging / "Modelfile", modelfile)
            name = plan.record.id.lower()
            result.run_command = f"cd {plan.target} && ollama create {name} -f Modelfile && ollama run {name}"
        result.write_seconds = time.perf_counter() - started

        started = time.perf_counter()
        if reference is not None:
            _prove(result, reference, config, plan, staging, progress)
        result.check_seconds += time.perf_counter() - started
        result.files = {p.name: p.stat().st_size for p in sorted(staging.iterdir()) if p.is_file()}
        write_json(staging / RECORD, _record(result, plan))
        result.files[RECORD] = (staging / RECORD).stat().st_size
        _sync(staging)
        _install(staging, plan.target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result


def _modelfile(plan: ExportPlan, tokenizer: Any, end_of_turn: int, temperature: float) -> str:
    """The Modelfile text, its TEMPLATE checked against the training chat template."""
    from codetune.backends.local import ollama

    def render(messages: list[dict[str, str]], generation_prompt: bool) -> str:
        return str(
            tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
        )

    _, template = ollama.checked_template(render, ollama.sample_conversations(plan.system))
    return ollama.modelfile(
        gguf_name=plan.gguf_name,
        template=template,
        system=plan.system,
        stop=tokenizer.convert_ids_to_tokens(end_of_turn),
        temperature=temperature,
        job=plan.record.id,
    )


def _adapter_model(plan: ExportPlan, progress: Progress) -> Any:
    """The base in float32 (so the merge loses nothing) with the job's adapter on top, not merged yet."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    progress("merge the adapter into the base weights", 0, 1)
    base = AutoModelForCausalLM.from_pretrained(plan.base_path, dtype=torch.float32)
    return PeftModel.from_pretrained(base, str(plan.adapter)).eval()


def _write_merged(
    staging: Path, merged: Any, tokenizer: Any, plan: ExportPlan, end_of_turn: int, progress: Progress
) -> None:
    import torch

    stage = f"write safetensors ({plan.precision})"
    progress(stage, 0, 1)
    merged.to(getattr(torch, plan.precision))
    merged.config.dtype = plan.precision
    merged.generation_config = _generation_config(plan.base_path, tokenizer, end_of_turn)
    merged.save_pretrained(str(staging))
    tokenizer.save_pretrained(str(staging))
    progress(stage, 1, 1)


def _write_gguf(
    path: Path, merged: Any, metadata: gguf_writer.TokenizerMetadata, plan: ExportPlan, progress: Progress
) -> None:
    gguf_writer.write_gguf(
        path,
        merged.state_dict(),
        merged.config,
        metadata,
        quant=plan.precision,
        name=plan.record.id,
        on_tensor=lambda done, total: progress(f"write GGUF ({plan.precision})", done, total),
    )


def _reference(
    result: ExportResult, config: Config, plan: ExportPlan, count: int, progress: Progress
) -> export_check.Reference | None:
    files = [Path(plan.request[key]) for key in ("validation_file", "train_file") if plan.request.get(key)]
    prompts, source = export_check.validation_prompts(files, count)
    if not prompts:
        skipped = "no validation or training file to take prompts from"
        result.checks.append(export_check.Agreement("all loaders", True, skipped=skipped))
        return None
    result.prompts_from = source
    stage = "check: reference answers (adapter model)"
    progress(stage, 0, len(prompts))
    return export_check.reference_answers(
        config,
        plan.adapter,
        prompts,
        config.testing.eval_max_output_tokens,
        default_system=plan.system,
        on_answer=lambda done, total: progress(stage, done, total),
    )


def _prove(
    result: ExportResult,
    reference: export_check.Reference,
    config: Config,
    plan: ExportPlan,
    staging: Path,
    progress: Progress,
) -> None:
    """Load what was written with independent loaders and compare with the reference."""

    def answered(stage: str) -> Callable[[int, int], None]:
        progress(stage, 0, len(reference.chats))
        return lambda done, total: progress(stage, done, total)

    settings: dict[str, Any] = {
        "reference": reference,
        "max_tokens": config.testing.eval_max_output_tokens,
        "exact": plan.precision in ("float32", "float16", "f16"),
    }
    if plan.format == "merged":
        on_answer = answered("check: transformers")
        result.checks.append(
            export_check.check_transformers(staging, gguf_file=None, on_answer=on_answer, **settings)
        )
        return
    on_answer = answered("check: transformers GGUF reader")
    result.checks.append(
        export_check.check_transformers(staging, gguf_file=plan.gguf_name, on_answer=on_answer, **settings)
    )
    on_answer = answered("check: llama.cpp")
    result.checks.append(
        export_check.check_llama_cpp(staging / plan.gguf_name, on_answer=on_answer, **settings)
    )


def _record(result: ExportResult, plan: ExportPlan) -> dict[str, Any]:
    from codetune import __version__

    return {
        "job": result.job,
        "format": result.format,
        "precision": result.precision,
        "base_model": plan.base_spec,
        "adapter": str(plan.adapter),
        "files": result.files,
        "write_seconds": round(result.write_seconds, 2),
        "check": {
            "prompts_from": result.prompts_from,
            "passed": result.passed,
            "loaders": [check.as_dict() for check in result.checks],
        },
        "codetune": __version__,
    }
