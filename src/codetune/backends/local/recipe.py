"""The local training recipe, top to bottom: setup, base model, data, plan, trainer, train, save.

Runs inside the worker process (:mod:`.worker`); hyperparameters come only from the validated config in
the run directory's ``request.json``. Built on TRL's ``SFTTrainer`` and PEFT LoRA; what it adds is what
users of such trainers keep tripping over (docs/training.md says why each matters), and speed on a CPU:

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

Steps, epochs, learning rate and warm-up come from :func:`.plan.plan_steps`, which the estimate shown
before the job also uses.
"""

from __future__ import annotations

import importlib
import random
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.backends.local import data as data_mod
from codetune.backends.local import hardware as hardware_mod
from codetune.backends.local import models
from codetune.backends.local.plan import BatchOrder, TrainingPlan, order_batches, plan_steps
from codetune.backends.local.rundir import ADAPTER_INFO, RunDir, StatusWriter
from codetune.config import Config, LocalConfig
from codetune.errors import DataError, InputError
from codetune.io import sha256_file, write_json, write_text

if TYPE_CHECKING:
    from codetune.backends.local.progress import ProgressCallback
    from codetune.backends.local.trainer import AnswerLossTrainer

PREPARE_HINT = "prepare the data first: python scripts/prepare_data.py -s data/raw -o data/processed"


class Cancelled(Exception):
    """The user cancelled the job (SIGTERM or ``cancel.request``)."""


@dataclass(frozen=True)
class RunContext:
    """Where the steps report (the run directory and its status) and how they learn they must stop."""

    run_dir: RunDir
    status: StatusWriter
    stop: threading.Event

    def check_cancel(self) -> None:
        if self.stop.is_set() or self.run_dir.cancel_requested():
            raise Cancelled()


@dataclass(frozen=True)
class Base:
    """The base model to tune and its tokenizer (whose chat template serves the tuned model too)."""

    model: models.BaseModel
    tokenizer: Any
    end_of_turn: str


@dataclass(frozen=True)
class TrainingData:
    train: list[data_mod.Encoded]
    train_report: data_mod.SplitReport
    evaluation: list[data_mod.Encoded]  # empty without a validation file
    eval_report: data_mod.SplitReport | None


def run(run_dir: RunDir, status: StatusWriter, *, resume: bool, stop: threading.Event) -> None:
    """Train as the run directory's request says; writes the adapter, metrics and plot, then SUCCEEDED."""
    context = RunContext(run_dir, status, stop)
    request = run_dir.read_request()
    config = Config.model_validate(request["config"])

    hardware = setup(context, config.local)
    context.check_cancel()
    base = load_base(context, config.local)
    data = load_data(context, request, config.local, base)
    plan = plan_steps(config, len(data.train))
    order = order_batches([len(example.input_ids) for example in data.train], plan, config.local.seed)
    record_settings(context, config, hardware, base, data, plan, order)
    context.check_cancel()
    trainer, progress = build_trainer(context, config, hardware, base, data, plan, order, resume=resume)
    train(context, trainer, progress, resume=resume, evaluates=bool(data.evaluation))
    save(context, trainer, progress, base, plan)


# -- setup: hardware and libraries -----------------------------------------------------------------------


def setup(context: RunContext, local: LocalConfig) -> hardware_mod.Hardware:
    """Pick the device, precision and threads; load the training libraries (slow: a stage of its own)."""
    context.status.stage("loading libraries")
    hardware = hardware_mod.detect(local.device)
    hardware_mod.apply_threads(hardware)
    for name in ("torch", "datasets", "peft", "transformers", "trl", "codetune.backends.local.trainer"):
        importlib.import_module(name)
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    return hardware


# -- the base model's tokenizer --------------------------------------------------------------------------


def load_base(context: RunContext, local: LocalConfig) -> Base:
    """Resolve the base model (converting a GGUF once) and load its tokenizer; it must have a chat template
    and an end-of-turn token, or the tuned model could not be served the way it was trained."""
    from transformers import AutoTokenizer

    context.status.stage("preparing the base model")
    model = models.resolve(
        local.base_model, cache_dir=models.default_cache_dir(local.cache_dir), on_stage=context.status.stage
    )
    tokenizer = AutoTokenizer.from_pretrained(model.path)
    end_of_turn = tokenizer.eos_token
    if not end_of_turn or tokenizer.chat_template is None:
        raise DataError(
            f"the base model {local.base_model} has no chat template or no end-of-turn token",
            hint="use an instruct/chat model (its tokenizer defines both)",
        )
    if tokenizer.pad_token is None:  # padding is masked by attention and labels, never by token id
        tokenizer.pad_token = end_of_turn
    return Base(model, tokenizer, end_of_turn)


