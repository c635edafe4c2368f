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
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from trl import SFTTrainer

IGNORE = -100


def answer_logits(model: Any, inputs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits of the answer positions only, and their target tokens (labels shifted by one)."""
    causal_lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    backbone = causal_lm.base_model  # transformers: the decoder stack without the LM head
    hidden = backbone(
        input_ids=inputs["input_ids"],
        attention_mask=inputs.get("attention_mask"),
        position_ids=inputs.get("position_ids"),
        use_cache=False,
    ).last_hidden_state
    targets = inputs["labels"][:, 1:]
    answer = targets != IGNORE
    logits = causal_lm.get_output_embeddings()(hidden[:, :-1][answer])
    return logits, targets[answer]


class AnswerLossTrainer(SFTTrainer):
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
        mode = "train" if model.training else "eval"
        with torch.no_grad():
            accuracy = (logits.argmax(dim=-1) == targets).float().mean().item() if targets.numel() else 0.0
        self._metrics[mode]["mean_token_accuracy"].append(accuracy)
        return loss
