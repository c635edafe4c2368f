"""Every Google error the vertex backend can meet, translated in one place into one line and a fix.

google-genai raises ``google.genai.errors.APIError`` (``ClientError`` 4xx / ``ServerError`` 5xx) with
``code``, ``status`` and ``message``; google-cloud-storage raises ``google.api_core.exceptions``; google-auth
raises ``DefaultCredentialsError`` / ``RefreshError``; the HTTP layers raise httpx or requests errors.
:func:`translate` turns any of them into a :class:`~codetune.errors.CodetuneError` whose ``__cause__`` is the
original, marking the ones worth retrying (429, 408, 5xx, timeouts, dropped connections) as transient.
The SDKs are only inspected by class name and attributes here, so importing this module imports none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codetune.errors import BackendError, CodetuneError, ConfigError, TransientBackendError

ADC_HINT = (
    "run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS / "
    "gcp.credentials_file to a service-account key); see docs/vertex.md"
)
TRANSIENT_CODES = frozenset({408, 429, 500, 502, 503, 504})
_MAX_MESSAGE = 400


@dataclass(frozen=True)
class Where:
    """What was being done, for messages and hints (no secrets: names only)."""

    doing: str  # "starting the tuning job", "uploading train.jsonl", ...
    project: str | None = None
    location: str | None = None
    bucket: str | None = None


def one_line(text: str | None, limit: int = _MAX_MESSAGE) -> str:
    """A service message squeezed onto one line and cut to ``limit`` characters.

    >>> one_line("List of found errors:\\t1.Field: x;\\n  Message: bad.\\t")
    'List of found errors: 1.Field: x; Message: bad.'
    >>> len(one_line("x" * 1000, limit=20))
    20
    """
    flat = re.sub(r"\s+", " ", text or "").strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _is_genai_error(exc: BaseException) -> bool:
    """google-genai's APIError family (google.api_core has a ClientError too: tell them apart by module)."""
    return any(
        cls.__name__ == "APIError" and not cls.__module__.startswith("google.api_core")
        for cls in type(exc).__mro__
    )


def _enable_api_hint(where: Where) -> str:
    project = f" --project {where.project}" if where.project else ""
    return f"enable the API: gcloud services enable aiplatform.googleapis.com storage.googleapis.com{project}"


def _bucket_create_hint(where: Where) -> str:
    bucket = where.bucket or "<staging_bucket>"
    location = where.location or "us-central1"
    project = f" --project {where.project}" if where.project else ""
    return f"create it: gcloud storage buckets create gs://{bucket} --location={location}{project}"


def _api_error(code: int, status: str, message: str, where: Where) -> CodetuneError:
    """A Vertex AI REST error (code, status, message) -> one line and the fix."""
    text = f"Vertex AI refused {where.doing}: {code} {status}: {message}".replace(": :", ":")
    lower = message.lower()
    if code in TRANSIENT_CODES:
        if code == 429:
            return TransientBackendError(
                f"Vertex AI quota exhausted while {where.doing} (429 {status}): {message}",
                hint="wait and retry; tuning usually allows one running job per project (see `codetune jobs`), "
                "or ask for more quota in the console under IAM & Admin > Quotas",
            )
        return TransientBackendError(
            f"Vertex AI did not answer while {where.doing} ({code} {status}): {message}",
            hint="a temporary problem on Google's side: rerun the same command later (nothing is started twice)",
        )
    if "adapter size" in lower:
        return ConfigError(
            text, hint="set training.adapter_size to one the base model allows (see docs/vertex.md)"
        )
    if "gcs object of type jsonl" in lower or "gcs_uri parameter is only supported" in lower:
        return ConfigError(
            text, hint="the dataset must be a .jsonl object in Cloud Storage, tuned through Vertex AI"
        )
    if "thinking" in lower and ("disabled" in lower or "budget" in lower):
        return ConfigError(
            text, hint="set testing.thinking_budget to at least 128 for Pro models, or leave it unset"
        )
    if code == 401 or status == "UNAUTHENTICATED":
        return BackendError(f"Google rejected the credentials while {where.doing}: {message}", hint=ADC_HINT)
    if code == 403 or status == "PERMISSION_DENIED":
        if "has not been used" in lower or "is disabled" in lower or "service_disabled" in lower:
            return BackendError(text, hint=_enable_api_hint(where))
        if "billing" in lower:
            return BackendError(text, hint="enable billing for the project in the Google Cloud console")
        project = where.project or "<project>"
        return BackendError(
            text,
            hint=f"grant your account roles/aiplatform.user on {project} (and roles/storage.objectAdmin on the "
            "bucket); the Vertex AI service agent needs read access to the bucket too (docs/vertex.md)",
        )
    if code == 404 or status == "NOT_FOUND":
        if "endpoint" in lower or "model" in lower:
            hint = (
                "use the tuned model's full endpoint name (projects/P/locations/L/endpoints/E, shown by "
                "`codetune jobs`) in the job's region, or a base model name such as gemini-2.5-flash"
            )
        else:
            hint = "check gcp.project_id and gcp.location: a job is only visible in the project and region it ran in"
        return BackendError(text, hint=hint)
    if code == 409 or status in ("ALREADY_EXISTS", "ABORTED"):
        return BackendError(text, hint="another request changed the same resource; rerun the command")
    if status == "FAILED_PRECONDITION":
        return BackendError(
            text, hint="the job or model is not in a state that allows this yet; check `codetune jobs`"
        )
    return BackendError(text, hint="fix what the message names in config/config.yaml or the data, then rerun")