# -- data: Gemini JSONL -> token ids + answer-only labels -----------------------------------------------


def load_data(context: RunContext, request: dict[str, Any], local: LocalConfig, base: Base) -> TrainingData:
    """Tokenize the training file (over-length examples per ``local.overflow``) and a fixed sample of the
    validation file."""
    context.status.stage("tokenizing")
    train_file = _data_file(request, "train_file")
    validation_file = _data_file(request, "validation_file")
    assert train_file is not None  # submit refuses a request without one
    conversations = data_mod.read_conversations(train_file)
    if not conversations:
        raise DataError(f"training file {train_file} has no examples", hint=PREPARE_HINT)
    encode: dict[str, Any] = {
        "end_of_turn": base.end_of_turn,
        "max_length": local.max_length,
        "overflow": local.overflow,
    }
    train, train_report = data_mod.encode_split(base.tokenizer, conversations, name="training", **encode)
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
        evaluation, eval_report = data_mod.encode_split(base.tokenizer, held_out, name="validation", **encode)
        evaluation.sort(key=lambda example: len(example.input_ids))  # evaluation batches pad little too
    return TrainingData(train, train_report, evaluation, eval_report)


def _data_file(request: dict[str, Any], key: str) -> Path | None:
    """The request's data file, unchanged since submit (a resumed job must see the same data)."""
    name = request.get(key)
    if not name:
        return None
    path = Path(name)
    if not path.is_file():
        raise InputError(f"data file not found: {path}", hint=PREPARE_HINT)
    expected = (request.get("sha256") or {}).get(key.removesuffix("_file"))
    if expected and sha256_file(path) != expected:
        raise DataError(
            f"{path} changed since the job was submitted",
            hint="start a new job for the new data: codetune train --force",
        )
    return path


# -- plan: what the run directory records about the run ---------------------------------------------------


def _lora_settings(config: Config) -> dict[str, Any]:
    return {
        "r": config.training.adapter_size,
        "alpha": config.local.lora_alpha or 2 * config.training.adapter_size,
        "dropout": config.local.lora_dropout,
        "target_modules": "all-linear",
    }


def record_settings(
    context: RunContext,
    config: Config,
    hardware: hardware_mod.Hardware,
    base: Base,
    data: TrainingData,
    plan: TrainingPlan,
    order: BatchOrder,
) -> None:
    """``tokens.json``, the mask sample and ``config.json`` (everything that shapes the result), and the
    step count and data stats in the status."""
    local, run_dir = config.local, context.run_dir
    padding = round(order.padding_share, 4)
    write_json(
        run_dir.tokens,
        {
            "tokenizer": base.model.path,
            "end_of_turn": base.end_of_turn,
            "max_length": local.max_length,
            "overflow": local.overflow,
            "train": data.train_report.as_dict(),
            "validation": data.eval_report.as_dict() if data.eval_report else None,
            "padding_share": padding,
        },
    )
    write_text(run_dir.mask_sample, data_mod.render_mask(base.tokenizer, data.train[0]) + "\n")
    model = base.model
    settings = {
        "base_model": {"spec": model.spec, "kind": model.kind, "source": model.source, "path": model.path},
        "hardware": hardware.as_dict(),
        "steps": plan.steps,
        "steps_per_epoch": plan.steps_per_epoch,
        "epochs": round(plan.epochs, 3),
        "batch_size": plan.batch_size,
        "learning_rate": plan.learning_rate,
        "lr_scheduler": "cosine",
        "warmup_steps": plan.warmup_steps,
        "lora": _lora_settings(config),
        "gradient_checkpointing": local.gradient_checkpointing,
        "eval_examples": len(data.evaluation),
        "eval_steps": local.eval_steps if data.evaluation else None,
        "save_steps": local.save_steps,
        "seed": local.seed,
        "padding_share": padding,
        "versions": _versions(),
    }
    write_json(run_dir.config, settings)
    report = data.train_report
    context.status.update(
        total_steps=plan.steps,
        stats={
            "examples": len(data.train),
            **({"dropped (too long)": report.dropped_over_length} if report.dropped_over_length else {}),
            **({"truncated": report.truncated} if report.truncated else {}),
            "device": hardware.name,
        },
    )


