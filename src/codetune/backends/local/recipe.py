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
  up front and fed sequentially, so the Trainer's batch skipping lands exactly where the run stopped;
- in several processes (:mod:`.distributed`), every process runs this file: the planned order is of
  global batches, which the Trainer deals out to the ranks in order (so a step trains on the same
  examples whatever the layout), and rank 0 alone writes the run directory's files.

Steps, epochs, learning rate and warm-up come from :func:`.plan.plan_steps`, which the estimate shown
before the job also uses.
"""

from __future__ import annotations

import importlib
import os
import random
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.backends.local import data as data_mod
from codetune.backends.local import hardware as hardware_mod
from codetune.backends.local import models
from codetune.backends.local.distributed import (
    COLLECTIVE_TIMEOUT_SECONDS,
    Ranks,
    join_process_group,
    process_group_backend,
)
from codetune.backends.local.plan import BatchOrder, TrainingPlan, order_batches, plan_steps
from codetune.backends.local.rundir import ADAPTER_INFO, RunDir, StatusWriter
from codetune.backends.local.settings import lora_settings, record_settings
from codetune.config import Config, LocalConfig
from codetune.errors import DataError, InputError
from codetune.io import sha256_file, write_json

if TYPE_CHECKING:
    from codetune.backends.local.progress import ProgressCallback, StopOnRequest
    from codetune.backends.local.trainer import AnswerLossTrainer

PREPARE_HINT = "prepare the data first: python scripts/prepare_data.py -s data/raw -o data/processed"


class Cancelled(Exception):
    """The user cancelled the job (SIGTERM or ``cancel.request``)."""


@dataclass(frozen=True)
class RunContext:
    """Where the steps report (the run directory and its status; rank 0's alone is written), how they
    learn they must stop, and this process's place in the job."""

    run_dir: RunDir
    status: StatusWriter
    stop: threading.Event
    ranks: Ranks

    def stop_requested(self) -> bool:
        """SIGTERM, or (rank 0, which shares a machine with the request) ``cancel.request``."""
        return self.stop.is_set() or (self.ranks.leader and self.run_dir.cancel_requested())

    def check_cancel(self) -> None:
        if self.stop_requested():
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


def run(
    run_dir: RunDir, status: StatusWriter, *, resume: bool, stop: threading.Event, ranks: Ranks | None = None
) -> None:
    """Train as the run directory's request says; writes the adapter, metrics and plot, then SUCCEEDED
    (rank 0; the other ranks of a job in several processes train and return)."""
    context = RunContext(run_dir, status, stop, ranks or Ranks())
    request = run_dir.read_request()
    config = Config.model_validate(request["config"])
    checkpoint = resume_point(run_dir) if resume else None

    hardware = setup(context, config.local)
    context.check_cancel()
    base = load_base(context, config.local)
    data = load_data(context, request, config.local, base)
    plan = plan_steps(config, len(data.train), world_size=context.ranks.world_size)
    order = order_batches([len(example.input_ids) for example in data.train], plan, config.local.seed)
    if context.ranks.leader:
        record_settings(context, config, hardware, base, data, plan, order)
    context.check_cancel()
    trainer, progress, stopper = build_trainer(
        context, config, hardware, base, data, plan, order, checkpoint=checkpoint
    )
    train(context, trainer, stopper, checkpoint=checkpoint, evaluates=bool(data.evaluation))
    if context.ranks.leader and progress is not None:
        save(context, trainer, progress, base, plan)


# -- setup: hardware and libraries -----------------------------------------------------------------------


def setup(context: RunContext, local: LocalConfig) -> hardware_mod.Hardware:
    """Pick the device, precision and threads; load the training libraries (slow: a stage of its own)."""
    context.status.stage("loading libraries")
    ranks = context.ranks
    hardware = hardware_mod.detect(
        local.device, local_rank=ranks.local_rank, processes=ranks.local_world_size
    )
    hardware_mod.apply_threads(hardware)
    if ranks.distributed:
        join_process_group(ranks, hardware.device)
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
    checkpoint: Path | None,
) -> tuple[AnswerLossTrainer, ProgressCallback | None, StopOnRequest]:
    """The trainer, fed the planned order sequentially; the callback that stops every rank at the same
    step when asked, and (rank 0) the one that reports progress."""
    import datasets
    import torch
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig

    from codetune.backends.local.progress import ProgressCallback, StopOnRequest
    from codetune.backends.local.trainer import AnswerLossTrainer

    local, examples, evaluation, ranks = config.local, data.train, data.evaluation, context.ranks
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
    lora = lora_settings(config)
    peft_config = LoraConfig(
        r=lora["r"],
        lora_alpha=lora["alpha"],
        lora_dropout=lora["dropout"],
        target_modules=lora["target_modules"],
        task_type="CAUSAL_LM",
    )
    tensorboard = "tensorboard" in local.report_to
    if tensorboard:  # read by transformers' TensorBoard callback (rank 0 writes)
        os.environ["TENSORBOARD_LOGGING_DIR"] = str(context.run_dir.tensorboard)
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
        eval_on_start=eval_dataset is not None and checkpoint is None,
        save_strategy="steps",
        save_steps=local.save_steps,
        save_total_limit=2,
        # each machine keeps its checkpoints (rank 0 of every machine writes them): any machine resumes
        # from its own disk, shared or not; on one machine this is rank 0 alone
        save_on_each_node=True,
        seed=local.seed,
        data_seed=local.seed,
        report_to=list(local.report_to),
        disable_tqdm=True,
        dataloader_pin_memory=hardware.device == "cuda",
        ddp_backend=process_group_backend(hardware.device) if ranks.distributed else None,
        ddp_timeout=COLLECTIVE_TIMEOUT_SECONDS,
        ddp_find_unused_parameters=False,  # LoRA on every linear layer: every trainable weight is used
    )
    stopper = StopOnRequest(context.stop_requested, distributed=ranks.distributed)
    progress = (
        ProgressCallback(
            context.run_dir,
            context.status,
            step_tokens=order.step_tokens,
            total_steps=plan.steps,
            steps_per_epoch=plan.steps_per_epoch,
        )
        if ranks.leader
        else None
    )
    trainer = AnswerLossTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=base.tokenizer,
        peft_config=peft_config,
        callbacks=[stopper, *([progress] if progress is not None else [])],
    )
    if progress is not None:
        trainer.extra_train_logs = progress.step_throughput  # tokens/s reaches TensorBoard with the loss
    if tensorboard and checkpoint is not None and ranks.leader:
        _continue_tensorboard(trainer, context.run_dir, checkpoint_step(checkpoint))
    return trainer, progress, stopper