def _storage_error(exc: BaseException, names: set[str], where: Where) -> CodetuneError:
    """A google-cloud-storage (google.api_core) error -> one line and the fix."""
    code = getattr(exc, "code", None)
    message = one_line(getattr(exc, "message", None) or str(exc))
    bucket = f"gs://{where.bucket}" if where.bucket else "the staging bucket"
    if "NotFound" in names:
        return BackendError(
            f"Cloud Storage bucket {bucket} does not exist (while {where.doing})",
            hint=_bucket_create_hint(where),
        )
    if "Forbidden" in names or "Unauthorized" in names:
        return BackendError(
            f"Cloud Storage refused {where.doing} on {bucket}: {message}",
            hint="grant your account roles/storage.objectAdmin on the bucket, or check gcp.staging_bucket; "
            + ADC_HINT,
        )
    if isinstance(code, int) and code in TRANSIENT_CODES:
        return TransientBackendError(
            f"Cloud Storage did not answer while {where.doing} ({code}): {message}",
            hint="a temporary problem; rerun the same command (finished uploads are not sent again)",
        )
    return BackendError(
        f"Cloud Storage failed while {where.doing}: {message}", hint="check gcp.staging_bucket"
    )


def interrupted(exc: BaseException) -> bool:
    """True when ``exc`` is a Ctrl-C that a library wrapped into its own error.

    pydantic builds the SDK's response models lazily, on the first response; a Ctrl-C arriving then comes
    out as a ``SchemaError`` whose message ends in ``KeyboardInterrupt``.

    >>> class SchemaError(Exception): ...
    >>> interrupted(SchemaError('Error building "enum" validator: KeyboardInterrupt: ')), interrupted(ValueError("x"))
    (True, False)
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt):
            return True
        if type(current).__name__ == "SchemaError" and "KeyboardInterrupt" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def translate(exc: BaseException, where: Where) -> CodetuneError:
    """Any error from the Google SDKs or their HTTP layers -> a :class:`CodetuneError` (set ``from exc``).

    >>> class APIError(Exception):
    ...     code, status, message = 503, "UNAVAILABLE", "try later"
    >>> class ServerError(APIError): ...
    >>> error = translate(ServerError(), Where("polling the job"))
    >>> error.transient, error.message
    (True, 'Vertex AI did not answer while polling the job (503 UNAVAILABLE): try later')
    """
    if isinstance(exc, CodetuneError):
        return exc
    if interrupted(exc):
        raise KeyboardInterrupt from exc  # Ctrl-C, not a failure: the caller says how to resume
    names = _class_names(exc)
    if _is_genai_error(exc):
        code = int(getattr(exc, "code", 0) or 0)
        status = str(getattr(exc, "status", "") or "")
        return _api_error(code, status, one_line(getattr(exc, "message", None) or str(exc)), where)
    if "GoogleAPICallError" in names:
        return _storage_error(exc, names, where)
    if "DefaultCredentialsError" in names:
        return ConfigError(f"no Google Cloud credentials found for {where.doing}", hint=ADC_HINT)
    if "RefreshError" in names:
        return BackendError(
            f"Google credentials could not be refreshed while {where.doing}: {one_line(str(exc))}",
            hint=ADC_HINT,
        )
    if names & {"TimeoutException", "Timeout", "ReadTimeout", "ConnectTimeout", "TimeoutError"}:
        return TransientBackendError(
            f"timed out while {where.doing}", hint="the network or Google is slow: rerun the same command"
        )
    if names & {"TransportError", "ConnectError", "ConnectionError", "NetworkError", "RemoteProtocolError"}:
        return TransientBackendError(
            f"could not reach Google while {where.doing}: {one_line(str(exc), 200)}",
            hint="check the network (and gcp.api_endpoint / STORAGE_EMULATOR_HOST if set), then rerun",
        )
    return BackendError(f"{where.doing} failed: {type(exc).__name__}: {one_line(str(exc))}")
