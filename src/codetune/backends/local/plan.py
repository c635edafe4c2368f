"""How a local job trains, planned in one place: steps, epochs, batch, learning rate, warm-up, batch order.

A step trains on the *global batch*: ``local.batch_size`` examples in each of the job's processes. The
steps, epochs and learning-rate schedule count global batches, so a job in 2 processes of batch 2 plans
(and trains) like one process of batch 4.

The estimate shown before a job starts (:meth:`.backend.LocalBackend.estimate`, on the examples in the
file) and the recipe (:mod:`.recipe`, on the examples left after over-length ones are dropped) both call
:func:`plan_steps`, so what the user confirms is what the worker runs. The recipe then fixes which
examples each step trains on (:func:`order_batches`). No torch here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codetune.backends.local import data as data_mod

if TYPE_CHECKING:
    from codetune.config import Config

WARMUP_SHARE = 0.05  # of the steps, for runs of 10 steps or more (shorter ones start at full rate)


@dataclass(frozen=True)
class TrainingPlan:
    examples: int
    batch_size: int  # examples per step in one process
    steps: int
    steps_per_epoch: int
    learning_rate: float
    warmup_steps: int
    world_size: int = 1  # processes, all machines together

    @property
    def global_batch_size(self) -> int:
        """Examples per optimizer step, all processes together."""
        return self.batch_size * self.world_size

    @property
    def epochs(self) -> float:
        """Passes over the data the steps make (fractional when ``local.max_steps`` stops early)."""
        return self.steps / self.steps_per_epoch

    @property
    def passes(self) -> int:
        """Passes over the data the order must make so that every step has a whole global batch (the last
        pass is cut short where the steps end)."""
        return max(1, math.ceil(self.steps * self.global_batch_size / max(1, self.examples)))


def plan_steps(config: Config, examples: int, *, world_size: int = 1) -> TrainingPlan:
    """The plan the config gives for ``examples`` training examples in ``world_size`` processes.

    >>> from codetune.config import Config
    >>> p = plan_steps(Config.model_validate({"local": {"batch_size": 4, "max_steps": None}}), 24)
    >>> p.steps, p.steps_per_epoch, p.epochs, p.warmup_steps, p.learning_rate
    (18, 6, 3.0, 1, 0.002)
    >>> p = plan_steps(Config.model_validate({"local": {"batch_size": 4, "max_steps": 4}}), 10)
    >>> p.steps, p.steps_per_epoch, p.passes, p.warmup_steps
    (4, 3, 2, 0)
    >>> two = plan_steps(Config.model_validate({"local": {"batch_size": 2, "max_steps": None}}), 24, world_size=2)
    >>> two.global_batch_size, two.steps, two.steps_per_epoch
    (4, 18, 6)
    """
    local, training = config.local, config.training
    steps_per_epoch = max(1, math.ceil(examples / (local.batch_size * world_size)))
    steps = training.epochs * steps_per_epoch
    if local.max_steps:
        steps = min(steps, local.max_steps)
    return TrainingPlan(
        examples=examples,
        batch_size=local.batch_size,
        steps=steps,
        steps_per_epoch=steps_per_epoch,
        learning_rate=local.learning_rate * training.learning_rate_multiplier,
        warmup_steps=max(1, round(WARMUP_SHARE * steps)) if steps >= 10 else 0,
        world_size=world_size,
    )


@dataclass(frozen=True)
class BatchOrder:
    """Which examples each step trains on, planned up front (a resumed run continues the same order)."""

    indices: list[int]  # example indices, one batch after another
    batch_lengths: list[list[int]]  # the token counts of each batch's examples

    @property
    def padding_share(self) -> float:
        return data_mod.padding_share(self.batch_lengths)

    @property
    def step_tokens(self) -> list[int]:
        return [sum(batch) for batch in self.batch_lengths]


def order_batches(lengths: list[int], plan: TrainingPlan, seed: int) -> BatchOrder:
    """Every step's examples (a whole global batch each), given each example's token count: seeded passes
    over the data (as many as the steps need), batches of similar length.

    Fed to the Trainer in this order, one process takes it as it comes; in several processes the Trainer
    (accelerate's batch sharding) gives batch ``k`` of ``batch_size`` to rank ``k mod world size``, so rank
    ``r`` trains on the ``r``-th slice of each global batch: the same examples per step in any layout.

    >>> from codetune.config import Config
    >>> plan = plan_steps(Config.model_validate({"local": {"batch_size": 2, "max_steps": 3}}), 4)
    >>> order = order_batches([5, 50, 6, 52], plan, seed=0)  # 3 steps of 2: a second pass, cut short
    >>> len(order.indices), sorted(sorted(batch) for batch in order.batch_lengths)
    (6, [[5, 5], [6, 6], [50, 50]])
    >>> order.step_tokens, round(order.padding_share, 3)
    ([10, 100, 12], 0.0)
    """
    size = plan.global_batch_size
    indices = data_mod.plan_order(lengths, size, plan.passes, seed)[: plan.steps * size]
    return BatchOrder(
        indices, [[lengths[i] for i in indices[b : b + size]] for b in range(0, len(indices), size)]
    )