def _continue_tensorboard(trainer: AnswerLossTrainer, run_dir: RunDir, step: int) -> None:
    """A resumed run logs the steps after its checkpoint again: TensorBoard hides the first life's events
    from there on (``purge_step``), as the metrics file drops its rows."""
    from torch.utils.tensorboard import SummaryWriter
    from transformers.integrations import TensorBoardCallback

    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, TensorBoardCallback):
            callback.tb_writer = SummaryWriter(log_dir=str(run_dir.tensorboard), purge_step=step + 1)


# -- train ----------------------------------------------------------------------------------------------


def resume_point(run_dir: RunDir) -> Path:
    """The checkpoint a resumed run continues from."""
    checkpoint = run_dir.last_checkpoint()
    if checkpoint is None:
        raise InputError(f"no checkpoint to resume from in {run_dir.checkpoints}")
    return checkpoint


def checkpoint_step(checkpoint: Path) -> int:
    """
    >>> checkpoint_step(Path("runs/j/checkpoints/checkpoint-20"))
    20
    """
    return int(checkpoint.name.rpartition("-")[2])


def train(
    context: RunContext,
    trainer: AnswerLossTrainer,
    stopper: StopOnRequest,
    *,
    checkpoint: Path | None,
    evaluates: bool,
) -> None:
    """Train from the start or from the checkpoint; evaluate once more at the end if the last evaluation
    was not at the last step. Every rank takes the same path (the decisions come from state they share)."""
    if checkpoint is not None and context.ranks.leader:
        context.run_dir.truncate_metrics(checkpoint_step(checkpoint))
    context.status.stage("training")
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    if stopper.stopped:
        raise Cancelled()
    evaluated = [entry["step"] for entry in trainer.state.log_history if "eval_loss" in entry]
    if evaluates and (not evaluated or evaluated[-1] != trainer.state.global_step):
        context.status.stage("final evaluation")
        trainer.evaluate()


# -- save: adapter + tokenizer (chat template included), plot, final status (rank 0) ----------------------


def save(
    context: RunContext,
    trainer: AnswerLossTrainer,
    progress: ProgressCallback,
    base: Base,
    plan: TrainingPlan,
) -> None:
    run_dir, status = context.run_dir, context.status
    status.stage("saving the adapter")
    tuned: Any = trainer.accelerator.unwrap_model(trainer.model)  # the PeftModel: saves the adapter only
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
    print(f"rank {context.ranks.rank} saved the adapter to {run_dir.adapter}", flush=True)  # in worker.log
    status.finish("SUCCEEDED", detail=None, tuned_model=run_dir.path.name, metrics=progress.summary())
