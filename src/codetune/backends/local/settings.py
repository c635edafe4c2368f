"""What a local run records about itself (rank 0): ``tokens.json``, the mask sample and ``config.json``
(everything that shapes the result), and the step count and data stats in its status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from codetune.backends.local import data as data_mod
from codetune.backends.local.distributed import process_group_backend
from codetune.io import write_json, write_text

if TYPE_CHECKING:
    from codetune.backends.local import hardware as hardware_mod
    from codetune.backends.local.plan import BatchOrder, TrainingPlan
    from codetune.backends.local.recipe import Base, RunContext, TrainingData
    from codetune.config import Config


def lora_rank(config: Config) -> int:
    """The local LoRA rank: ``local.lora_rank``, else ``training.adapter_size`` (shared with Vertex)."""
    return config.local.lora_rank or config.training.adapter_size


def lora_settings(config: Config) -> dict[str, Any]:
    rank = lora_rank(config)
    return {
        "r": rank,
        "alpha": config.local.lora_alpha or 2 * rank,
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
        "batch_size": plan.batch_size,  # per process
        "global_batch_size": plan.global_batch_size,
        "processes": {
            "world_size": context.ranks.world_size,
            "per_machine": context.ranks.local_world_size,
            "machines": context.ranks.world_size // max(1, context.ranks.local_world_size),
            "backend": process_group_backend(hardware.device) if context.ranks.distributed else None,
        },
        "learning_rate": plan.learning_rate,
        "lr_scheduler": "cosine",
        "warmup_steps": plan.warmup_steps,
        "lora": lora_settings(config),
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
            **({"processes": context.ranks.world_size} if context.ranks.distributed else {}),
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
