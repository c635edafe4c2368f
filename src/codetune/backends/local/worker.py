"""The background process of a local job: ``python -m codetune.backends.local.worker RUN_DIR [--resume]``.

Two levels, so that every ending is reported: a small *supervisor* (no torch) holds the run's lock
and starts the *trainer*, which runs :mod:`.recipe`. The trainer reports its own success, failure
(with a readable error) or cancellation in ``status.json``. If it dies without a word (the kernel's
out-of-memory killer sends SIGKILL; a segfault), the supervisor writes the failure. If the supervisor
itself is killed, the trainer dies with it (Linux parent-death signal) and the backend sees the lock
released: the job shows as failed, resumable from its last checkpoint.

A job in several processes (``launch.json``, :mod:`.distributed`) starts its trainers through
torchrun (:mod:`.launch`): one per process, each told its rank. Rank 0 reports success and
cancellation as above; a failure is written by the supervisor once torchrun has stopped every process,
naming the rank that failed first (:func:`.failures.describe_rank_failure`). On a machine other than
machine 0 the job is a *follower*: its status says so, and it ends as the job ends.

SIGTERM (``codetune cancel``) asks the trainer (through torchrun: every trainer) to stop after the
current step; the job ends CANCELLED.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path

from codetune.backends.local.distributed import Launch, Ranks, read_endings, write_ending
from codetune.backends.local.failures import describe_exit, describe_failure, describe_rank_failure
from codetune.backends.local.rundir import RunDir, StatusWriter
from codetune.io import read_json

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
WORKER = "codetune.backends.local.worker"


def die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent (the supervisor, or torchrun) dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def train(run_dir: RunDir, resume: bool) -> int:
    """A trainer (one per process): run the recipe and report how it ended."""
    die_with_parent()
    ranks = Ranks.from_environment(os.environ)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    status = StatusWriter(run_dir, enabled=ranks.leader)
    status.update(pid=os.getpid())
    from codetune.backends.local import recipe

    try:
        recipe.run(run_dir, status, resume=resume, stop=stop, ranks=ranks)
    except recipe.Cancelled:
        status.finish("CANCELLED", detail="cancelled by the user")
        if ranks.distributed:
            write_ending(run_dir, ranks, "cancelled")
        return 0
    except BaseException as exc:  # noqa: BLE001 - every failure must reach status.json
        traceback.print_exc()
        message, hint = describe_failure(exc)
        if ranks.distributed:  # the supervisor names the rank that failed first, once all have stopped
            write_ending(run_dir, ranks, "failed", error=message, hint=hint)
        elif run_dir.cancel_requested():
            status.finish("CANCELLED", detail="cancelled by the user")
        else:
            status.finish("FAILED", error=message, hint=hint)
        return 1
    if ranks.distributed:
        write_ending(run_dir, ranks, "succeeded")
    return 0


def _start_detail(launch: Launch) -> str:
    """
    >>> _start_detail(Launch(1, 2, 1, "10.0.0.5:29500"))
    'machine 1 of 2: training with machine 0 (10.0.0.5:29500), which writes the status, metrics and adapter'
    """
    if launch.follower:
        return (
            f"machine {launch.node_rank} of {launch.nodes}: training with machine 0 ({launch.rdzv_endpoint}), "
            "which writes the status, metrics and adapter"
        )
    if launch.distributed:
        return f"starting {launch.describe()}"
    return "starting"


def supervise(run_dir: RunDir, resume: bool) -> int:
    """Hold the run's lock, run the trainer (or torchrun), and report an ending it could not report."""
    launch = Launch.from_dict(read_json(run_dir.launch)) if run_dir.launch.is_file() else Launch()
    with run_dir.hold_lock():
        status = StatusWriter(run_dir)
        status.update(
            state="RUNNING",
            detail=_start_detail(launch),
            supervisor_pid=os.getpid(),
            error=None,
            hint=None,
            **({"role": "follower"} if launch.follower else {}),
        )
        trainer = [
            sys.executable,
            "-m",
            WORKER,
            str(run_dir.path),
            "--trainer",
            *(["--resume"] if resume else []),
        ]
        if launch.distributed:
            shutil.rmtree(run_dir.ranks, ignore_errors=True)  # the endings of an earlier attempt
            run_dir.ranks.mkdir(parents=True)
            launcher = [sys.executable, "-m", "codetune.backends.local.launch", str(run_dir.path)]
            command = [*launcher, *launch.torchrun_arguments(), "-m", *trainer[2:]]
        else:
            command = trainer
        child = subprocess.Popen(command)

        def forward(signum: int, _frame: object) -> None:
            child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        returncode = child.wait()
        if run_dir.read_status().get("state") not in TERMINAL:
            status = StatusWriter(run_dir)
            if launch.distributed:
                _finish_distributed(run_dir, launch, returncode, status)
            elif run_dir.cancel_requested():
                status.finish("CANCELLED", detail="cancelled by the user")
            else:
                message, hint = describe_exit(returncode)
                status.finish("FAILED", error=message, hint=hint, detail=None)
        return 0 if returncode == 0 else 1


def _finish_distributed(run_dir: RunDir, launch: Launch, returncode: int, status: StatusWriter) -> None:
    """The ending of a job in several processes that rank 0 did not report (a follower's, always)."""
    endings = read_endings(run_dir)
    if run_dir.cancel_requested() or any(ending["ending"] == "cancelled" for ending in endings):
        where = (
            f" (machine {launch.node_rank} of {launch.nodes} followed machine 0)" if launch.follower else ""
        )
        status.finish("CANCELLED", detail=f"cancelled by the user{where}")
        return
    if returncode == 0 and launch.follower:
        status.finish(
            "SUCCEEDED",
            detail=f"machine {launch.node_rank} of {launch.nodes}: trained with machine 0, which holds the adapter",
        )
        return
    exits = read_json(run_dir.rank_exits).get("failures", []) if run_dir.rank_exits.is_file() else []
    message, hint = describe_rank_failure(
        launch.world_size,
        returncode,
        exits,
        endings,
        node_rank=launch.node_rank if launch.nodes > 1 else None,
    )
    status.finish("FAILED", error=message, hint=hint, detail=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {WORKER}")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--trainer", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    run_dir = RunDir(options.run_dir.resolve())
    if options.trainer:
        return train(run_dir, options.resume)
    return supervise(run_dir, options.resume)


if __name__ == "__main__":
    sys.exit(main())
