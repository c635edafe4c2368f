"""The local training recipe, top to bottom: setup, data, model, train, save.

Runs inside the worker process (:mod:`.worker`); hyperparameters come only from the validated config in
the run directory's ``request.json``. Built on TRL's ``SFTTrainer`` and PEFT LoRA; what it adds is what
users of such trainers keep tripping over (spec/lessons.md, "Training"), and speed on a CPU:

- the loss mask and the end-of-turn check are ours (:mod:`.data`): SmolLM2's pad token *is* its
  end-of-turn token, so masking by pad id would silently teach the model never to stop;
- over-length examples are counted and handled by ``local.overflow``, never cut silently;
- precision and threads follow the hardware (:mod:`.hardware`): never emulated bf16 on a CPU;
- little padding: batches are planned by length (:func:`.data.plan_order`), the padding share reported;
- no gradient checkpointing by default: a 135M model's activations fit easily, and recomputing the
  forward pass costs a third of the step;
- on a CPU the loss projects only the answer positions through the LM head (:mod:`.trainer`), instead of
  TRL's GPU-oriented fused head;
- resume restores the step counter, the LR schedule and the data position: the data order is planned
  up front and fed sequentially, so the Trainer's batch skipping lands exactly where the run stopped.
"""

from __future__ import annotations

import math
import random
import threading
from pathlib import Path
from typing import Any

from codetune.backends.local import data as data_mod
from codetune.backends.local import hardware as hardware_mod
from codetune.backends.local import models
from codetune.backends.local.rundir import ADAPTER_INFO, RunDir, StatusWriter
from codetune.config import Config
from codetune.errors import DataError, InputError
from codetune.io import sha256_file, write_json, write_text


class Cancelled(Exception):
    """The user cancelled the job (SIGTERM or ``cancel.request``)."""


def _check_cancel(stop: threading.Event, run_dir: RunDir) -> None:
    if stop.is_set() or run_dir.cancel_requested():
        raise Cancelled()


def _data_file(request: dict[str, Any], key: str) -> Path | None:
    """The request's data file, unchanged since submit (a resumed job must see the same data)."""
    name = request.get(key)
    if not name:
        return None
    path = Path(name)
    if not path.is_file():
        raise InputError(
            f"data file not found: {path}",
            hint="prepare the data first: python scripts/prepare_data.py -s data/raw -o data/processed",
        )
    expected = (request.get("sha256") or {}).get(key.removesuffix("_file"))
    if expected and sha256_file(path) != expected:
        raise DataError(
            f"{path} changed since the job was submitted",
            hint="start a new job for the new data: codetune train --force",
        )
    return path


