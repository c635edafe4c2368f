"""Idempotent dataset uploads to Cloud Storage.

A file goes to ``gs://<bucket>/training/<split>.jsonl`` (the seed's place), or under the folder that
``gcp.staging_bucket`` names (``gs://bucket/team/tuning`` -> ``team/tuning/training/<split>.jsonl``). An
object whose MD5 matches the local file is not sent again. An object is never overwritten: when
``training/train.jsonl`` already holds other data (the file changed since), the file goes to
``training/train-<sha256 prefix>.jsonl`` instead, and the job record names the object it used, so a job
always points at exactly the data it was started with.
Uploads are conditional (``ifGenerationMatch=0``), so two racing uploads cannot overwrite each other.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.backends.vertex_client import storage_client
from codetune.backends.vertex_errors import Where, translate
from codetune.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Callable

    from codetune.config import Config

TRAINING_FOLDER = "training"
CONTENT_TYPE = "application/jsonl"


@dataclass(frozen=True)
class StoredObject:
    split: str
    uri: str
    md5: str  # base64, as Cloud Storage reports it
    size: int
    generation: int | None
    uploaded: bool  # False: an identical object was already there

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def md5_base64(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """The MD5 of a file in Cloud Storage's spelling (base64 of the digest)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode("ascii")


def candidate_names(split: str, sha256: str, prefix: str = "") -> list[str]:
    """Object names to try for a split, in order: the seed's name, then a content-addressed one; under the
    staging folder ``prefix`` when there is one.

    >>> candidate_names("train", "ab12cd34ef56" + "0" * 52)
    ['training/train.jsonl', 'training/train-ab12cd34ef56.jsonl']
    >>> candidate_names("validation", "ab12cd34ef56" + "0" * 52, "team/tuning")[0]
    'team/tuning/training/validation.jsonl'
    """
    folder = f"{prefix}/{TRAINING_FOLDER}" if prefix else TRAINING_FOLDER
    return [f"{folder}/{split}.jsonl", f"{folder}/{split}-{sha256[:12]}.jsonl"]


def staging_bucket_name(config: Config) -> str | None:
    """The bucket of ``gcp.staging_bucket`` for messages (the value as written when it cannot be parsed).

    >>> from codetune.config import Config
    >>> staging_bucket_name(Config.model_validate({"gcp": {"staging_bucket": "gs://b-1/x"}}))
    'b-1'
    """
    from codetune.config import parse_staging_bucket

    try:
        return parse_staging_bucket(config.gcp.staging_bucket or "").bucket
    except ValueError:
        return config.gcp.staging_bucket


def _where(config: Config, doing: str) -> Where:
    return Where(doing, config.gcp.project_id, config.gcp.location, staging_bucket_name(config))


def bucket_problem(config: Config) -> str | None:
    """A problem line when the staging bucket does not exist; None when it does or cannot be checked."""
    client = storage_client(config)
    try:
        client.get_bucket(config.gcp.staging().bucket, timeout=config.training.retry.timeout_seconds)
    except Exception as exc:  # noqa: BLE001 - classified below
        error = translate(exc, _where(config, "checking the staging bucket"))
        if type(exc).__name__ == "NotFound":
            return f"{error.message} ({error.hint})"
        # 403: the account may write objects without reading bucket metadata; the upload will tell.
        if type(exc).__name__ in ("Forbidden", "Unauthorized"):
            return None
        raise error from exc
    return None


def _same_content(blob: Any, md5: str, size: int) -> bool:
    if blob.md5_hash:
        return bool(blob.md5_hash == md5)
    return False  # composite objects carry no MD5: never assume they match


def upload_split(
    bucket: Any, split: str, path: Path, sha256: str, *, timeout: float, prefix: str = ""
) -> StoredObject:
    """Put one file in the bucket (under the folder ``prefix``) unless an identical object is already there
    (see the module docstring)."""
    md5 = md5_base64(path)
    size = path.stat().st_size
    for name in candidate_names(split, sha256, prefix):
        blob = bucket.get_blob(name, timeout=timeout)
        if blob is not None:
            if _same_content(blob, md5, size):
                return StoredObject(split, f"gs://{bucket.name}/{name}", md5, size, blob.generation, False)
            continue  # other data under this name: never overwrite, try the next name
        blob = bucket.blob(name)
        try:
            blob.upload_from_filename(
                str(path), content_type=CONTENT_TYPE, if_generation_match=0, checksum="md5", timeout=timeout
            )
        except Exception as exc:  # noqa: BLE001
            if type(exc).__name__ != "PreconditionFailed":
                raise
            blob = bucket.get_blob(name, timeout=timeout)  # someone uploaded it meanwhile: compare again
            if blob is not None and _same_content(blob, md5, size):
                return StoredObject(split, f"gs://{bucket.name}/{name}", md5, size, blob.generation, False)
            continue
        return StoredObject(split, f"gs://{bucket.name}/{name}", md5, size, blob.generation, True)
    folder = candidate_names(split, sha256, prefix)[0].rsplit("/", 1)[0]
    raise BackendError(
        f"gs://{bucket.name}/{folder}/ holds different data under every name tried for {path.name}",
        hint=f"remove the stale objects under {folder}/, or use another bucket or folder",
    )


def upload_files(
    config: Config,
    files: dict[str, tuple[Path, str]],
    *,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, StoredObject]:
    """Upload ``{split: (path, sha256)}`` to the staging bucket; returns what each split now points at."""
    staging = config.gcp.staging()
    client = storage_client(config)
    bucket = client.bucket(staging.bucket)
    timeout = config.training.retry.timeout_seconds
    stored: dict[str, StoredObject] = {}
    for done, (split, (path, sha256)) in enumerate(files.items()):
        if progress is not None:
            progress("uploading to Cloud Storage", done, len(files))
        try:
            stored[split] = upload_split(
                bucket, split, Path(path), sha256, timeout=timeout, prefix=staging.prefix
            )
        except BackendError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated in one place, cause kept
            raise translate(exc, _where(config, f"uploading {Path(path).name}")) from exc
    if progress is not None:
        progress("uploading to Cloud Storage", len(files), len(files))
    return stored
