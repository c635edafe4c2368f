"""Starting a tuning job, backend-agnostic: validate the data, fingerprint it, submit once.

The command line shows the estimate and asks for confirmation between :func:`build_request` and
:func:`submit`; nothing here prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from codetune.errors import DataError, InputError
from codetune.io import fingerprint, sha256_file
from codetune.jobs import JobRecord, JobStore

if TYPE_CHECKING:
    from codetune.backends.base import Backend, TuningRequest
    from codetune.config import Config

PREPARE_HINT = "prepare the data first: python scripts/prepare_data.py -s data/raw -o data/processed"

# Config keys that change what a job produces (and so its fingerprint); display-only keys are left out.
_FINGERPRINT_KEYS = {
    "training": ("base_model", "epochs", "learning_rate_multiplier", "adapter_size"),
    "local": (
        "base_model", "max_steps", "batch_size", "max_length", "seed", "learning_rate",
        "lora_alpha", "lora_dropout", "overflow",
    ),
    "gcp": ("project_id", "location", "api_endpoint"),
}


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
    for split, result in results.items():
        if result.errors:
            first = "; ".join(f"line {e.line}: {e.message}" for e in result.errors[:3])
            more = f" (and {len(result.errors) - 3} more)" if len(result.errors) > 3 else ""
            raise DataError(
                f"{result.path} has {len(result.errors)} invalid row(s): {first}{more}",
                hint=f"see all of them with: codetune validate {result.path}; then rerun prepare",
            )
    if results["train"].rows == 0:
        raise DataError(f"training file {train} has no examples", hint=PREPARE_HINT)

    hashes = {split: sha256_file(result.path) for split, result in results.items()}
    snapshot = config.snapshot()
    keyed = {section: {k: snapshot[section][k] for k in keys} for section, keys in _FINGERPRINT_KEYS.items()}
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
    store.job_dir(record.id).mkdir(parents=True, exist_ok=True)
    store.save(record)  # on disk before the provider is called: a crash mid-submit is visible
    try:
        backend.submit(request, record)
    except BaseException as exc:
        record.state = "FAILED"
        record.error = str(exc) or type(exc).__name__
        store.save(record)
        raise
    store.save(record)
    return record
