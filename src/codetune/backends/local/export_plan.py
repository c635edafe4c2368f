"""What an export will do, worked out and checked before any heavy work.

The job (a local one: a Vertex job's weights stay in Google Cloud, and the error says how to call its
endpoint), the output directory (an existing one only with ``--force``), the base model the adapter was
trained on, the architecture (GGUF: :data:`.gguf_writer.SUPPORTED_ARCHITECTURES`), the precision, and the
disk space the files will take.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.backends.local import gguf_writer, models
from codetune.backends.local.rundir import ADAPTER_INFO, RunDir
from codetune.errors import ConfigError, InputError, JobError

if TYPE_CHECKING:
    from codetune.config import Config
    from codetune.jobs import JobRecord

FORMATS = ("merged", "gguf", "ollama")
DTYPES = ("float32", "bfloat16", "float16")
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
EXPORTS_DIR = "exports"

Progress = Callable[[str, int, int | None], None]  # (stage, done, total or None)


def vertex_has_no_weights(record: JobRecord) -> JobError:
    endpoint = record.endpoint
    if not endpoint:
        return JobError(
            f"job {record.id} was tuned on Vertex AI: its weights stay in Google Cloud (nothing to export), "
            "and it has no endpoint yet",
            hint=f"follow it with: codetune monitor {record.id}",
        )
    return JobError(
        f"job {record.id} was tuned on Vertex AI: its weights stay in Google Cloud, nothing to export; "
        f"it is served at {endpoint}",
        hint=f'call it with: codetune test -m {endpoint} -p "..."  (or generate_content(model="{endpoint}") '
        "in google-genai)",
    )


def _local_job(config: Config, ref: str | None) -> tuple[JobRecord, RunDir]:
    from codetune.jobs import JobStore

    store = JobStore(config.paths.runs_dir)
    record = store.find(ref)
    if record.backend == "vertex":
        raise vertex_has_no_weights(record)
    if record.backend != "local":
        raise JobError(f"job {record.id} ran on the {record.backend} backend; export takes local jobs")
    run_dir = RunDir(Path(record.extra.get("run_dir") or store.job_dir(record.id)))
    if not (run_dir.adapter / "adapter_config.json").is_file():
        raise JobError(
            f"job {record.id} has no adapter yet ({run_dir.adapter}; state {record.state})",
            hint=f"wait for it to finish: codetune monitor {record.id}",
        )
    return record, run_dir


def _base_path(config: Config, info: dict[str, Any], progress: Progress) -> tuple[str, str]:
    """(spec, directory) of the base model the adapter was trained on (its ``codetune-adapter.json``)."""
    spec = info.get("base_model") or config.local.base_model
    if info.get("base_path") and Path(info["base_path"]).is_dir():
        return spec, str(info["base_path"])
    cache = models.default_cache_dir(config.local.cache_dir)
    return spec, models.resolve(spec, cache_dir=cache, on_stage=lambda text: progress(text, 0, None)).path


def _parameter_count(directory: Path) -> int:
    """Weights in a safetensors model directory, read from the headers (nothing is loaded)."""
    from safetensors import safe_open

    total = 0
    for path in sorted(directory.glob("*.safetensors")):
        with safe_open(str(path), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 - safe_open has keys(), not iteration
                shape = handle.get_slice(key).get_shape()
                count = 1
                for size in shape:
                    count *= size
                total += count
    return total


def _check_space(target: Path, needed: int) -> None:
    probe = target
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < needed:
        raise InputError(
            f"not enough disk space for the export: it needs about {needed / 2**30:.2f} GB, "
            f"{free / 2**30:.2f} GB are free on {probe}",
            hint="free some space, or write it elsewhere with -o DIR",
        )


@dataclass(frozen=True)
class ExportPlan:
    record: JobRecord
    adapter: Path
    request: dict[str, Any]
    system: str | None  # the training system instruction
    target: Path
    base_spec: str
    base_path: str
    format: str
    precision: str  # merged: a torch dtype name; gguf/ollama: the quantization
    gguf_name: str
    end_of_turn: str  # the token that ends an answer
    vocab_size: int  # rows of the embedding matrix (tokenizers may use fewer)


def plan_export(
    config: Config,
    ref: str | None,
    *,
    format: str,
    output: Path | None,
    dtype: str | None,
    quant: str,
    force: bool,
    check: int,
    progress: Progress,
) -> ExportPlan:
    """Everything checked before any heavy work: options, job, target, architecture, disk space."""
    from transformers import AutoConfig

    if format not in FORMATS:
        raise ConfigError(f"unknown export format '{format}'", hint=f"choose one of: {', '.join(FORMATS)}")
    if dtype is not None and dtype not in DTYPES:
        raise ConfigError(f"unknown --dtype '{dtype}'", hint=f"choose one of: {', '.join(DTYPES)}")
    if quant not in gguf_writer.QUANTS:
        raise ConfigError(
            f"unknown --quant '{quant}'", hint=f"choose one of: {', '.join(gguf_writer.QUANTS)}"
        )
    if check < 0:
        raise ConfigError(f"--check must be 0 or more (got {check})")
    record, run_dir = _local_job(config, ref)
    target = (output or Path(EXPORTS_DIR) / record.id / format).resolve()
    if target.exists() and not force:
        raise InputError(f"{target} already exists", hint="add --force to replace it, or choose -o DIR")
    request = run_dir.read_request()
    info = json.loads((run_dir.adapter / ADAPTER_INFO).read_text(encoding="utf-8"))
    spec, base_path = _base_path(config, info, progress)
    base_config = AutoConfig.from_pretrained(base_path)
    if format != "merged":
        gguf_writer.check_supported(base_config)
    base_dtype = str(getattr(base_config, "dtype", None) or "float32").removeprefix("torch.")
    precision = quant if format != "merged" else dtype or (base_dtype if base_dtype in DTYPES else "float32")
    parameters = _parameter_count(Path(base_path))
    if format == "merged":
        needed = parameters * DTYPE_BYTES[precision] + 16 * 2**20  # + tokenizer
    else:
        needed = gguf_writer.estimated_bytes(parameters, quant)
    _check_space(target.parent, needed + needed // 10)
    return ExportPlan(
        record=record,
        adapter=run_dir.adapter,
        request=request,
        system=request.get("system_instruction") or record.system_instruction,
        target=target,
        base_spec=spec,
        base_path=base_path,
        format=format,
        precision=precision,
        gguf_name=f"{record.id}-{quant}.gguf",
        end_of_turn=info.get("end_of_turn") or "",
        vocab_size=int(base_config.vocab_size),
    )
