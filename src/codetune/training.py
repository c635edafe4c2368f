"""Starting a tuning job, backend-agnostic: validate the data, fingerprint it, submit once.

The command line shows the estimate and asks for confirmation between :func:`build_request` and
:func:`submit`; nothing here prints.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import DataError, InputError
from codetune.io import fingerprint, sha256_file
from codetune.jobs import JobRecord, JobStore

if TYPE_CHECKING:
    from codetune.backends.base import Backend, TuningRequest
    from codetune.config import Config

MANIFEST_NAME = "manifest.json"
PREPARE_HINT = "prepare the data first: python scripts/prepare_data.py -s data/raw -o data/processed"

# Config keys that change what a job produces (and so its fingerprint); display-only keys are left out.
_FINGERPRINT_KEYS = {
    "training": ("base_model", "epochs", "learning_rate_multiplier", "adapter_size"),
    "local": (
        "base_model",
        "max_steps",
        "batch_size",
        "max_length",
        "seed",
        "learning_rate",
        "lora_rank",
        "lora_alpha",
        "lora_dropout",
        "overflow",
    ),
    "gcp": ("project_id", "location", "api_endpoint"),
}
# The local layout (the global batch is batch_size x processes x nodes; node_rank: another machine's job),
# keyed only where it differs from one process, so that jobs started before it existed keep their keys.
_LAYOUT_DEFAULTS = {"processes": 1, "nodes": 1, "node_rank": 0}


def keyed_settings(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The part of a config snapshot that makes a job's fingerprint.

    >>> from codetune.config import Config
    >>> one = keyed_settings(Config().snapshot())
    >>> two = keyed_settings(Config.model_validate({"local": {"processes": 2}}).snapshot())
    >>> "layout" in one["local"], two["local"]["layout"]
    (False, {'processes': 2})
    """
    keyed = {section: {k: snapshot[section][k] for k in keys} for section, keys in _FINGERPRINT_KEYS.items()}
    local = snapshot.get("local") or {}
    layout = {
        key: local[key] for key, default in _LAYOUT_DEFAULTS.items() if local.get(key, default) != default
    }
    if layout:
        keyed["local"]["layout"] = layout
    return keyed


def _system_instruction_of(path: Path) -> str | None:
    """The systemInstruction text of the first row (what the model is taught with)."""
    import json

    with open(path, encoding="utf-8") as handle:
        first = handle.readline()
    try:
        row = json.loads(first)
        parts = row["systemInstruction"]["parts"]
        return "".join(part.get("text", "") for part in parts) or None
    except (ValueError, KeyError, TypeError):
        return None


def build_request(
    config: Config, *, train_file: str | Path | None = None, validation_file: str | Path | None = None
) -> TuningRequest:
    """Check the prepared files exist and pass the validator; hash and count them."""
    from codetune.backends.base import TuningRequest
    from codetune.dataset.validate import validate_file

    train = Path(train_file or config.training.train_file)
    validation_arg = validation_file or config.training.validation_file
    validation = Path(validation_arg) if validation_arg else None
    if not train.is_file():
        raise InputError(f"training file not found: {train}", hint=PREPARE_HINT)
    if validation is not None and not validation.is_file():
        validation = None  # optional for both backends; the estimate says there is none

    results = {"train": validate_file(train, "vertex", split="train")}
    if validation is not None:
        results["validation"] = validate_file(validation, "vertex", split="validation")
    for result in results.values():
        if result.errors:
            count = max(len(result.errors), getattr(result, "error_count", 0))
            first = "; ".join(str(e) for e in result.errors[:3])
            more = f" (and {count - 3} more)" if count > 3 else ""
            raise DataError(
                f"{result.path} has {count} problem(s): {first}{more}",
                hint=f"see all of them with: codetune validate {result.path}; then rerun prepare",
            )
    if results["train"].rows == 0:
        raise DataError(f"training file {train} has no examples", hint=PREPARE_HINT)

    hashes = {split: sha256_file(result.path) for split, result in results.items()}
    keyed = keyed_settings(config.snapshot())
    return TuningRequest(
        train_file=train,
        validation_file=validation,
        display_name=config.training.display_name,
        system_instruction=_system_instruction_of(train),
        fingerprint=fingerprint({"backend": config.training.backend, "data": hashes, "config": keyed}),
        data_hashes=hashes,
        train_examples=results["train"].rows,
        validation_examples=results["validation"].rows if "validation" in results else 0,
        train_tokens=sum(results["train"].tokens),
        validation_tokens=sum(results["validation"].tokens) if "validation" in results else 0,
        warnings=[f"{result.path.name}: {w}" for result in results.values() for w in result.warnings],
    )


