"""Training in more than one process: how a job is laid out, launched and how its ranks report.

A job runs ``local.processes`` processes on each of ``local.nodes`` machines, data parallel (PyTorch DDP
through transformers' Trainer): each process trains ``local.batch_size`` examples a step and the
gradients are averaged, so a step trains on the *global batch* of every process's examples together.
The processes are started by PyTorch's own launcher, ``torch.distributed.run`` (torchrun), which
:mod:`.launch` runs for the job's supervisor (:mod:`.worker`).

- :class:`Launch`: the layout the job asked for, resolved (``auto`` counted) and written to the run
  directory's ``launch.json`` when it starts; a resumed job must keep its world size.
- :class:`Ranks`: where this process sits (torchrun's environment variables). Rank 0 alone writes the
  job's status, metrics, the adapter and the plot; the others train.
- Rank endings (``ranks/rank-N.json``): how each process ended, so the supervisor can name the rank that
  failed first, and a follower machine knows whether the job it served succeeded or was cancelled.

One machine meets at a loopback port the launcher picks itself (c10d rendezvous on port 0). Several
machines meet at ``local.rdzv_endpoint`` with the *static* rendezvous, the one in which ``--node-rank``
decides the ranks: c10d numbers machines in the order it sorts them and ignores ``--node-rank``, so the
results could land on the machine the user called 1. No torch is imported here unless a function says so.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from codetune.io import write_json

if TYPE_CHECKING:
    from codetune.backends.local.rundir import RunDir
    from codetune.config import LocalConfig

# How long a process waits in a collective (gloo/NCCL) for the others before it fails. A rank that dies
# fails the job sooner: torchrun stops the others at once. This bounds the cases it cannot see, such as
# a machine that vanished from the network. Longer than any wait between two steps (a checkpoint save).
COLLECTIVE_TIMEOUT_SECONDS = 600
ENDINGS = ("succeeded", "cancelled", "failed")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "es" if word.endswith("s") else "s")


@dataclass(frozen=True)
class Launch:
    """The layout of a job: processes per machine (resolved), machines, this machine's rank, rendezvous."""

    processes: int = 1
    nodes: int = 1
    node_rank: int = 0
    rdzv_endpoint: str | None = None

    @property
    def world_size(self) -> int:
        return self.processes * self.nodes

    @property
    def distributed(self) -> bool:
        """More than one process in the job: torchrun starts them."""
        return self.world_size > 1

    @property
    def follower(self) -> bool:
        """This machine trains for the job whose results machine 0 writes."""
        return self.node_rank > 0

    def describe(self) -> str:
        """
        >>> Launch(2, 1).describe(), Launch(4, 2, 1, "10.0.0.5:29500").describe()
        ('2 processes on 1 machine', '4 processes on each of 2 machines (this one is machine 1)')
        """
        if self.nodes == 1:
            return f"{_plural(self.processes, 'process')} on 1 machine"
        return (
            f"{_plural(self.processes, 'process')} on each of {self.nodes} machines "
            f"(this one is machine {self.node_rank})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "world_size": self.world_size}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Launch:
        return cls(
            processes=int(data.get("processes") or 1),
            nodes=int(data.get("nodes") or 1),
            node_rank=int(data.get("node_rank") or 0),
            rdzv_endpoint=data.get("rdzv_endpoint") or None,
        )

    def torchrun_arguments(self) -> list[str]:
        """torchrun's options for this layout (the module to run follows them).

        >>> Launch(2).torchrun_arguments()[-6:]
        ['--rdzv-backend', 'c10d', '--rdzv-endpoint', '127.0.0.1:0', '--max-restarts', '0']
        >>> " ".join(Launch(1, 2, 1, "10.0.0.5:29500").torchrun_arguments())
        '--nnodes 2 --nproc-per-node 1 --node-rank 1 --rdzv-backend static --rdzv-endpoint 10.0.0.5:29500 --max-restarts 0'
        """
        # One machine without an endpoint: port 0, so the launcher binds a free port itself (no race).
        static = self.nodes > 1 or self.rdzv_endpoint is not None
        return [
            *("--nnodes", str(self.nodes), "--nproc-per-node", str(self.processes)),
            *("--node-rank", str(self.node_rank)),
            *("--rdzv-backend", "static" if static else "c10d"),
            *("--rdzv-endpoint", self.rdzv_endpoint if static and self.rdzv_endpoint else "127.0.0.1:0"),
            # a failed process fails the job: no restarts (a restart would start the run over, not resume it)
            *("--max-restarts", "0"),
        ]


def resolve_launch(local: LocalConfig, gpu_count: Callable[[], int]) -> Launch:
    """The layout ``local`` asks for, ``processes: auto`` counted: one per GPU, or 1 without GPUs (or when
    ``local.device`` is cpu or mps). ``gpu_count`` is called only for ``auto``.

    >>> from codetune.config import LocalConfig
    >>> resolve_launch(LocalConfig(processes="auto"), lambda: 4).processes
    4
    >>> resolve_launch(LocalConfig(processes="auto", device="cpu"), lambda: 4).processes
    1
    """
    processes = local.processes
    if processes == "auto":
        processes = (gpu_count() if local.device in ("auto", "cuda") else 0) or 1
    return Launch(int(processes), local.nodes, local.node_rank, local.rdzv_endpoint)


def launch_mismatch(job: str, recorded: Launch, requested: Launch) -> str | None:
    """Why ``requested`` cannot resume a job that ran as ``recorded`` (None when it can): the checkpoint's
    data position and learning-rate schedule count steps of the recorded global batch.

    >>> launch_mismatch("j", Launch(2), Launch(1))
    'job j trained with 2 processes on 1 machine (world size 2); resuming it with 1 process on 1 machine (world size 1) would change its global batch'
    >>> launch_mismatch("j", Launch(2), Launch(2, rdzv_endpoint="h:1")) is None
    True
    """
    if recorded.world_size != requested.world_size:
        return (
            f"job {job} trained with {recorded.describe()} (world size {recorded.world_size}); resuming it "
            f"with {requested.describe()} (world size {requested.world_size}) would change its global batch"
        )
    if recorded.node_rank != requested.node_rank:
        return f"job {job} ran as machine {recorded.node_rank}; it cannot resume as machine {requested.node_rank}"
    return None


@dataclass(frozen=True)
class Ranks:
    """This process's place in the job, from torchrun's environment (one process: rank 0 of 1)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    local_world_size: int = 1
    node_rank: int = 0

    @property
    def leader(self) -> bool:
        """Rank 0: writes the job's status, metrics, settings, adapter and plot."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Ranks:
        """
        >>> Ranks.from_environment({"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "2", "GROUP_RANK": "1"})
        Ranks(rank=3, local_rank=1, world_size=4, local_world_size=2, node_rank=1)
        >>> Ranks.from_environment({}).leader
        True
        """

        def number(name: str, default: int) -> int:
            value = environ.get(name, "")
            return int(value) if value.isdigit() else default

        world = number("WORLD_SIZE", 1)
        return cls(
            rank=number("RANK", 0),
            local_rank=number("LOCAL_RANK", 0),
            world_size=world,
            local_world_size=number("LOCAL_WORLD_SIZE", world),
            node_rank=number("GROUP_RANK", 0),
        )


def process_group_backend(device: str) -> str:
    """NCCL between GPUs, gloo between CPU processes.

    >>> process_group_backend("cuda"), process_group_backend("cpu")
    ('nccl', 'gloo')
    """
    return "nccl" if device == "cuda" else "gloo"


def join_process_group(ranks: Ranks, device: str) -> str:
    """Join the job's process group (NCCL on GPUs, one GPU per local rank; gloo on the CPU) with a bounded
    wait; returns the backend's name. transformers' Trainer uses this group as it finds it. Imports torch."""
    from datetime import timedelta

    import torch
    import torch.distributed as dist

    backend = process_group_backend(device)
    if device == "cuda":
        torch.cuda.set_device(ranks.local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=timedelta(seconds=COLLECTIVE_TIMEOUT_SECONDS))
    return backend


# -- how each rank ended --------------------------------------------------------------------------------


def write_ending(
    run_dir: RunDir, ranks: Ranks, ending: str, *, error: str | None = None, hint: str | None = None
) -> None:
    """Record how this rank ended (``ranks/rank-N.json`` on its own machine)."""
    write_json(
        run_dir.rank_ending(ranks.rank),
        {
            "rank": ranks.rank,
            "local_rank": ranks.local_rank,
            "node_rank": ranks.node_rank,
            "ending": ending,
            "error": error,
            "hint": hint,
            "time": time.time(),
            "pid": os.getpid(),
        },
    )


def read_endings(run_dir: RunDir) -> list[dict[str, Any]]:
    """The endings this machine's ranks recorded, by rank (unreadable files are skipped)."""
    found = []
    for path in sorted(run_dir.ranks.glob("rank-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("ending") in ENDINGS:
            found.append(data)
    return sorted(found, key=lambda ending: int(ending.get("rank", 0)))
