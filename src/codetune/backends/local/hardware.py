"""Which device, precision and thread count a local job uses, chosen from the hardware it finds.

The traps this avoids: TRL turns bf16 on by default, which a CPU only emulates (about 15x slower than
fp32 there); PyTorch may start more threads than the CPU quota of a container allows, and oversubscribed
threads spin against each other. So: CUDA with bf16 where the card supports it (fp16 mixed precision on
older cards), fp32 everywhere else, one thread per CPU this process may actually use, and OpenMP
threads that stop spinning soon when they wait (see :data:`RUNTIME_ENVIRONMENT`).
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from codetune.errors import ConfigError

DevicePreference = Literal["auto", "cpu", "cuda", "mps"]
Precision = Literal["bf16", "fp16", "fp32"]


@dataclass(frozen=True)
class Hardware:
    device: str  # "cpu", "cuda" or "mps"
    name: str  # shown to the user: "NVIDIA H100 80GB HBM3", "CPU (2 threads)"
    precision: Precision  # what the trainer runs in (bf16/fp16: mixed precision with fp32 adapters)
    load_dtype: str  # torch dtype name the base model's weights are loaded in
    threads: int | None  # CPU threads for torch; None leaves torch's default

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cpu_budget(affinity: int, cpu_max: str | None) -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup v2 ``cpu.max`` quota.

    >>> cpu_budget(8, "200000 100000"), cpu_budget(8, "max 100000"), cpu_budget(2, None), cpu_budget(4, "50000 100000")
    (2, 8, 2, 1)
    """
    budget = max(1, affinity)
    if cpu_max:
        quota, _, period = cpu_max.strip().partition(" ")
        if quota.isdigit() and period.strip().isdigit() and int(period) > 0:
            budget = min(budget, max(1, math.ceil(int(quota) / int(period))))
    return budget


def choose_precision(device: str, bf16_supported: bool) -> Precision:
    """bf16 only where the hardware does it natively; a CPU only emulates it, so fp32 there.

    >>> choose_precision("cuda", True), choose_precision("cuda", False), choose_precision("cpu", True)
    ('bf16', 'fp16', 'fp32')
    >>> choose_precision("mps", True)
    'fp32'
    """
    if device == "cuda":
        return "bf16" if bf16_supported else "fp16"
    return "fp32"


def _cgroup_cpu_max() -> str | None:
    try:
        return Path("/sys/fs/cgroup/cpu.max").read_text(encoding="utf-8")
    except OSError:
        return None


def _affinity() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS has no sched_getaffinity
        return os.cpu_count() or 1


def visible_gpus(preference: DevicePreference = "auto") -> int:
    """CUDA devices a job with ``local.device`` would train on (0 for cpu or mps). Imports torch."""
    if preference not in ("auto", "cuda"):
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def detect(preference: DevicePreference = "auto", *, local_rank: int = 0, processes: int = 1) -> Hardware:
    """The hardware for ``local.device`` (``auto``: CUDA, then Apple MPS, then the CPU), for the process of
    ``local_rank`` among ``processes`` on this machine: its own GPU, or its share of the CPU threads."""
    import torch

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if preference == "cuda" and not cuda:
        raise ConfigError(
            "local.device is cuda but no CUDA device is visible to PyTorch",
            hint="set local.device: auto (or cpu); check `nvidia-smi` and that torch is a CUDA build",
        )
    if preference == "mps" and not mps:
        raise ConfigError("local.device is mps but Apple MPS is not available", hint="set local.device: auto")
    if cuda and preference in ("auto", "cuda"):
        precision = choose_precision("cuda", torch.cuda.is_bf16_supported())
        return Hardware(
            device="cuda",
            name=torch.cuda.get_device_name(local_rank),
            precision=precision,
            # bf16 weights halve memory and are what the card computes in; fp16 cards keep fp32 master weights
            load_dtype="bfloat16" if precision == "bf16" else "float32",
            threads=None,
        )
    if mps and preference in ("auto", "mps"):
        return Hardware(device="mps", name="Apple MPS", precision="fp32", load_dtype="float32", threads=None)
    threads = max(1, cpu_budget(_affinity(), _cgroup_cpu_max()) // max(1, processes))
    return Hardware(
        device="cpu",
        name=f"CPU ({threads} thread{'' if threads == 1 else 's'})",
        precision="fp32",
        load_dtype="float32",
        threads=threads,
    )


# Environment for a process that will run torch on the CPU, set before torch is imported (OpenMP reads
# it once). GNU OpenMP threads spin up to 300,000 times while they wait at the end of each parallel
# region before sleeping. When other processes want the same cores (a shared or busy machine), a
# spinning thread burns the time slice its descheduled partner needs, and each of the thousands of
# regions in a step waits for the scheduler. Measured here (SmolLM2, 4 x 200 tokens, forward+backward,
# 2 threads): idle 3.5 s by default, 3.5 s with 1,000 spins, 4.1 s sleeping at once (PASSIVE); with two
# busy processes beside it 58 s by default, 7.7 s with 1,000 spins, 6.8-9 s PASSIVE. 1,000 spins keep
# the idle speed and avoid the collapse.
RUNTIME_ENVIRONMENT = {"GOMP_SPINCOUNT": "1000", "TOKENIZERS_PARALLELISM": "false"}


def runtime_environment(base: dict[str, str]) -> dict[str, str]:
    """``base`` with the CPU runtime settings added (a value the user set wins).

    >>> runtime_environment({"GOMP_SPINCOUNT": "50000"})["GOMP_SPINCOUNT"]
    '50000'
    >>> runtime_environment({})["GOMP_SPINCOUNT"]
    '1000'
    """
    return {**RUNTIME_ENVIRONMENT, **base}


def prepare_this_process() -> None:
    """Apply :data:`RUNTIME_ENVIRONMENT` here, if torch is not imported yet (else it is too late, and harmless)."""
    import sys

    if "torch" not in sys.modules:
        for key, value in RUNTIME_ENVIRONMENT.items():
            os.environ.setdefault(key, value)


def apply_threads(hardware: Hardware) -> None:
    """Pin torch's intra-op threads to the CPU budget (never more threads than CPUs we may use). Also set as
    ``OMP_NUM_THREADS``, which accelerate reads in a job of several processes: unset, it picks its own."""
    if hardware.threads is None:
        return
    import torch

    os.environ["OMP_NUM_THREADS"] = str(hardware.threads)
    torch.set_num_threads(hardware.threads)
