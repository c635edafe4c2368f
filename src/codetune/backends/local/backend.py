"""The ``local`` backend: the Backend protocol over a background worker and its run directory.

``submit`` writes ``request.json`` and ``launch.json`` (the job's processes and machines,
:mod:`.distributed`) and starts ``python -m codetune.backends.local.worker RUN_DIR`` in its own session
(Ctrl-C in ``monitor`` leaves it running) and returns at once. ``status`` reads the run directory; a
worker that died without reporting is noticed through its released lock. ``cancel`` asks the worker to
stop after the current step; ``resume`` restarts a killed job from its last checkpoint, in the same number
of processes. Importing this module imports no torch (counting GPUs for ``local.processes: auto`` does).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from codetune.backends.base import Backend
from codetune.backends.local.distributed import Launch, launch_mismatch, resolve_launch
from codetune.backends.local.plan import plan_steps
from codetune.backends.local.rundir import RunDir
from codetune.backends.local.settings import lora_rank
from codetune.errors import ConfigError, JobError
from codetune.io import read_json, write_json
from codetune.job_state import JobStatus

if TYPE_CHECKING:
    from codetune.backends.base import ChatModel, TuningRequest
    from codetune.config import Config
    from codetune.job_state import JobState
    from codetune.jobs import JobRecord

STARTUP_GRACE_SECONDS = 60.0  # a just-started worker may not hold its lock yet
REQUIRED_MODULES = ("torch", "transformers", "peft", "trl", "datasets", "gguf")


def _module_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


def _process_running(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (ended, not yet reaped by its parent) counts as ended."""
    try:
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:  # "pid (name) STATE ..."
            return handle.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): kill() is all there is


def _source_root() -> str:
    """The directory that holds the ``codetune`` package (for a worker started from a plain checkout)."""
    import codetune

    return str(Path(codetune.__file__).resolve().parents[1])


