"""TRL's SFTTrainer with a loss that suits the CPU (imported only inside the worker: it imports TRL).

TRL computes the loss through a "fused LM head": per-token log-probabilities (plus entropy and top-1
flags for its logs) in vocabulary tiles, so the ``[tokens, vocab]`` logits are never built. That is a
GPU kernel (Triton); on a CPU its tile-by-tile fallback makes several elementwise passes over the
49,152-word vocabulary per answer token, in the forward and again in the backward, and measured here it
cost more than the whole transformer of a tiny model and a large share of SmolLM2's step. On a CPU we
project only the answer positions (labels != -100, typically a third of the tokens) through the LM head
and take plain cross-entropy: the same loss, normalised the same way (by the answer tokens of the batch).
On CUDA the trainer keeps TRL's own fused path. Subclassing ``compute_loss`` is the extension point TRL
documents for this (its ``compute_loss_func`` argument is deprecated in favour of it).

In several processes (DDP) the forward pass goes through the wrapped model, as DDP needs to exchange
gradients; the count of answer tokens (``num_items_in_batch``) is the whole global batch's, so each rank's
loss is scaled by the world size, since DDP averages the ranks' gradients: the gradient is the global
batch's sum over its answer tokens, as in one process (transformers and TRL scale their own losses so).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from trl import SFTTrainer

IGNORE = -100


def answer_logits(model: Any, inputs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits of the answer positions only, and their target tokens (labels shifted by one).

    ``model`` may be wrapped (DDP): the forward pass runs through it, with the LM head on one position
    only (``logits_to_keep=1``); the answer positions are projected here from the last hidden state.
    """
    outputs = model(
        input_ids=inputs["input_ids"],
        attention_mask=inputs.get("attention_mask"),
        position_ids=inputs.get("position_ids"),
        use_cache=False,
        output_hidden_states=True,
        logits_to_keep=1,
    )
    hidden = outputs.hidden_states[-1]  # after the final norm: what the LM head reads
    targets = inputs["labels"][:, 1:]
    answer = targets != IGNORE
    unwrapped = model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model
    causal_lm = unwrapped.get_base_model() if hasattr(unwrapped, "get_base_model") else unwrapped
    logits = causal_lm.get_output_embeddings()(hidden[:, :-1][answer])
    return logits, targets[answer]


class AnswerLossTrainer(SFTTrainer):
    # rank 0: values logged with every training loss (tokens per second), set by the recipe
    extra_train_logs: Callable[[], dict[str, float]] | None = None

    def compute_loss(
        self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> Any:
        if return_outputs or next(model.parameters()).device.type == "cuda":
            return super().compute_loss(
                model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch
            )
        logits, targets = answer_logits(model, inputs)
        count = num_items_in_batch if num_items_in_batch is not None else targets.numel()
        # clamped: a batch without answer tokens gives 0, not 0/0 (the data step drops such examples anyway)
        loss = F.cross_entropy(logits.float(), targets, reduction="sum") / torch.as_tensor(count).clamp(min=1)
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * self.accelerator.num_processes  # count covers every rank; DDP averages gradients
        mode = "train" if model.training else "eval"
        with torch.no_grad():
            accuracy = (logits.argmax(dim=-1) == targets).float().mean().item() if targets.numel() else 0.0
        self._metrics[mode]["mean_token_accuracy"].append(accuracy)
        return loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs and self.extra_train_logs is not None:
            logs = {**logs, **self.extra_train_logs()}
        super().log(logs, start_time)
