"""A local job's run directory: the files the worker writes and the backend reads (no torch here).

``runs/<job-id>/`` holds, besides the job record: ``request.json`` (what to train on, written at submit),
``status.json`` (state, step, ETA, error: rewritten atomically by the worker), ``metrics.jsonl`` (one
line per logged step or evaluation), ``config.json`` (the resolved settings: hardware, precision,
hyperparameters), ``tokens.json`` (token counts with the real tokenizer), ``checkpoints/``, ``adapter/``
(the result), ``loss.png``, ``tensorboard/`` (event files), ``worker.log`` and, while a cancel is
pending, ``cancel.request``. A job in several processes adds ``launch.json`` (its layout) and ``ranks/``
(how each process ended, and which ones torchrun saw fail).

Liveness needs no pid bookkeeping: the worker holds an ``flock`` on ``.codetune.lock`` for its whole
life and the kernel drops it when the process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetune.errors import JobError
from codetune.io import read_json, write_json, write_text

LOCK_NAME = ".codetune.lock"
ADAPTER_INFO = "codetune-adapter.json"  # in adapter/: which base model it belongs to


@dataclass(frozen=True)
class RunDir:
    """Paths inside one job's run directory."""

    path: Path

    @property
    def request(self) -> Path:
        return self.path / "request.json"

    @property
    def status(self) -> Path:
        return self.path / "status.json"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def tokens(self) -> Path:
        return self.path / "tokens.json"

    @property
    def mask_sample(self) -> Path:
        return self.path / "mask_sample.txt"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def adapter(self) -> Path:
        return self.path / "adapter"

    @property
    def plot(self) -> Path:
        return self.path / "loss.png"

    @property
    def tensorboard(self) -> Path:
        return self.path / "tensorboard"

    @property
    def launch(self) -> Path:
        return self.path / "launch.json"

    @property
    def ranks(self) -> Path:
        return self.path / "ranks"

    def rank_ending(self, rank: int) -> Path:
        return self.ranks / f"rank-{rank}.json"

    @property
    def rank_exits(self) -> Path:
        return self.ranks / "exits.json"

    @property
    def log(self) -> Path:
        return self.path / "worker.log"

    @property
    def cancel_request(self) -> Path:
        return self.path / "cancel.request"

    @property
    def lock(self) -> Path:
        return self.path / LOCK_NAME

    # -- status ---------------------------------------------------------------------------------------

    def read_status(self) -> dict[str, Any]:
        """The worker's last status (``{}`` before the first one, or when the file is unreadable)."""
        try:
            data = json.loads(self.status.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write_status(self, status: dict[str, Any]) -> None:
        write_json(self.status, {**status, "updated_at": time.time()})

    def read_request(self) -> dict[str, Any]:
        if not self.request.is_file():
            raise JobError(
                f"{self.path} is not a local run directory (no {self.request.name})",
                hint="pass a job id from `codetune jobs`",
            )
        data = read_json(self.request)
        if not isinstance(data, dict):
            raise JobError(f"{self.request} is not a JSON object")
        return data

    # -- metrics --------------------------------------------------------------------------------------

    def append_metrics(self, row: dict[str, Any]) -> None:
        """One line per event; appended (not rewritten) so a long run costs nothing per step."""
        with open(self.metrics, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every readable metrics line (a line cut short by a kill is skipped)."""
        rows: list[dict[str, Any]] = []
        try:
            lines = self.metrics.read_text(encoding="utf-8").splitlines()
        except OSError:
            return rows
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
        return rows

    def truncate_metrics(self, last_step: int) -> None:
        """Forget rows logged after ``last_step``: a resumed run logs those steps again."""
        rows = [row for row in self.read_metrics() if int(row.get("step", 0)) <= last_step]
        write_text(self.metrics, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))

    # -- checkpoints ----------------------------------------------------------------------------------

    def last_checkpoint(self) -> Path | None:
        """The newest complete checkpoint (``checkpoint-<step>`` with its trainer state), or None."""
        if not self.checkpoints.is_dir():
            return None
        found = []
        for child in self.checkpoints.glob("checkpoint-*"):
            step = child.name.rpartition("-")[2]
            if step.isdigit() and (child / "trainer_state.json").is_file():
                found.append((int(step), child))
        return max(found)[1] if found else None

    # -- cancel ---------------------------------------------------------------------------------------

    def request_cancel(self) -> None:
        write_text(self.cancel_request, f"{time.time()}\n")

    def cancel_requested(self) -> bool:
        return self.cancel_request.exists()

    # -- liveness -------------------------------------------------------------------------------------

    def worker_alive(self) -> bool:
        """True while a worker holds this run's lock (probed without ever blocking it for long)."""
        try:
            handle = open(self.lock, "a+")  # noqa: SIM115 - closed below
        except OSError:
            return False
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            handle.close()  # closing drops the probe's own lock at once
        return False

    @contextlib.contextmanager
    def hold_lock(self, wait_seconds: float = 10.0) -> Iterator[None]:
        """Held by the worker for its whole life. Waits briefly: a status probe may hold it for a moment."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock, "a+")  # noqa: SIM115 - held for the whole block
        try:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise JobError(
                            f"another worker is already running in {self.path}",
                            hint="wait for it to end, or cancel it with `codetune cancel`",
                        ) from None
                    time.sleep(0.05)
            handle.seek(0)
            handle.truncate()
            handle.write(f"codetune local worker (pid {os.getpid()})")
            handle.flush()
            yield
        finally:
            handle.close()


class StatusWriter:
    """The worker's side of ``status.json``: one dict, rewritten atomically on every change.

    ``enabled=False`` (every rank but 0 of a job in several processes) keeps the dict in memory only.
    """

    def __init__(self, run_dir: RunDir, *, enabled: bool = True, **initial: Any) -> None:
        self.run_dir = run_dir
        self.enabled = enabled
        self.status: dict[str, Any] = {**(run_dir.read_status() if enabled else {}), **initial}

    def update(self, **fields: Any) -> None:
        self.status.update(fields)
        if self.enabled:
            self.run_dir.write_status(self.status)

    def stage(self, detail: str) -> None:
        """A new phase of the job (``loading the base model``, ``training``...)."""
        self.update(state="RUNNING", detail=detail)

    def finish(self, state: str, *, error: str | None = None, hint: str | None = None, **fields: Any) -> None:
        self.update(state=state, error=error, hint=hint, eta_seconds=None, **fields)
