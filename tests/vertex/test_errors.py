"""Translating Google errors in one place, credentials, and what importing the backend costs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from google.api_core import exceptions as api_exceptions
from google.auth.exceptions import DefaultCredentialsError
from google.genai import errors as genai_errors

from codetune.backends.vertex_errors import Where, translate
from codetune.errors import (
    BackendError,
    CodetuneError,
    ConfigError,
    MissingExtraError,
    TransientBackendError,
)

try:  # google-genai 3.x talks through httpx2, a drop-in fork; older releases through httpx
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]

WHERE = Where("starting the tuning job", project="proj", location="europe-west4", bucket="bkt")


def _genai(code: int, status: str, message: str) -> Exception:
    error_class = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return error_class(code, {"error": {"code": code, "message": message, "status": status}})


@pytest.mark.parametrize(
    ("code", "status", "message", "kind", "hint_part"),
    [
        (400, "INVALID_ARGUMENT", "The adapter size is not supported for this base model.", ConfigError, "training.adapter_size"),
        (400, "INVALID_ARGUMENT", "training_dataset_uri should be a GCS object of type JSONL.", ConfigError, ".jsonl"),
        (401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", BackendError, "application-default login"),
        (403, "PERMISSION_DENIED", "Vertex AI API has not been used in project proj before or it is disabled.", BackendError, "gcloud services enable aiplatform.googleapis.com"),
        (403, "PERMISSION_DENIED", "Permission 'aiplatform.tuningJobs.create' denied.", BackendError, "roles/aiplatform.user on proj"),
        (404, "NOT_FOUND", "TuningJob projects/proj/locations/x/tuningJobs/1 not found.", BackendError, "gcp.location"),
        (429, "RESOURCE_EXHAUSTED", "Quota exceeded.", TransientBackendError, "Quotas"),
        (503, "UNAVAILABLE", "The service is currently unavailable.", TransientBackendError, "rerun"),
    ],
)  # fmt: skip
def test_vertex_errors_become_one_line_with_the_fix(
    code: int, status: str, message: str, kind: type[CodetuneError], hint_part: str
) -> None:
    error = translate(_genai(code, status, message), WHERE)
    assert type(error) is kind
    assert "\n" not in error.message and message.split(".")[0] in error.message
    assert hint_part in (error.hint or "")
    assert error.transient == (code in (429, 503))


def test_storage_errors_name_the_bucket_and_the_fix() -> None:
    missing = translate(api_exceptions.NotFound("The specified bucket does not exist."), WHERE)
    assert missing.message.startswith("Cloud Storage bucket gs://bkt does not exist")
    assert (
        missing.hint
        == "create it: gcloud storage buckets create gs://bkt --location=europe-west4 --project proj"
    )
    denied = translate(api_exceptions.Forbidden("caller does not have storage.objects.create access"), WHERE)
    assert "roles/storage.objectAdmin" in (denied.hint or "")
    assert translate(api_exceptions.ServiceUnavailable("backend error"), WHERE).transient


def test_credentials_and_network_errors() -> None:
    assert isinstance(translate(DefaultCredentialsError("nope"), WHERE), ConfigError)
    dropped = translate(httpx.ConnectError("connection refused"), WHERE)
    assert dropped.transient and "could not reach Google" in dropped.message
    slow = translate(httpx.ReadTimeout("read timed out"), WHERE)
    assert slow.transient and slow.message == "timed out while starting the tuning job"


def test_missing_vertex_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from codetune.backends.vertex_client import genai_client
    from codetune.config import load_config

    monkeypatch.setitem(sys.modules, "google.genai", None)  # as if google-genai were not installed
    (tmp_path / "empty.yaml").write_text("")
    config = load_config(tmp_path / "empty.yaml", overrides={"gcp": {"project_id": "p"}}, environ={})
    with pytest.raises(MissingExtraError) as info:
        genai_client(config)
    assert "'vertex' extra" in info.value.message and "pip install" in (info.value.hint or "")


def test_importing_the_backend_imports_no_google_sdk() -> None:
    code = (
        "import sys, codetune.cli.app, codetune.backends.vertex, codetune.backends.gcs;"
        "print(sorted(m for m in sys.modules if m.startswith(('google.genai', 'google.cloud', 'google.auth'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