def run(run_dir: RunDir, status: StatusWriter, *, resume: bool, stop: threading.Event) -> None:
    """Train as the run directory's request says; writes the adapter, metrics and plot, then SUCCEEDED."""
    request = run_dir.read_request()
    config = Config.model_validate(request["config"])
    local, training = config.local, config.training

    # -- setup: hardware, base model, tokenizer -----------------------------------------------------------
    status.stage("loading libraries")
    hardware = hardware_mod.detect(local.device)
    hardware_mod.apply_threads(hardware)

    import datasets
    import torch
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging
    from trl import SFTConfig

    from codetune.backends.local.progress import ProgressCallback
    from codetune.backends.local.trainer import AnswerLossTrainer

    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    _check_cancel(stop, run_dir)

    status.stage("preparing the base model")
    base = models.resolve(
        local.base_model, cache_dir=models.default_cache_dir(local.cache_dir), on_stage=status.stage
    )
    tokenizer = AutoTokenizer.from_pretrained(base.path)
    end_of_turn = tokenizer.eos_token
    if not end_of_turn or tokenizer.chat_template is None:
        raise DataError(
            f"the base model {local.base_model} has no chat template or no end-of-turn token",
            hint="use an instruct/chat model (its tokenizer defines both)",
        )
    if tokenizer.pad_token is None:  # padding is masked by attention and labels, never by token id
        tokenizer.pad_token = end_of_turn

    # -- data: Gemini JSONL -> token ids + answer-only labels -----------------------------------------------
    status.stage("tokenizing")
    train_file = _data_file(request, "train_file")
    validation_file = _data_file(request, "validation_file")
    assert train_file is not None  # submit refuses a request without one
    conversations = data_mod.read_conversations(train_file)
    if not conversations:
        raise DataError(
            f"training file {train_file} has no examples",
            hint="prepare the data first: python scripts/prepare_data.py -s data/raw -o data/processed",
        )
    encode = {"end_of_turn": end_of_turn, "max_length": local.max_length, "overflow": local.overflow}
    train, train_report = data_mod.encode_split(tokenizer, conversations, name="training", **encode)
    if not train:
        raise DataError(
            f"none of the {train_report.examples} training examples fits local.max_length={local.max_length} "
            f"tokens (longest: {train_report.tokens['max']})",
            hint="raise local.max_length, or set local.overflow: truncate",
        )
    evaluation: list[data_mod.Encoded] = []
    eval_report = None
    if validation_file is not None:
        held_out = data_mod.read_conversations(validation_file)
        if local.eval_max_examples and len(held_out) > local.eval_max_examples:
            # a fixed seeded sample: every evaluation of this run (and a resumed one) sees the same examples
            held_out = sorted(
                random.Random(local.seed).sample(held_out, local.eval_max_examples), key=lambda c: c.line
            )
        evaluation, eval_report = data_mod.encode_split(tokenizer, held_out, name="validation", **encode)
        evaluation.sort(key=lambda example: len(example.input_ids))  # evaluation batches pad little too

    # -- plan: steps, epochs, the order of every batch ----------------------------------------------------
    batch_size = local.batch_size
    steps_per_epoch = math.ceil(len(train) / batch_size)
    total_steps = training.epochs * steps_per_epoch
    if local.max_steps:
        total_steps = min(total_steps, local.max_steps)
    lengths = [len(example.input_ids) for example in train]
    order = data_mod.plan_order(lengths, batch_size, math.ceil(total_steps / steps_per_epoch), local.seed)
    order = order[: total_steps * batch_size]
    batches = [[lengths[i] for i in order[b : b + batch_size]] for b in range(0, len(order), batch_size)]
    padding = data_mod.padding_share(batches)
    write_json(
        run_dir.tokens,
        {
            "tokenizer": base.path,
            "end_of_turn": end_of_turn,
            "max_length": local.max_length,
            "overflow": local.overflow,
            "train": train_report.as_dict(),
            "validation": eval_report.as_dict() if eval_report else None,
            "padding_share": round(padding, 4),
        },
    )
    write_text(run_dir.mask_sample, data_mod.render_mask(tokenizer, train[0]) + "\n")

    learning_rate = local.learning_rate * training.learning_rate_multiplier
    warmup_steps = max(1, round(0.05 * total_steps)) if total_steps >= 10 else 0
    settings = {
        "base_model": {"spec": base.spec, "kind": base.kind, "source": base.source, "path": base.path},
        "hardware": hardware.as_dict(),
        "steps": total_steps,
        "steps_per_epoch": steps_per_epoch,
        "epochs": round(total_steps / steps_per_epoch, 3),
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "lr_scheduler": "cosine",
        "warmup_steps": warmup_steps,
        "lora": {
            "r": training.adapter_size,
            "alpha": local.lora_alpha or 2 * training.adapter_size,
            "dropout": local.lora_dropout,
            "target_modules": "all-linear",
        },
        "gradient_checkpointing": local.gradient_checkpointing,
        "eval_examples": len(evaluation),
        "eval_steps": local.eval_steps if evaluation else None,
        "save_steps": local.save_steps,
        "seed": local.seed,
        "padding_share": round(padding, 4),
        "versions": _versions(),
    }
    write_json(run_dir.config, settings)
    status.update(
        total_steps=total_steps,
        stats={
            "examples": len(train),
            **(
                {"dropped (too long)": train_report.dropped_over_length}
                if train_report.dropped_over_length
                else {}
            ),
            **({"truncated": train_report.truncated} if train_report.truncated else {}),
            "device": hardware.name,
        },
    )
    _check_cancel(stop, run_dir)

    train_dataset = datasets.Dataset.from_dict(
        {"input_ids": [train[i].input_ids for i in order], "labels": [train[i].labels for i in order]}
    )
    eval_dataset = (
        datasets.Dataset.from_dict(
            {"input_ids": [e.input_ids for e in evaluation], "labels": [e.labels for e in evaluation]}
        )
        if evaluation
        else None
    )

    # -- model: the base in the hardware's dtype, LoRA on every linear layer --------------------------------
    status.stage("loading the base model")
    model = AutoModelForCausalLM.from_pretrained(base.path, dtype=getattr(torch, hardware.load_dtype))
    lora = LoraConfig(
        r=training.adapter_size,
        lora_alpha=local.lora_alpha or 2 * training.adapter_size,
        lora_dropout=local.lora_dropout,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    args = SFTConfig(
        output_dir=str(run_dir.checkpoints),
        max_steps=total_steps,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=batch_size,
        learning_rate=learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=warmup_steps,
        bf16=hardware.precision == "bf16",
        fp16=hardware.precision == "fp16",
        use_cpu=hardware.device == "cpu",
        gradient_checkpointing=local.gradient_checkpointing,
        train_sampling_strategy="sequential",  # the order is planned above (length-grouped, seeded)
        max_length=None,  # lengths are enforced above, by local.overflow, and reported
        logging_steps=1,
        eval_strategy="steps" if eval_dataset is not None else "no",
        eval_steps=local.eval_steps,
        eval_on_start=eval_dataset is not None and not resume,
        save_strategy="steps",
        save_steps=local.save_steps,
        save_total_limit=2,
        seed=local.seed,
        data_seed=local.seed,
        report_to=[],
        disable_tqdm=True,
        dataloader_pin_memory=hardware.device == "cuda",
    )
    step_tokens = [sum(batch) for batch in batches]
    callback = ProgressCallback(
        run_dir,
        status,
        stop,
        step_tokens=step_tokens,
        total_steps=total_steps,
        steps_per_epoch=steps_per_epoch,
    )
    trainer = AnswerLossTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=[callback],
    )

    # -- train ----------------------------------------------------------------------------------------------
    checkpoint = run_dir.last_checkpoint() if resume else None
    if resume and checkpoint is None:
        raise InputError(f"no checkpoint to resume from in {run_dir.checkpoints}")
    if checkpoint is not None:
        run_dir.truncate_metrics(int(checkpoint.name.rpartition("-")[2]))
    status.stage("training")
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    _check_cancel(stop, run_dir)
    if eval_dataset is not None and callback.last_eval_step != trainer.state.global_step:
        status.stage("final evaluation")
        trainer.evaluate()

    # -- save: adapter + tokenizer (chat template included), plot, final status -----------------------------
    status.stage("saving the adapter")
    tuned: Any = trainer.model  # the PeftModel: saves the adapter only
    tuned.save_pretrained(str(run_dir.adapter))
    tokenizer.save_pretrained(str(run_dir.adapter))
    write_json(
        run_dir.adapter / ADAPTER_INFO,
        {"base_model": base.spec, "base_path": base.path, "end_of_turn": end_of_turn, "steps": total_steps},
    )
    from codetune.backends.local.plot import plot_losses

    plot_losses(run_dir.read_metrics(), run_dir.plot, title=f"{run_dir.path.name}: {base.spec}")
    status.finish("SUCCEEDED", detail=None, tuned_model=run_dir.path.name, metrics=callback.summary())


def _versions() -> dict[str, str]:
    """Library versions that change results: recorded with every run (lessons.md 8)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("torch", "transformers", "peft", "trl", "datasets"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found