class LocalBackend(Backend):
    """Training on this machine. Nothing to upload: the default ``upload`` says so."""

    name = "local"
    paid = False  # runs on this machine: nothing is uploaded or billed, so no confirmation is asked
    can_resume = True  # checkpoints hold the step, the LR schedule and the data position
    max_poll_interval_seconds = 1.0  # status is a local file the worker rewrites every step: look often

    def __init__(self, config: Config) -> None:
        self.config = config
        self._children: dict[str, subprocess.Popen[bytes]] = {}  # reaped in status(): no zombies

    # -- where things are --------------------------------------------------------------------------------

    def run_dir(self, record: JobRecord) -> RunDir:
        recorded = record.extra.get("run_dir")
        if recorded:
            return RunDir(Path(recorded))
        from codetune.jobs import JobStore

        return RunDir(JobStore(self.config.paths.runs_dir).job_dir(record.id).resolve())

    # -- before a job ------------------------------------------------------------------------------------

    def launch(self) -> Launch:
        """The processes and machines the config asks for (``auto`` counts the GPUs: imports torch)."""
        from codetune.backends.local.hardware import visible_gpus

        return resolve_launch(self.config.local, lambda: visible_gpus(self.config.local.device))

    def _launch_problems(self, torch_missing: bool) -> list[str]:
        local = self.config.local
        if local.processes == 1 or torch_missing:
            return []
        from codetune.backends.local.hardware import visible_gpus

        if local.device == "mps":
            return ["local.device mps trains in one process: set local.processes: 1 (or local.device: cpu)"]
        gpus = visible_gpus(local.device)
        launch = self.launch()
        if gpus and launch.processes > gpus:
            return [
                f"local.processes is {launch.processes} but {gpus} GPU(s) are visible: one process per GPU "
                "(local.processes: auto), or local.device: cpu"
            ]
        return []

    def check(self, request: TuningRequest) -> list[str]:
        from codetune.backends.local import models
        from codetune.errors import CodetuneError

        problems = []
        missing = [name for name in REQUIRED_MODULES if _module_missing(name)]
        if missing:
            problems.append(f"the local backend needs {', '.join(missing)} (pip install -e '.[local]')")
        try:
            models.locate(self.config.local.base_model)
        except CodetuneError as exc:
            problems.append(exc.message + (f" ({exc.hint})" if exc.hint else ""))
        if self.config.local.device == "cuda" and "torch" not in missing:
            import torch

            if not torch.cuda.is_available():
                problems.append("local.device is cuda but no CUDA device is visible (set local.device: auto)")
        problems += self._launch_problems("torch" in missing)
        if "tensorboard" in self.config.local.report_to and _module_missing("tensorboard"):
            problems.append(
                "local.report_to has tensorboard but it is not installed (pip install tensorboard, "
                "or local.report_to: [])"
            )
        return problems

    def estimate(self, request: TuningRequest) -> dict[str, Any]:
        """The plan before tokenizing: the worker plans again after dropping over-length examples."""
        local, training = self.config.local, self.config.training
        launch = self.launch()
        plan = plan_steps(self.config, request.train_examples, world_size=launch.world_size)
        examples_seen = min(plan.steps * plan.global_batch_size, training.epochs * request.train_examples)
        tokens = round(request.train_tokens * examples_seen / max(1, request.train_examples))
        batch = f"batch {plan.global_batch_size}"
        if launch.distributed:
            batch = (
                f"global batch {plan.global_batch_size} = {plan.batch_size} x {launch.world_size} processes"
            )
        return {
            "base model": local.base_model,
            "training examples": request.train_examples,
            "validation examples": request.validation_examples or "none (no evaluation loss)",
            **({"processes": launch.describe()} if launch.distributed else {}),
            "steps": f"{plan.steps} ({batch}, {plan.epochs:.2g} epochs)",
            "LoRA rank": lora_rank(self.config),
            "learning rate": f"{plan.learning_rate:g}",
            "training tokens (estimate)": f"~{tokens:,}",
            "device": local.device,
            "cost": "none: runs on this machine",
        }

    # -- the job ------------------------------------------------------------------------------------------

    def _spawn(self, run_dir: RunDir, record: JobRecord, *, resume: bool) -> None:
        from codetune.backends.local.hardware import runtime_environment

        environment = runtime_environment(dict(os.environ))
        root = _source_root()
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [root, environment.get("PYTHONPATH")]))
        environment.setdefault("TRANSFORMERS_VERBOSITY", "warning")
        command = [sys.executable, "-m", "codetune.backends.local.worker", str(run_dir.path)]
        with open(run_dir.log, "ab") as log:
            child = subprocess.Popen(
                [*command, "--resume"] if resume else command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the shell that monitors it does not reach it
                cwd=os.getcwd(),
                env=environment,
            )
        self._children[record.id] = child
        record.extra.update({"run_dir": str(run_dir.path), "pid": child.pid, "started": time.time()})

    def _record_launch(self, run_dir: RunDir, record: JobRecord, launch: Launch) -> None:
        """``launch.json`` (read by the worker) and the record: how the job runs this time."""
        global_batch = self.config.local.batch_size * launch.world_size
        write_json(run_dir.launch, launch.as_dict())
        record.extra["launch"] = {**launch.as_dict(), "global_batch_size": global_batch}
        if launch.follower:
            record.extra["role"] = "follower"

    def submit(self, request: TuningRequest, record: JobRecord) -> None:
        from codetune.jobs import JobStore

        run_dir = RunDir(JobStore(self.config.paths.runs_dir).job_dir(record.id).resolve())
        run_dir.path.mkdir(parents=True, exist_ok=True)
        validation = request.validation_file
        write_json(
            run_dir.request,
            {
                "job": record.id,
                "train_file": str(Path(request.train_file).resolve()),
                "validation_file": str(Path(validation).resolve()) if validation else None,
                "sha256": dict(request.data_hashes),
                "system_instruction": request.system_instruction,
                "config": self.config.snapshot(),
            },
        )
        self._record_launch(run_dir, record, self.launch())
        run_dir.write_status({"state": "PENDING", "detail": "starting the worker"})
        self._spawn(run_dir, record, resume=False)
        record.remote_name = None  # nothing remote: the job id is the name

    def _alive(self, record: JobRecord, run_dir: RunDir) -> bool:
        if run_dir.worker_alive():
            return True
        child = self._children.get(record.id)
        if child is not None:
            return child.poll() is None  # reaps it when it has ended
        if (run_dir.read_status().get("state") or "PENDING") != "PENDING":
            return False  # its supervisor took the lock (then wrote RUNNING) and let it go: it has ended
        started = float(record.extra.get("started") or 0)
        pid = record.extra.get("pid")
        if not pid or time.time() - started > STARTUP_GRACE_SECONDS:
            return False
        return _process_running(int(pid))  # started moments ago, not holding its lock yet

    def status(self, record: JobRecord) -> JobStatus:
        run_dir = self.run_dir(record)
        data = run_dir.read_status()
        state = data.get("state") or "PENDING"
        if state not in ("SUCCEEDED", "FAILED", "CANCELLED") and not self._alive(record, run_dir):
            data = run_dir.read_status()  # it may have finished between the two reads
            state = data.get("state") or "PENDING"
            if state not in ("SUCCEEDED", "FAILED", "CANCELLED"):
                if run_dir.cancel_requested():
                    state, data = "CANCELLED", {**data, "detail": "cancelled by the user"}
                else:
                    resumable = run_dir.last_checkpoint() is not None
                    state = "FAILED"
                    data = {
                        **data,
                        "error": "the worker stopped without finishing (killed, or the machine restarted)",
                        "hint": (
                            f"resume it from its last checkpoint: codetune resume {record.id}"
                            if resumable
                            else f"start it again: codetune train --force (log: {run_dir.log})"
                        ),
                    }
                run_dir.write_status({**data, "state": state, "eta_seconds": None})
        if state in ("PENDING", "RUNNING") and run_dir.cancel_requested():
            state = "CANCELLING"
        extra: dict[str, Any] = {"run_dir": str(run_dir.path)}
        if data.get("hint"):
            extra["failure_hint"] = data["hint"]
        if data.get("role"):
            extra["role"] = data["role"]
        if state == "SUCCEEDED" and data.get("role") != "follower":  # a follower's adapter is on machine 0
            extra["adapter"] = str(run_dir.adapter)
            extra["loss_plot"] = str(run_dir.plot)
        return JobStatus(
            state=cast("JobState", state),
            raw_state=str(data.get("state") or ""),
            detail=data.get("detail"),
            step=data.get("step"),
            total_steps=data.get("total_steps"),
            eta_seconds=data.get("eta_seconds"),
            metrics=dict(data.get("metrics") or {}),
            stats=dict(data.get("stats") or {}),
            error=data.get("error"),
            tuned_model=data.get("tuned_model") if state == "SUCCEEDED" else None,
            extra=extra,
        )

    def cancel(self, record: JobRecord, *, wait_seconds: float = 10.0) -> None:
        """Ask the worker to stop after its current step; waits briefly for it to end."""
        run_dir = self.run_dir(record)
        run_dir.request_cancel()
        pid = run_dir.read_status().get("supervisor_pid") or record.extra.get("pid")
        if pid:
            # already gone: status() reports it CANCELLED from the request file
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid), signal.SIGTERM)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline and self._alive(record, run_dir):
            time.sleep(0.2)

    def resume(self, record: JobRecord) -> None:
        """Restart a job that was killed, from its last checkpoint (step, LR schedule and data position)."""
        run_dir = self.run_dir(record)
        if self._alive(record, run_dir):
            raise JobError(
                f"job {record.id} is still running", hint=f"follow it with: codetune monitor {record.id}"
            )
        state = run_dir.read_status().get("state")
        if state in ("SUCCEEDED", "CANCELLED"):
            raise JobError(f"job {record.id} is {state.lower()}: nothing to resume")
        checkpoint = run_dir.last_checkpoint()
        if checkpoint is None:
            raise JobError(
                f"job {record.id} has no checkpoint to resume from",
                hint="start it again with: codetune train --force",
            )
        recorded = Launch.from_dict(read_json(run_dir.launch)) if run_dir.launch.is_file() else Launch()
        launch = self.launch()
        mismatch = launch_mismatch(record.id, recorded, launch)
        if mismatch:
            raise JobError(
                mismatch,
                hint=(
                    f"resume it as it ran: codetune resume {record.id} --processes {recorded.processes} "
                    f"--nodes {recorded.nodes}; or start a new job with: codetune train --force"
                ),
            )
        self._record_launch(run_dir, record, launch)  # the rendezvous endpoint may be new
        run_dir.cancel_request.unlink(missing_ok=True)
        run_dir.write_status(
            {
                **run_dir.read_status(),
                "state": "PENDING",
                "detail": f"resuming from {checkpoint.name}",
                "error": None,
                "hint": None,
            }
        )
        self._spawn(run_dir, record, resume=True)
        record.state, record.error = "PENDING", None

    # -- talking to models ---------------------------------------------------------------------------------

    def chat_model(
        self, model: str | None, *, record: JobRecord | None = None, base: bool = False
    ) -> ChatModel:
        """The tuned model of a job (its id, run directory or adapter directory), or its base model."""
        from codetune.backends.local.chat import open_chat_model

        adapter = self._adapter_dir(model, record)
        if adapter is None and not base:
            raise ConfigError(
                "no local model named" + (f" '{model}'" if model else ""),
                hint="pass -m with a local job id from `codetune jobs` or its run directory",
            )
        return open_chat_model(self.config, adapter, base=base)

    def _adapter_dir(self, model: str | None, record: JobRecord | None) -> Path | None:
        candidates: list[Path] = []
        if model:
            from codetune.jobs import JobStore

            candidates += [
                Path(model),
                Path(model) / "adapter",
                JobStore(self.config.paths.runs_dir).job_dir(model) / "adapter",
            ]
        if record is not None:
            candidates.append(self.run_dir(record).adapter)
        for candidate in candidates:
            if (candidate / "adapter_config.json").is_file():
                return candidate.resolve()
        return None
