"""The trainer callbacks: one turns training events into the run directory's status and metrics (rank 0),
one stops training when asked (every rank, at the same step).

Imported only inside the worker (it imports transformers). Tokens per second count real tokens (no
padding) of the global batch over the time spent in training steps (evaluations excluded), so the figure
compares across runs, layouts and with the benchmark in ``bench/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from transformers import TrainerCallback

from codetune.backends.local.rundir import RunDir, StatusWriter


class StopOnRequest(TrainerCallback):  # the Trainer's extension point
    """Ends training after the current step once ``requested()`` says so. In several processes the ranks
    agree first (the largest of their wishes, one number exchanged per step), so every rank stops after the
    same step, whichever of them was asked: a rank that stopped alone would leave the others waiting for it
    in the next step's gradient exchange."""

    def __init__(self, requested: Callable[[], bool], *, distributed: bool) -> None:
        self.requested = requested
        self.distributed = distributed
        self.stopped = False

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        wanted = self.requested()
        if self.distributed:
            import torch
            import torch.distributed as dist

            flag = torch.tensor([1 if wanted else 0], device=args.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            wanted = bool(flag.item())
        if wanted:
            self.stopped = True
            control.should_training_stop = True
            control.should_evaluate = False
            control.should_save = False


class ProgressCallback(TrainerCallback):
    def __init__(
        self,
        run_dir: RunDir,
        status: StatusWriter,
        *,
        step_tokens: Sequence[int],
        total_steps: int,
        steps_per_epoch: int,
    ) -> None:
        self.run_dir = run_dir
        self.status = status
        self.step_tokens = list(step_tokens)
        self.total_steps = total_steps
        # the Trainer's own epoch counts passes over the planned stream, not over the training file
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.train_seconds = 0.0
        self.train_tokens = 0
        self.session_started = time.monotonic()
        self.first_step = 0
        self.step_started = time.monotonic()
        self.last_step: dict[str, float] = {}
        self.last_eval_step: int | None = None
        self.latest: dict[str, Any] = {}

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session_started = time.monotonic()
        self.first_step = state.global_step  # > 0 when resumed from a checkpoint
        self.status.update(
            step=state.global_step,
            detail="evaluating (before training)" if args.eval_on_start else "training",
        )

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.step_started = time.monotonic()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        now = time.monotonic()
        seconds = now - self.step_started
        step = state.global_step
        tokens = self.step_tokens[step - 1] if 0 < step <= len(self.step_tokens) else 0
        self.train_seconds += seconds
        self.train_tokens += tokens
        self.last_step = {"seconds": seconds, "tokens": tokens}
        done = step - self.first_step
        # wall time per step so far, evaluations included: the ETA covers the evaluations still to come
        eta = (now - self.session_started) / done * (self.total_steps - step) if done > 0 else None
        if self.train_seconds > 0:
            self.latest["tokens_per_second"] = round(self.train_tokens / self.train_seconds, 2)
        self.status.update(
            state="RUNNING",
            detail="evaluating" if control.should_evaluate else "training",
            step=step,
            total_steps=self.total_steps,
            epoch=round(state.global_step / self.steps_per_epoch, 4),
            eta_seconds=round(eta, 1) if eta is not None else None,
            metrics=dict(self.latest),
        )

    def step_throughput(self) -> dict[str, float]:
        """The last step's tokens per second, logged with its loss (so it reaches TensorBoard too)."""
        seconds, tokens = self.last_step.get("seconds", 0.0), self.last_step.get("tokens", 0)
        return {"tokens_per_second": round(tokens / seconds, 2)} if seconds > 0 else {}

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        logs = logs or {}
        row: dict[str, Any] = {
            "step": state.global_step,
            "epoch": round(state.global_step / self.steps_per_epoch, 4),
            "time": round(time.time(), 3),
        }
        if "loss" in logs:
            seconds, tokens = self.last_step.get("seconds", 0.0), int(self.last_step.get("tokens", 0))
            row.update(
                kind="train",
                loss=logs["loss"],
                learning_rate=logs.get("learning_rate"),
                grad_norm=logs.get("grad_norm"),
                token_accuracy=logs.get("mean_token_accuracy"),
                tokens=tokens,
                step_seconds=round(seconds, 3),
                tokens_per_second=round(tokens / seconds, 2) if seconds > 0 else None,
            )
            self.latest.update(loss=logs["loss"], learning_rate=logs.get("learning_rate"))
        elif "eval_loss" in logs:
            row.update(kind="eval", eval_loss=logs["eval_loss"], eval_seconds=logs.get("eval_runtime"))
            self.latest["eval_loss"] = logs["eval_loss"]
            self.last_eval_step = state.global_step
        else:
            return  # the Trainer's end-of-run summary: our own summary() replaces it
        self.run_dir.append_metrics(row)
        self.status.update(metrics=dict(self.latest))

    def summary(self) -> dict[str, Any]:
        """The final metrics for the job record: last loss, first and last eval loss, throughput."""
        result = dict(self.latest)
        # from the file, not memory: a resumed run evaluated "before training" in its first life
        evaluations = [row for row in self.run_dir.read_metrics() if row.get("kind") == "eval"]
        if evaluations:
            result["eval_loss_start"] = evaluations[0]["eval_loss"]
        result["train_seconds"] = round(self.train_seconds, 1)
        return result
