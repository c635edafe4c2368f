"""The ``vertex`` backend: Gemini supervised tuning on Vertex AI through google-genai, data in Cloud Storage.

``submit`` uploads the data (idempotently, :mod:`codetune.backends.gcs`), creates the tuning job and returns
at once; ``status`` reads the job once; polling and the job record live in :mod:`codetune.jobs`. Every
Google error is translated in :mod:`codetune.backends.vertex_errors`; clients and credentials come from
:mod:`codetune.backends.vertex_client` (``gcp.api_endpoint`` / ``STORAGE_EMULATOR_HOST`` switch them to
loopback stand-ins). The service's rules, states, calls and costs: docs/vertex.md.
"""

from __future__ import annotations

import re
import time
import warnings
from typing import TYPE_CHECKING, Any

from codetune.backends.base import Backend, TuningRequest
from codetune.backends.gcs import TRAINING_FOLDER, staging_bucket_name
from codetune.backends.vertex_client import genai_client, http_options, is_loopback, resolve_credentials
from codetune.backends.vertex_errors import Where, one_line, translate
from codetune.backends.vertex_models import (
    ADAPTER_ENUM,
    ADAPTER_SIZES,
    VertexChatModel,
    allowed_adapter_sizes,
    endpoint_name,
    enum_text,
    model_id,
    normalise_state,
)
from codetune.config import BUCKET_PLACEHOLDERS, parse_staging_bucket
from codetune.errors import CodetuneError, JobError
from codetune.job_state import Checkpoint, JobStatus

if TYPE_CHECKING:
    from collections.abc import Callable

    from codetune.backends.gcs import StoredObject
    from codetune.config import Config
    from codetune.jobs import JobRecord

PROJECT_PLACEHOLDERS = {"your-project-id", ""}
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_LABEL_JOB = "codetune-job"
_LABEL_FINGERPRINT = "codetune-fingerprint"
# Data stats that are bulky lists of examples, not numbers worth keeping in a job record.
_BULKY_STATS = {"userDatasetExamples"}


def label_value(text: str) -> str:
    """A Google label value: lowercase letters, digits, ``-`` and ``_``, at most 63 characters.

    >>> label_value("vertex-20250101-120000-AB12")
    'vertex-20250101-120000-ab12'
    """
    return re.sub(r"[^a-z0-9_-]", "-", text.lower())[:63]


def format_tokens(count: int) -> str:
    """``12345`` -> ``12,345``.

    >>> format_tokens(1234567)
    '1,234,567'
    """
    return f"{count:,}"


def format_cost(amount: float | None) -> str:
    """An estimated USD amount as shown before confirming.

    >>> format_cost(12.345), format_cost(0.001), format_cost(None)
    ('~$12.35', '<$0.01', 'unknown')
    """
    if amount is None:
        return "unknown"
    if 0 < amount < 0.01:
        return "<$0.01"
    return f"~${amount:,.2f}"


def _bucket_problems(value: str | None) -> list[str]:
    """The staging bucket's problem, if any, as one line with the fix.

    >>> _bucket_problems("gs://my-bucket/tuning"), _bucket_problems("my-bucket")
    ([], [])
    >>> _bucket_problems("gs://your-bucket")
    ['gcp.staging_bucket is not set: gs://your-bucket is the placeholder (set your bucket, e.g. gs://my-bucket, or CODETUNE_GCP_STAGING_BUCKET)']
    """
    fix = "set your bucket, e.g. gs://my-bucket, or CODETUNE_GCP_STAGING_BUCKET"
    if not (value or "").strip():
        return [f"gcp.staging_bucket is not set ({fix})"]
    try:
        staging = parse_staging_bucket(value or "")
    except ValueError as exc:
        return [f"gcp.staging_bucket {exc}"]
    if staging.bucket in BUCKET_PLACEHOLDERS:
        return [f"gcp.staging_bucket is not set: {value} is the placeholder ({fix})"]
    return []


