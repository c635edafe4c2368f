"""The background process of a local job: ``python -m codetune.backends.local.worker RUN_DIR [--resume]``.

Two processes, so that every ending is reported: a small *supervisor* (no torch) holds the run's lock
and starts the *trainer* child, which runs :mod:`.recipe`. The trainer reports its own success, failure
(with a readable error) or cancellation in ``status.json``. If it dies without a word (the kernel's
out-of-memory killer sends SIGKILL; a segfault), the supervisor writes the failure. If the supervisor
itself is killed, the trainer dies with it (Linux parent-death signal) and the backend sees the lock
released: the job shows as failed, resumable from its last checkpoint.

SIGTERM (``codetune cancel``) asks the trainer to stop after the current step; the job ends CANCELLED.
"""

from __future__ import annotations

import argparse
import errno
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path

from codetune.backends.local.rundir import RunDir, StatusWriter

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
MEMORY_HINT = "lower local.batch_size or local.max_length (or free memory) and train again"


def describe_failure(exc: BaseException) -> tuple[str, str | None]:
    """The one-line error and hint a job's status shows for an exception in the trainer.

    >>> describe_failure(MemoryError())[0]
    'out of memory (RAM) while training'
    >>> describe_failure(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9 bytes"))[1]
    'lower local.batch_size or local.max_length (or free memory) and train again'
    >>> describe_failure(ValueError("bad"))
    ('ValueError: bad', 'the traceback is in the run directory: worker.log')
    """
    from codetune.errors import CodetuneError

    if isinstance(exc, CodetuneError):
        return exc.message, exc.hint
    text = str(exc)
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


def describe_exit(returncode: int) -> tuple[str, str]:
    """Why a trainer that wrote no final status ended, from its exit status.

    >>> describe_exit(-9)[0]
    'the training process was killed (SIGKILL), most often by the out-of-memory killer'
    >>> describe_exit(3)[0]
    'the training process exited with code 3 without reporting'
    """
    if returncode == -signal.SIGKILL:
        return (
            "the training process was killed (SIGKILL), most often by the out-of-memory killer",
            f"{MEMORY_HINT}; or resume from the last checkpoint if it was killed on purpose",
        )
    if returncode < 0:
        name = (
            signal.Signals(-returncode).name
            if -returncode in signal.Signals._value2member_map_
            else str(-returncode)
        )
        return f"the training process was killed by {name}", "see worker.log in the run directory"
    return (
        f"the training process exited with code {returncode} without reporting",
        "see worker.log in the run directory",
    )


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent (the supervisor) dies."""
    if sys.platform.startswith("linux"):
        import contextlib
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def train(run_dir: RunDir, resume: bool) -> int:
    """The trainer child: run the recipe and report how it ended."""
    _die_with_parent()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    status = StatusWriter(run_dir)
    import os

    status.update(pid=os.getpid())
    from codetune.backends.local import recipe

    try:
        recipe.run(run_dir, status, resume=resume, stop=stop)
    except recipe.Cancelled:
        status.finish("CANCELLED", detail="cancelled by the user")
    except BaseException as exc:  # noqa: BLE001 - every failure must reach status.json
        traceback.print_exc()
        message, hint = describe_failure(exc)
        if run_dir.cancel_requested():
            status.finish("CANCELLED", detail="cancelled by the user")
        else:
            status.finish("FAILED", error=message, hint=hint)
        return 1
    return 0


def supervise(run_dir: RunDir, resume: bool) -> int:
    """Hold the run's lock, run the trainer child, and report an ending it could not report itself."""
    import os

    with run_dir.hold_lock():
        status = StatusWriter(run_dir)
        status.update(state="RUNNING", detail="starting", supervisor_pid=os.getpid(), error=None, hint=None)
        command = [sys.executable, "-m", "codetune.backends.local.worker", str(run_dir.path), "--trainer"]
        child = subprocess.Popen([*command, "--resume"] if resume else command)

        def forward(signum: int, _frame: object) -> None:
            child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        returncode = child.wait()
        final = run_dir.read_status()
        if final.get("state") not in TERMINAL:
            status = StatusWriter(run_dir)
            if run_dir.cancel_requested():
                status.finish("CANCELLED", detail="cancelled by the user")
            else:
                message, hint = describe_exit(returncode)
                status.finish("FAILED", error=message, hint=hint, detail=None)
        return 0 if returncode == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codetune.backends.local.worker")
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
