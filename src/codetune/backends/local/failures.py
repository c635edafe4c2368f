"""How a local job failed, in one line and a hint: from an exception, an exit status, or the ranks of a job
in several processes (the one that failed first, named). Pure functions; no torch."""

from __future__ import annotations

import errno
import signal
from collections.abc import Sequence
from typing import Any

MEMORY_HINT = "lower local.batch_size or local.max_length (or free memory) and train again"
LOG_HINT = "see worker.log in the run directory"


# How gloo and NCCL say that another process of the job went away mid-collective.
_LOST_PEER = (
    "Connection reset by peer",
    "Connection closed by peer",
    "communicator was aborted",
    "Broken pipe",
)


def describe_failure(exc: BaseException) -> tuple[str, str | None]:
    """The one-line error and hint a job's status shows for an exception in the trainer.

    >>> describe_failure(MemoryError())[0]
    'out of memory (RAM) while training'
    >>> describe_failure(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9 bytes"))[1]
    'lower local.batch_size or local.max_length (or free memory) and train again'
    >>> describe_failure(ValueError("bad"))
    ('ValueError: bad', 'the traceback is in the run directory: worker.log')
    >>> describe_failure(RuntimeError("[gloo/transport/tcp/pair.cc:537] Read error: Connection reset by peer"))[0]
    'lost contact with another process of the job (it stopped, or its machine became unreachable)'
    """
    from codetune.errors import CodetuneError

    if isinstance(exc, CodetuneError):
        return exc.message, exc.hint
    text = str(exc)
    if type(exc).__name__ in ("DistBackendError", "DistNetworkError") or any(m in text for m in _LOST_PEER):
        return (
            "lost contact with another process of the job (it stopped, or its machine became unreachable)",
            "see how the job ended on its other machines (`codetune jobs` there) and worker.log here",
        )
    if type(exc).__name__ == "OutOfMemoryError" or "CUDA out of memory" in text:
        return f"out of memory on the GPU while training ({text.splitlines()[0] if text else 'no detail'})", (
            f"{MEMORY_HINT}; or set local.device: cpu"
        )
    if isinstance(exc, MemoryError) or "can't allocate memory" in text or "not enough memory" in text:
        return "out of memory (RAM) while training", MEMORY_HINT
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (
            "no space left on device while writing checkpoints or the adapter",
            "free disk space and resume the job",
        )
    first_line = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first_line}".rstrip(
        ": "
    ), "the traceback is in the run directory: worker.log"


def describe_exit(returncode: int, who: str = "the training process") -> tuple[str, str]:
    """Why a process that wrote no final status ended, from its exit status.

    >>> describe_exit(-9)[0]
    'the training process was killed (SIGKILL), most often by the out-of-memory killer'
    >>> describe_exit(3, who="rank 1 of 2")[0]
    'rank 1 of 2 exited with code 3 without reporting'
    """
    if returncode == -signal.SIGKILL:
        return (
            f"{who} was killed (SIGKILL), most often by the out-of-memory killer",
            f"{MEMORY_HINT}; or resume from the last checkpoint if it was killed on purpose",
        )
    if returncode < 0:
        name = (
            signal.Signals(-returncode).name
            if -returncode in signal.Signals._value2member_map_
            else str(-returncode)
        )
        return f"{who} was killed by {name}", LOG_HINT
    return f"{who} exited with code {returncode} without reporting", LOG_HINT


def describe_rank_failure(
    world_size: int,
    returncode: int,
    exits: Sequence[dict[str, Any]],
    endings: Sequence[dict[str, Any]],
    *,
    node_rank: int | None = None,
) -> tuple[str, str]:
    """The line for a job in several processes that failed, naming the rank that caused it.

    ``exits``: the processes torchrun saw fail first (``rank``, ``exitcode``: negative for a signal);
    ``endings``: what the ranks recorded themselves (``rank``, ``ending``, ``error``, ``hint``, ``time``).
    A rank killed by a signal wrote nothing and is the cause (the others fail after it, having lost a
    peer), unless the signal is SIGTERM: torchrun's own, stopping the others once one has failed;
    otherwise the rank whose own error came first; otherwise the launcher itself failed.
    ``node_rank``: this machine's rank, named when the job spans machines.

    >>> describe_rank_failure(2, 1, [{"rank": 0, "exitcode": -15}, {"rank": 1, "exitcode": -9}], [
    ...     {"rank": 0, "ending": "failed", "error": "RuntimeError: Connection reset by peer", "time": 5.0}])[0]
    'rank 1 of 2 was killed (SIGKILL), most often by the out-of-memory killer'
    >>> describe_rank_failure(4, 1, [{"rank": 2, "exitcode": 1}, {"rank": 3, "exitcode": 1}], [
    ...     {"rank": 3, "ending": "failed", "error": "lost a peer", "time": 9.0},
    ...     {"rank": 2, "ending": "failed", "error": "out of memory on the GPU", "hint": "lower it", "time": 8.0}],
    ...     node_rank=1)
    ('rank 2 of 4 (machine 1): out of memory on the GPU', 'lower it')
    >>> describe_rank_failure(2, 1, [], [])[0]
    'the launcher (torch.distributed.run) failed with exit code 1 before any training process reported'
    """

    def who(rank: object) -> str:
        return f"rank {rank} of {world_size}" + (f" (machine {node_rank})" if node_rank is not None else "")

    stopped_by_torchrun = -int(signal.SIGTERM)
    killed = sorted(
        (e for e in exits if int(e.get("exitcode", 0)) < 0 and int(e["exitcode"]) != stopped_by_torchrun),
        key=lambda e: int(e.get("rank", 0)),
    )
    if killed:
        return describe_exit(int(killed[0]["exitcode"]), who=who(killed[0].get("rank")))
    failed = sorted(
        (e for e in endings if e.get("ending") == "failed"), key=lambda e: float(e.get("time", 0))
    )
    if failed:
        first = failed[0]
        message = f"{who(first.get('rank'))}: {first.get('error') or 'no error message'}"
        return message, first.get("hint") or LOG_HINT
    unreported = sorted(
        (e for e in exits if int(e.get("exitcode", 0)) > 0), key=lambda e: int(e.get("rank", 0))
    )
    if unreported:
        return describe_exit(int(unreported[0]["exitcode"]), who=who(unreported[0].get("rank")))
    return (
        f"the launcher (torch.distributed.run) failed with exit code {returncode} before any training "
        "process reported",
        f"{LOG_HINT}; with several machines, check that local.rdzv_endpoint is reachable from each of them",
    )