class VertexBackend(Backend):
    """Gemini tuning on Vertex AI (see the module docstring). A job cannot be resumed: the default ``resume``
    says so."""

    name = "vertex"
    paid = True  # uploads data and bills training tokens
    uploads = True  # the data goes to Cloud Storage first (`codetune upload` does that step alone)

    def __init__(self, config: Config, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._client: Any = None
        self._sleep = sleep

    # -- plumbing -------------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = genai_client(self.config)
        return self._client

    def _where(self, doing: str) -> Where:
        gcp = self.config.gcp
        return Where(doing, gcp.project_id, gcp.location, staging_bucket_name(self.config))

    def _price(self) -> float | None:
        prices = self.config.training.prices_per_million_tokens
        return prices.get(
            self.config.training.base_model, prices.get(model_id(self.config.training.base_model))
        )

    # -- before anything is spent -----------------------------------------------------------------------

    def config_problems(self, request: TuningRequest | None = None) -> list[str]:
        """Everything wrong with the gcp/training settings that needs no network, all at once."""
        gcp, training = self.config.gcp, self.config.training
        problems: list[str] = []
        if (gcp.project_id or "") in PROJECT_PLACEHOLDERS:
            problems.append(
                "gcp.project_id is not set (set your Google Cloud project, or CODETUNE_GCP_PROJECT_ID)"
            )
        problems.extend(_bucket_problems(gcp.staging_bucket))
        if not _REGION.match(gcp.location or ""):
            problems.append(
                f"gcp.location '{gcp.location}' is not a region where tuning runs (use one like us-central1; "
                "not 'global' or a multi-region)"
            )
        sizes = allowed_adapter_sizes(training.base_model)
        if sizes is None:
            problems.append(
                f"training.base_model '{training.base_model}' cannot be tuned by codetune "
                f"(known: {', '.join(ADAPTER_SIZES)})"
            )
        elif training.adapter_size not in sizes:
            problems.append(
                f"training.adapter_size {training.adapter_size} is not supported for {training.base_model} "
                f"(choose one of {', '.join(map(str, sizes))})"
            )
        if self._price() is None:
            problems.append(
                f"no price for {training.base_model} in training.prices_per_million_tokens "
                "(add its USD price per 1M training tokens so the cost can be shown first)"
            )
        if request is not None:
            from codetune.dataset.validate import check_split_sizes

            problems.extend(check_split_sizes(request.train_examples, request.validation_examples))
        return problems

    def check(self, request: TuningRequest) -> list[str]:
        """Config, credentials (API-key-only setups explained) and the bucket, before any upload or job."""
        problems = self.config_problems(request)
        if problems:
            return problems  # the rest needs a valid config
        if not is_loopback(self.config.gcp.api_endpoint):
            try:
                resolve_credentials(self.config)
            except CodetuneError as exc:
                return [f"{exc.message} ({exc.hint})" if exc.hint else exc.message]
        from codetune.backends.gcs import bucket_problem

        problem = bucket_problem(self.config)
        return [problem] if problem else []

    def estimate(self, request: TuningRequest) -> dict[str, Any]:
        """What the user confirms: examples, estimated tokens, cost = tokens x epochs x price."""
        from codetune.dataset.validate import estimate_cost

        training, gcp = self.config.training, self.config.gcp
        price = self._price()
        billable = request.train_tokens * training.epochs
        cost = estimate_cost(request.train_tokens, training.epochs, price)
        estimate: dict[str, Any] = {
            "base model": training.base_model,
            "hyperparameters": (
                f"{training.epochs} epochs, adapter size {training.adapter_size}, "
                f"learning-rate multiplier {training.learning_rate_multiplier}"
            ),
            "project / region": f"{gcp.project_id} / {gcp.location}",
            "upload to": gcp.staging().uri(f"{TRAINING_FOLDER}/"),
            "training examples": format_tokens(request.train_examples),
            "validation examples": format_tokens(request.validation_examples)
            if request.validation_file
            else "none",
            "tokens per epoch (estimate)": f"~{format_tokens(request.train_tokens)} (chars/4 rule; Vertex counts exactly)",
            "billable tokens (estimate)": f"~{format_tokens(billable)} ({training.epochs} epochs)",
            "price": f"${price:.2f} per 1M training tokens" if price is not None else "unknown",
            "cost (estimate)": format_cost(cost),
        }
        for number, warning in enumerate(request.warnings, start=1):
            estimate[f"note {number}"] = warning
        return estimate

    # -- uploads and jobs ----------------------------------------------------------------------------------

    def _store(
        self, request: TuningRequest, progress: Callable[[str, int, int | None], None] | None = None
    ) -> dict[str, StoredObject]:
        from codetune.backends.gcs import upload_files

        files = {"train": (request.train_file, request.data_hashes["train"])}
        if request.validation_file is not None:
            files["validation"] = (request.validation_file, request.data_hashes["validation"])
        return upload_files(self.config, files, progress=progress)

    def upload(
        self, request: TuningRequest, progress: Callable[[str, int, int | None], None] | None = None
    ) -> dict[str, str]:
        """Upload the prepared files (skipping identical objects); returns ``{split: gs:// URI}``."""
        return {split: stored.uri for split, stored in self._store(request, progress).items()}

    def submit(self, request: TuningRequest, record: JobRecord) -> None:
        """Upload if needed, create the tuning job, fill the record; returns without waiting."""
        from google.genai import types

        stored = self._store(request)
        record.data["objects"] = {split: obj.to_json() for split, obj in stored.items()}
        record.data["uris"] = {split: obj.uri for split, obj in stored.items()}
        training = self.config.training
        job_config = types.CreateTuningJobConfig(
            tuned_model_display_name=request.display_name,
            epoch_count=training.epochs,
            learning_rate_multiplier=training.learning_rate_multiplier,
            adapter_size=types.AdapterSize(ADAPTER_ENUM[training.adapter_size]),
            # Sent either way, so the record of what was asked does not depend on the service's default.
            export_last_checkpoint_only=training.export_last_checkpoint_only,
            validation_dataset=(
                types.TuningValidationDataset(gcs_uri=stored["validation"].uri)
                if "validation" in stored
                else None
            ),
            labels={_LABEL_JOB: label_value(record.id), _LABEL_FINGERPRINT: label_value(request.fingerprint)},
            # A 429 means nothing was created: safe for the SDK to retry. A 5xx or timeout may have created
            # the job, so those are handled by _create, which looks for it before trying again.
            http_options=http_options(self.config, status_codes=[429]),
        )
        job = self._create(training.base_model, stored["train"].uri, job_config, record)
        record.remote_name = job.name
        if not is_loopback(self.config.gcp.api_endpoint) and job.name:
            job_id = job.name.rsplit("/", 1)[-1]
            record.extra["console_url"] = (
                "https://console.cloud.google.com/vertex-ai/generative/language/locations/"
                f"{self.config.gcp.location}/tuning/tuningJob/{job_id}?project={self.config.gcp.project_id}"
            )
        record.apply(self._status_of(job))

    def _create(self, base_model: str, train_uri: str, job_config: Any, record: JobRecord) -> Any:
        from google.genai import types

        where = self._where("starting the tuning job")
        attempts = self.config.training.retry.attempts
        for attempt in range(1, attempts + 1):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # "The SDK's tuning implementation is experimental"
                    return self.client.tunings.tune(
                        base_model=base_model,
                        training_dataset=types.TuningDataset(gcs_uri=train_uri),
                        config=job_config,
                    )
            except KeyboardInterrupt:
                # The request may have reached Google: find the job so the record points at it.
                found = self._find_own_job(record)
                if found is not None:
                    record.remote_name = found.name
                raise
            except Exception as exc:  # noqa: BLE001 - translated in one place, cause kept
                error = translate(exc, where)
                if not error.transient or getattr(exc, "code", None) == 429:
                    raise error from exc  # the SDK already retried 429s
                found = self._find_own_job(record)
                if found is not None:
                    return found  # created after all: never start a second job
                if attempt == attempts:
                    raise error from exc
                self._sleep(
                    min(
                        self.config.training.retry.max_delay_seconds,
                        self.config.training.retry.initial_delay_seconds * 2 ** (attempt - 1),
                    )
                )
        raise AssertionError("unreachable")

    def _find_own_job(self, record: JobRecord, *, quiet: bool = True) -> Any:
        """The remote job created for ``record`` (found by its label), or None.

        ``quiet``: errors count as 'not found' (a best effort while another error is being handled).
        """
        from google.genai import types

        wanted = label_value(record.id)
        try:
            jobs = self.client.tunings.list(
                config=types.ListTuningJobsConfig(filter=f'labels.{_LABEL_JOB}="{wanted}"', page_size=50)
            )
            for job in jobs:
                if (job.labels or {}).get(_LABEL_JOB) == wanted:
                    return job
        except Exception as exc:  # noqa: BLE001
            if quiet:
                return None
            raise translate(exc, self._where("looking for the job by its label")) from exc
        return None

    def _status_of(self, job: Any) -> JobStatus:
        raw = enum_text(job.state)
        state = normalise_state(raw)
        detail = enum_text(job.tuning_job_state).removeprefix("TUNING_JOB_STATE_") or None
        error = None
        if job.error is not None and state != "CANCELLED" and (job.error.message or job.error.code):
            error = one_line(job.error.message or f"error code {job.error.code}", limit=2000)
        stats: dict[str, Any] = {}
        data_stats = job.tuning_data_stats.supervised_tuning_data_stats if job.tuning_data_stats else None
        if data_stats is not None:
            dumped = data_stats.model_dump(mode="json", by_alias=True, exclude_none=True)
            stats = {key: value for key, value in dumped.items() if key not in _BULKY_STATS}
            billable = stats.get("totalBillableTokenCount")
            price = self._price()
            if isinstance(billable, int) and price is not None:
                # The service counts one pass; billing is per epoch (docs/vertex.md, Tokens and costs).
                epochs = self.config.training.epochs
                stats["cost_estimate_usd"] = round(billable * epochs * price / 1_000_000, 2)
        tuned = job.tuned_model
        checkpoints: list[Checkpoint] = [
            {
                "checkpoint_id": str(point.checkpoint_id or ""),
                "epoch": point.epoch,
                "step": point.step,
                "endpoint": str(point.endpoint or ""),
            }
            for point in (tuned.checkpoints or [] if tuned is not None else [])
            if point.endpoint
        ]
        extra: dict[str, Any] = {}
        if tuned is not None and tuned.model:
            extra["model_resource"] = tuned.model
        if job.experiment:
            extra["experiment"] = job.experiment
        return JobStatus(
            state=state,
            raw_state=raw,
            detail=detail,
            stats=stats,
            error=error,
            tuned_model=tuned.endpoint if tuned is not None else None,  # what inference (and `test -m`) takes
            endpoint=tuned.endpoint if tuned is not None else None,
            checkpoints=sorted(checkpoints, key=lambda point: (point["step"] or 0, point["checkpoint_id"])),
            extra=extra,
        )

    def status(self, record: JobRecord) -> JobStatus:
        """The job's current state, read once."""
        if not record.remote_name:
            # a submit that died: after Google created the job (adopt it) or before (mark it failed, so a
            # retried `train` starts afresh instead of finding this record forever)
            found = self._find_own_job(record, quiet=False)
            if found is None:
                return JobStatus(
                    state="FAILED", error="the job was never started on Vertex AI (its submit did not finish)"
                )
            record.remote_name = found.name
        try:
            job = self.client.tunings.get(name=record.remote_name)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, self._where(f"reading job {record.remote_name}")) from exc
        return self._status_of(job)

    def cancel(self, record: JobRecord) -> None:
        """Ask Vertex AI to cancel the job (it ends as CANCELLED shortly after)."""
        if not record.remote_name:
            raise JobError(f"job {record.id} has no Vertex AI job to cancel", hint="see `codetune jobs`")
        try:
            self.client.tunings.cancel(name=record.remote_name)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, self._where(f"cancelling job {record.remote_name}")) from exc

    # -- inference ----------------------------------------------------------------------------------------

    def chat_model(
        self, model: str | None, *, record: JobRecord | None = None, base: bool = False
    ) -> VertexChatModel:
        """A tuned model (an endpoint name, or the record's) or, with ``base=True``, a publisher model."""
        gcp = self.config.gcp
        if base:
            name = model or self.config.testing.compare_model
            return VertexChatModel(
                self.client,
                name,
                base_model=name,
                where=self._where(f"asking {name}"),
                concurrency=self.config.testing.eval_concurrency,
            )
        names_of_record = (
            (None, "") if record is None else (None, "", record.id, record.tuned_model, record.remote_name)
        )
        if record is not None and (model in names_of_record or "/models/" in (model or "")):
            # the record's endpoint serves its tuned model (a models/ resource cannot be called directly)
            if not record.endpoint:
                raise JobError(
                    f"job {record.id} has no tuned endpoint yet (state {record.state})",
                    hint=f"wait for it: codetune monitor {record.id}",
                )
            model = record.endpoint
        if not model:
            raise JobError(
                "no model given",
                hint="pass a tuned endpoint (projects/P/locations/L/endpoints/E) or a job id",
            )
        name = endpoint_name(model, gcp.project_id or "", gcp.location)
        if "/endpoints/" in name:  # a tuned model thinks like its base model (Pro cannot turn thinking off)
            trained = (record.config.get("training") or {}) if record is not None else {}
            base_model = str(trained.get("base_model") or self.config.training.base_model)
        else:
            base_model = model_id(name)
        return VertexChatModel(
            self.client,
            name,
            base_model=base_model,
            where=self._where(f"asking {name}"),
            concurrency=self.config.testing.eval_concurrency,
        )