def submit(backend: Backend, request: TuningRequest, config: Config, store: JobStore) -> JobRecord:
    """Create the job record, start the job (returns at once) and save the record."""
    record = JobRecord(
        id=store.new_id(backend.name),
        backend=backend.name,
        fingerprint=request.fingerprint,
        display_name=request.display_name,
        data={
            "train_file": str(request.train_file),
            "validation_file": str(request.validation_file) if request.validation_file else None,
            "sha256": dict(request.data_hashes),
            "train_examples": request.train_examples,
            "validation_examples": request.validation_examples,
        },
        system_instruction=request.system_instruction,
        config=config.snapshot(),
    )
    manifest = request.train_file.parent / MANIFEST_NAME
    if manifest.is_file():  # where `Row: N` in a failure message is traced back to its source
        record.data["manifest"] = {"path": str(manifest), "sha256": sha256_file(manifest)}
    store.job_dir(record.id).mkdir(parents=True, exist_ok=True)
    store.save(record)  # on disk before the provider is called: a crash mid-submit is visible
    try:
        backend.submit(request, record)
    except KeyboardInterrupt:
        if record.remote_name:  # the provider has the job: keep the record resumable, not failed
            store.save(record)
            raise
        record.state = "FAILED"
        record.error = "interrupted before the job was started"
        store.save(record)
        raise
    except BaseException as exc:
        record.state = "FAILED"
        record.error = str(exc) or type(exc).__name__
        store.save(record)
        raise
    store.save(record)
    return record


_VALIDATION_DATASET = re.compile(r"validation[ _]?dataset", re.IGNORECASE)
_ROW = re.compile(r"\brow[:\s#]*(\d+)", re.IGNORECASE)


def failed_row(message: str | None) -> int | None:
    """The 0-based row a provider's error message names (Vertex says ``Row: N``), or None.

    >>> failed_row("Invalid dataset. Row: 12, Error: Missing required `contents` field")
    12
    >>> failed_row("quota exceeded") is None
    True
    """
    match = _ROW.search(message or "")
    return int(match.group(1)) if match else None


def explain_failure(record: JobRecord) -> str | None:
    """For a failure that names a row: which example, unit and source file that row came from.

    Uses the prepare manifest (``manifest.json`` beside the data: ``train``/``validation`` -> one entry per
    line, in order). The row is taken to be in the training file unless the message names validation.
    """
    import json

    row = failed_row(record.error)
    if row is None:
        return None
    split = "validation" if _VALIDATION_DATASET.search(record.error or "") else "train"
    data_file = record.data.get(f"{split}_file") or ""
    where = f"row {row} is line {row + 1} of {data_file or split}"
    known = record.data.get("manifest") or {}
    manifest = Path(known.get("path") or Path(record.data.get("train_file") or ".").parent / MANIFEST_NAME)
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).get(split) or []
    except (OSError, ValueError, AttributeError):
        return f"{where} (no readable {manifest} to trace it to its source)"
    if not 0 <= row < len(entries) or not isinstance(entries[row], dict):
        return f"{where} ({manifest} has no entry for it)"
    entry = entries[row]
    changed = ""
    if known.get("sha256") and manifest.is_file() and sha256_file(manifest) != known["sha256"]:
        changed = "; note: the manifest changed since the job started"
    return (
        f"{where}: example {entry.get('example_id', '?')} ({entry.get('strategy', '?')}) from "
        f"{entry.get('source_file', '?')}, unit {entry.get('unit_id', '?')}{changed}"
    )