def _versions() -> dict[str, str]:
    """Library versions that change results: recorded with every run (docs/training.md, reproducibility)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("torch", "transformers", "peft", "trl", "datasets"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


# -- trainer: the base in the hardware's dtype, LoRA on every linear layer, TRL's SFT trainer --------------


def build_trainer(
    context: RunContext,
    config: Config,
    hardware: hardware_mod.Hardware,
    base: Base,
    data: TrainingData,
    plan: TrainingPlan,
    order: BatchOrder,
    *,
    resume: bool,
) -> tuple[AnswerLossTrainer, ProgressCallback]:
    """The trainer, fed the planned order sequentially, and the callback that reports its progress."""
    import datasets
    import torch
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig

    from codetune.backends.local.progress import ProgressCallback
    from codetune.backends.local.trainer import AnswerLossTrainer

    local, examples, evaluation = config.local, data.train, data.evaluation
    in_order = [examples[i] for i in order.indices]
    train_dataset = datasets.Dataset.from_dict(
        {"input_ids": [e.input_ids for e in in_order], "labels": [e.labels for e in in_order]}
    )
    eval_dataset = (
        datasets.Dataset.from_dict(
            {"input_ids": [e.input_ids for e in evaluation], "labels": [e.labels for e in evaluation]}
        )
        if evaluation
        else None
    )

    context.status.stage("loading the base model")
    model = AutoModelForCausalLM.from_pretrained(base.model.path, dtype=getattr(torch, hardware.load_dtype))
    lora = _lora_settings(config)
    peft_config = LoraConfig(
        r=lora["r"],
        lora_alpha=lora["alpha"],
        lora_dropout=lora["dropout"],
        target_modules=lora["target_modules"],
        task_type="CAUSAL_LM",
    )
    args = SFTConfig(
        output_dir=str(context.run_dir.checkpoints),
        max_steps=plan.steps,
        per_device_train_batch_size=plan.batch_size,
        per_device_eval_batch_size=plan.batch_size,
        learning_rate=plan.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=plan.warmup_steps,
        bf16=hardware.precision == "bf16",
        fp16=hardware.precision == "fp16",
        use_cpu=hardware.device == "cpu",
        gradient_checkpointing=local.gradient_checkpointing,
        train_sampling_strategy="sequential",  # the order is planned (length-grouped, seeded)
        max_length=None,  # lengths are enforced when tokenizing, by local.overflow, and reported
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
    progress = ProgressCallback(
        context.run_dir,
        context.status,
        context.stop,
        step_tokens=order.step_tokens,
        total_steps=plan.steps,
        steps_per_epoch=plan.steps_per_epoch,
    )
    trainer = AnswerLossTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=base.tokenizer,
        peft_config=peft_config,
        callbacks=[progress],
    )
    return trainer, progress


# -- train ----------------------------------------------------------------------------------------------


def train(
    context: RunContext,
    trainer: AnswerLossTrainer,
    progress: ProgressCallback,
    *,
    resume: bool,
    evaluates: bool,
) -> None:
    """Train from the start or from the last checkpoint; evaluate once more at the end if the last
    evaluation was not at the last step."""
    run_dir = context.run_dir
    checkpoint = run_dir.last_checkpoint() if resume else None
    if resume and checkpoint is None:
        raise InputError(f"no checkpoint to resume from in {run_dir.checkpoints}")
    if checkpoint is not None:
        run_dir.truncate_metrics(int(checkpoint.name.rpartition("-")[2]))
    context.status.stage("training")
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    context.check_cancel()
    if evaluates and progress.last_eval_step != trainer.state.global_step:
        context.status.stage("final evaluation")
        trainer.evaluate()


# -- save: adapter + tokenizer (chat template included), plot, final status -------------------------------


def save(
    context: RunContext,
    trainer: AnswerLossTrainer,
    progress: ProgressCallback,
    base: Base,
    plan: TrainingPlan,
) -> None:
    run_dir, status = context.run_dir, context.status
    status.stage("saving the adapter")
    tuned: Any = trainer.model  # the PeftModel: saves the adapter only
    tuned.save_pretrained(str(run_dir.adapter))
    base.tokenizer.save_pretrained(str(run_dir.adapter))
    write_json(
        run_dir.adapter / ADAPTER_INFO,
        {
            "base_model": base.model.spec,
            "base_path": base.model.path,
            "end_of_turn": base.end_of_turn,
            "steps": plan.steps,
        },
    )
    from codetune.backends.local.plot import plot_losses

    plot_losses(run_dir.read_metrics(), run_dir.plot, title=f"{run_dir.path.name}: {base.model.spec}")
    status.finish("SUCCEEDED", detail=None, tuned_model=run_dir.path.name, metrics=progress.summary())
