"""Connections to Vertex AI (google-genai) and Cloud Storage, with the right credentials.

Two switches send traffic elsewhere, for tests and proxies: ``gcp.api_endpoint`` (or
``CODETUNE_GCP_API_ENDPOINT``) is the base URL of every Vertex AI call, and ``STORAGE_EMULATOR_HOST`` (read
by google-cloud-storage itself) sends Cloud Storage calls to an emulator. A loopback ``api_endpoint`` gets a
static token credential, so no Google account is needed; anything else uses a service-account key
(``gcp.credentials_file``) or Application Default Credentials.

The SDKs are imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from codetune.backends.vertex_errors import ADC_HINT, Where, translate
from codetune.errors import ConfigError, require

if TYPE_CHECKING:
    from codetune.config import Config

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
API_VERSION = "v1"
API_KEY_VARIABLES = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
LOOPBACK_TOKEN = "codetune-loopback"  # sent to a loopback stand-in only; it is no secret


def is_loopback(url: str | None) -> bool:
    """True when ``url`` points at this machine (a stand-in server), where no Google credentials apply.

    >>> is_loopback("http://127.0.0.1:8123"), is_loopback("http://localhost:1"), is_loopback("https://x.googleapis.com")
    (True, True, False)
    >>> is_loopback(None)
    False
    """
    if not url:
        return False
    host = (urlparse(url if "//" in url else f"http://{url}").hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def api_key_only_message() -> str | None:
    """A problem line when only a Gemini API key is configured; None otherwise.

    Checked after Application Default Credentials were not found: an API key reaches the Gemini Developer
    API, which cannot tune from Cloud Storage, so the user must be told that tuning needs Vertex credentials.
    """
    present = [name for name in API_KEY_VARIABLES if os.environ.get(name)]
    if not present:
        return None
    return (
        f"{' and '.join(present)} is set, but Gemini tuning on Vertex AI needs Google Cloud credentials, "
        "not an API key (an API key reaches the Gemini Developer API, which cannot tune from Cloud Storage): "
        + ADC_HINT
    )


def resolve_credentials(config: Config, *, for_vertex: bool = True) -> Any:
    """Credentials for Google: a static token for a loopback Vertex endpoint, else a key file, else ADC.

    Raises :class:`ConfigError` with the fix when none are found (explaining API-key-only setups).
    """
    if for_vertex and is_loopback(config.gcp.api_endpoint):
        credentials_module = require("google.oauth2.credentials", "vertex")
        return credentials_module.Credentials(token=LOOPBACK_TOKEN)
    if config.gcp.credentials_file:
        service_account = require("google.oauth2.service_account", "vertex")
        path = os.path.expanduser(config.gcp.credentials_file)
        if not os.path.isfile(path):
            raise ConfigError(
                f"gcp.credentials_file not found: {config.gcp.credentials_file}",
                hint="point it at a service-account JSON key, or remove it to use Application Default Credentials",
            )
        try:
            return service_account.Credentials.from_service_account_file(path, scopes=SCOPES)
        except (ValueError, KeyError) as exc:
            raise ConfigError(
                f"gcp.credentials_file is not a service-account key: {config.gcp.credentials_file}",
                hint="download a JSON key for a service account (IAM > Service accounts > Keys)",
            ) from exc
    google_auth = require("google.auth", "vertex")
    exceptions = require("google.auth.exceptions", "vertex")
    try:
        credentials, _ = google_auth.default(scopes=SCOPES)
    except exceptions.DefaultCredentialsError as exc:
        api_key_problem = api_key_only_message()
        if api_key_problem:
            raise ConfigError(api_key_problem, hint=ADC_HINT) from exc
        raise ConfigError("no Google Cloud credentials found for Vertex AI", hint=ADC_HINT) from exc
    return credentials


def retry_options(config: Config, *, status_codes: list[int] | None = None) -> Any:
    """google-genai retry settings from ``training.retry`` (the SDK retries nothing by default)."""
    types = require("google.genai.types", "vertex")
    retry = config.training.retry
    return types.HttpRetryOptions(
        attempts=retry.attempts,
        initial_delay=retry.initial_delay_seconds,
        max_delay=retry.max_delay_seconds,
        # Jitter no larger than the first delay, so short test delays stay short.
        jitter=min(1.0, retry.initial_delay_seconds),
        http_status_codes=status_codes,
    )


def http_options(config: Config, *, status_codes: list[int] | None = None) -> Any:
    """HttpOptions for every Vertex call: base URL override, API version, timeout and retries."""
    types = require("google.genai.types", "vertex")
    options: dict[str, Any] = {
        "api_version": API_VERSION,
        "timeout": int(config.training.retry.timeout_seconds * 1000),  # milliseconds
        "retry_options": retry_options(config, status_codes=status_codes),
    }
    if config.gcp.api_endpoint:
        options["base_url"] = with_scheme(config.gcp.api_endpoint).rstrip("/") + "/"
    return types.HttpOptions(**options)


def with_scheme(url: str) -> str:
    """``host:port`` -> a URL: plain HTTP on loopback (stand-ins, emulators), HTTPS elsewhere.

    >>> with_scheme("127.0.0.1:8080"), with_scheme("proxy.example.com"), with_scheme("http://10.0.0.1:1")
    ('http://127.0.0.1:8080', 'https://proxy.example.com', 'http://10.0.0.1:1')
    """
    if "://" in url:
        return url
    return ("http://" if is_loopback(url) else "https://") + url


def genai_client(config: Config) -> Any:
    """A google-genai client in Vertex AI mode for ``gcp.project_id`` / ``gcp.location``."""
    genai = require("google.genai", "vertex")
    if not config.gcp.project_id:
        raise ConfigError(
            "gcp.project_id is not set", hint="set it in config/config.yaml or CODETUNE_GCP_PROJECT_ID"
        )
    credentials = resolve_credentials(config)
    try:
        return genai.Client(
            vertexai=True,
            project=config.gcp.project_id,
            location=config.gcp.location,
            credentials=credentials,
            http_options=http_options(config),
        )
    except ValueError as exc:  # the SDK's own argument checks
        raise ConfigError(f"cannot set up the Vertex AI client: {exc}", hint="check the gcp section") from exc


def storage_client(config: Config) -> Any:
    """A google-cloud-storage client (``STORAGE_EMULATOR_HOST`` makes it talk to an emulator, anonymously)."""
    storage = require("google.cloud.storage", "vertex")
    credentials = None
    client_options = None
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if not emulator:
        credentials = resolve_credentials(config, for_vertex=False)
    elif "://" not in emulator:  # google-cloud-storage expects a scheme in this "host" variable
        client_options = {"api_endpoint": with_scheme(emulator)}
    try:
        return storage.Client(
            project=config.gcp.project_id, credentials=credentials, client_options=client_options
        )
    except Exception as exc:  # noqa: BLE001 - google-auth and api_core raise several kinds here
        raise translate(exc, Where("connecting to Cloud Storage", config.gcp.project_id)) from exc
