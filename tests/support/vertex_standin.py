"""A stand-in for the Vertex AI REST API on loopback, written from Google's documented contract.

It serves what codetune calls through the real google-genai SDK (``http_options.base_url`` points at it):

- tuning jobs: create ``POST /v1/projects/P/locations/L/tuningJobs``, get, list (``pageSize``, ``pageToken``,
  ``filter=labels.KEY="VALUE"``), cancel ``POST .../tuningJobs/ID:cancel``;
- inference: ``POST .../endpoints/E:generateContent`` (tuned models) and
  ``.../publishers/google/models/M:generateContent`` (base models), ``...:countTokens``.

A job that succeeds exports intermediate checkpoints as the service does unless it was created with
``exportLastCheckpointOnly: true``: about one per epoch below 10 epochs, otherwise 10 spread over the run,
each deployed to an endpoint of its own that answers generateContent; ``tunedModel.checkpoints`` lists
``{checkpointId, epoch, step, endpoint}`` and ``tunedModel.endpoint`` is the default checkpoint's (the last
one unless ``default_checkpoint`` names another index). With ``exportLastCheckpointOnly`` only the last is
listed.

As the real service does, enums are strings (``"JOB_STATE_RUNNING"``), int64 counters are JSON strings
(``"tuningStepCount": "30"``), errors use Google's envelope ``{"error": {"code", "message", "status"}}``, a
cancelled job ends ``JOB_STATE_CANCELLED`` with ``error.code = 1``, an adapter size the base model does not
allow is ``400 The adapter size is not supported for this base model.``, a non-JSONL dataset is refused, and
Pro models refuse a thinking budget of 0.

Scripting: each GET of a job moves it one step along ``progression`` (deterministic, no clocks) and then to
``outcome``; ``fail_with`` makes jobs fail with a message (e.g. naming ``Row: 1``); ``faults`` injects errors
(one 429, a 503, ...) for matching requests (by path, and optionally by a text in the body: one prompt);
``replies`` sets generateContent answers per model (a string or a callable); ``generate_seconds`` makes each
answer take that long, and ``max_in_flight`` counts how many were asked at once. Every request is recorded in
``requests``. When ``storage_url`` names a fake-gcs-server, created jobs read their dataset from it: a
missing object fails the job, and the data stats are computed from it.

    with running_standin() as vertex:           # or the ``vertex_standin`` fixture
        config.gcp.api_endpoint = vertex.url
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# From the Vertex AI tuning docs (docs/vertex.md, the adapter sizes table): what each base model accepts.
ALLOWED_ADAPTERS: dict[str, set[str]] = {
    "gemini-2.5-flash": {"ADAPTER_SIZE_ONE", "ADAPTER_SIZE_TWO", "ADAPTER_SIZE_FOUR", "ADAPTER_SIZE_EIGHT", "ADAPTER_SIZE_SIXTEEN"},
    "gemini-2.5-flash-lite": {"ADAPTER_SIZE_ONE", "ADAPTER_SIZE_TWO", "ADAPTER_SIZE_FOUR", "ADAPTER_SIZE_EIGHT", "ADAPTER_SIZE_SIXTEEN"},
    "gemini-2.5-pro": {"ADAPTER_SIZE_ONE", "ADAPTER_SIZE_TWO", "ADAPTER_SIZE_FOUR", "ADAPTER_SIZE_EIGHT"},
    "gemini-2.0-flash-001": {"ADAPTER_SIZE_ONE", "ADAPTER_SIZE_TWO", "ADAPTER_SIZE_FOUR", "ADAPTER_SIZE_EIGHT"},
    "gemini-2.0-flash-lite-001": {"ADAPTER_SIZE_ONE", "ADAPTER_SIZE_TWO", "ADAPTER_SIZE_FOUR", "ADAPTER_SIZE_EIGHT"},
}  # fmt: skip
DEFAULT_PROGRESSION: tuple[tuple[str, str], ...] = (
    ("JOB_STATE_RUNNING", "TUNING_JOB_STATE_PROCESSING_DATASET"),
    ("JOB_STATE_RUNNING", "TUNING_JOB_STATE_TUNING"),
    ("JOB_STATE_RUNNING", "TUNING_JOB_STATE_POST_PROCESSING"),
)
_ROUTE = re.compile(r"^/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/(.+)$")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def estimate_tokens(text: str) -> int:
    """The stand-in's own token count (chars/4, rounded up): deterministic, not codetune's estimator."""
    return math.ceil(len(text) / 4)


class ApiError(Exception):
    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS_NAMES.get(code, "UNKNOWN")

    def envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


@dataclass
class Fault:
    """Answer the next ``times`` requests whose method and path match with this error."""

    path: str  # regular expression searched in the URL path, e.g. r"/tuningJobs$" or r":generateContent$"
    code: int = 429
    message: str = "Quota exceeded for aiplatform.googleapis.com/tuning_jobs. Please try again later."
    method: str = "*"
    times: int = 1
    status: str | None = None
    after: bool = False  # True: do the work, then answer with the error (a response lost on the way back)
    body_contains: str | None = None  # only requests whose JSON body holds this text (e.g. one prompt)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Job:
    resource: dict[str, Any]
    base_model: str
    epochs: int
    step: int = 0
    export_last_checkpoint_only: bool = False
    cancel_requested: bool = False
    dataset_problem: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


Reply = str | Callable[[str, dict[str, Any]], str]


class VertexStandIn:
    """The server's state and behaviour; see the module docstring. Attributes may be changed between calls."""

    def __init__(self, *, storage_url: str | None = None) -> None:
        self.url = ""
        self.storage_url = storage_url
        self.progression: list[tuple[str, str]] = list(DEFAULT_PROGRESSION)
        self.outcome = "JOB_STATE_SUCCEEDED"
        self.failure_message = "Internal error occurred. Please retry later."
        self.faults: list[Fault] = []
        self.replies: dict[str, Reply] = {}
        self.default_reply: Reply = lambda model, body: (
            f"[{model.rsplit('/', 1)[-1]}] {_last_user_text(body)[:200]}"
        )
        self.require_auth = True
        # generateContent takes this long (outside the lock, as a model's time): shows concurrent callers
        self.generate_seconds = 0.0
        self.in_flight = 0  # generateContent requests being answered now, and the most at once
        self.max_in_flight = 0
        self.requests: list[RecordedRequest] = []
        self.jobs: dict[str, Job] = {}
        self.endpoints: dict[str, str] = {}  # endpoint resource name -> base model of its job
        self.default_checkpoint = -1  # which exported checkpoint tunedModel.endpoint serves (index)
        self._lock = threading.Lock()
        self._counter = 0

    # -- scripting helpers ---------------------------------------------------------------------------

    def fail_with(self, message: str) -> None:
        """Jobs created from now on end ``JOB_STATE_FAILED`` with ``message`` (e.g. naming ``Row: 1``)."""
        self.outcome = "JOB_STATE_FAILED"
        self.failure_message = message

    def inject(
        self,
        path: str,
        code: int = 429,
        *,
        method: str = "*",
        times: int = 1,
        message: str | None = None,
        after: bool = False,
        body_contains: str | None = None,
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``code`` (after doing the work when ``after``);
        ``body_contains`` limits it to requests whose body holds that text (a given prompt)."""
        fault = Fault(
            path=path, code=code, method=method, times=times, after=after, body_contains=body_contains
        )
        if message is not None:
            fault.message = message
        elif code >= 500:
            fault.message = "The service is currently unavailable."
        self.faults.append(fault)
        return fault

    def calls(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        """Recorded requests with this method whose path matches the regular expression."""
        return [r for r in self.requests if r.method == method and re.search(path_pattern, r.path)]

    # -- request handling ----------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        parsed = urllib.parse.urlsplit(raw_path)
        path, query = parsed.path, urllib.parse.parse_qs(parsed.query)
        if self.generate_seconds and path.endswith(":generateContent"):
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            time.sleep(self.generate_seconds)
            with self._lock:
                self.in_flight -= 1
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, headers, body))
            try:
                self._apply_faults(method, path, body, after=False)
                if self.require_auth and not headers.get("authorization", "").startswith("Bearer "):
                    raise ApiError(401, "Request is missing required authentication credential.")
                result = self._route(method, path, query, body)
                self._apply_faults(method, path, body, after=True)
                return 200, result
            except ApiError as error:
                return error.code, error.envelope()

    def _apply_faults(self, method: str, path: str, body: Any, *, after: bool) -> None:
        for fault in self.faults:
            if (
                fault.after == after
                and fault.times > 0
                and fault.method in ("*", method)
                and re.search(fault.path, path)
                and (fault.body_contains is None or fault.body_contains in json.dumps(body))
            ):
                fault.times -= 1
                raise ApiError(fault.code, fault.message, fault.status)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        match = _ROUTE.match(path)
        if match is None:
            raise ApiError(404, f"The requested URL {path} was not found on this server.")
        _, project, location, rest = match.groups()
        parent = f"projects/{project}/locations/{location}"
        if rest == "tuningJobs" and method == "POST":
            return self._create(parent, body)
        if rest == "tuningJobs" and method == "GET":
            return self._list(parent, query)
        job_match = re.fullmatch(r"tuningJobs/([^/:]+)(:cancel)?", rest)
        if job_match:
            name = f"{parent}/tuningJobs/{job_match.group(1)}"
            if job_match.group(2) and method == "POST":
                return self._cancel(name)
            if method == "GET":
                return self._get(name)
        model_match = re.fullmatch(
            r"(endpoints/[^/:]+|publishers/google/models/[^/:]+):(generateContent|countTokens)", rest
        )
        if model_match and method == "POST":
            target = f"{parent}/{model_match.group(1)}"
            if model_match.group(2) == "countTokens":
                return {"totalTokens": sum(estimate_tokens(t) for t in _texts(body))}
            return self._generate(target, body)
        raise ApiError(404, f"Method not found: {method} {path}")

    # -- tuning jobs ---------------------------------------------------------------------------------

    def _create(self, parent: str, body: dict[str, Any]) -> dict[str, Any]:
        base_model = str(body.get("baseModel") or "")
        spec = body.get("supervisedTuningSpec") or {}
        hyper = spec.get("hyperParameters") or {}
        if base_model not in ALLOWED_ADAPTERS:
            raise ApiError(400, f"Base model {base_model} is not supported for tuning.")
        problems = []
        for key in ("trainingDatasetUri", "validationDatasetUri"):
            uri = spec.get(key)
            if key == "trainingDatasetUri" and not uri:
                problems.append(
                    "Field: tuning_job.supervised_tuning_spec.training_dataset_uri; Message: Required field is not set."
                )
            elif uri is not None and not (str(uri).startswith("gs://") and str(uri).endswith(".jsonl")):
                snake = re.sub(r"([A-Z])", r"_\1", key).lower()
                problems.append(
                    f"Field: tuning_job.supervised_tuning_spec.{snake}; Message: {snake} should be a GCS object of type JSONL."
                )
        if problems:
            listed = "".join(f"\t{n}.{p}" for n, p in enumerate(problems, start=1))
            raise ApiError(400, f"List of found errors:{listed}\t")
        adapter = hyper.get("adapterSize")
        if adapter is not None and not isinstance(adapter, str):
            raise ApiError(
                400,
                f"Invalid value at 'tuning_job.supervised_tuning_spec.hyper_parameters.adapter_size' (type.googleapis.com/google.cloud.aiplatform.v1.SupervisedHyperParameters.AdapterSize), {adapter}",
            )
        if adapter is not None and adapter not in ALLOWED_ADAPTERS[base_model]:
            raise ApiError(400, "The adapter size is not supported for this base model.")
        display_name = body.get("tunedModelDisplayName") or ""
        if len(display_name) > 128:
            raise ApiError(400, "tuned_model_display_name must be at most 128 characters.")
        self._counter += 1
        job_id = str(4_000_000_000_000_000_000 + self._counter)
        name = f"{parent}/tuningJobs/{job_id}"
        resource = {
            "name": name,
            "tunedModelDisplayName": display_name,
            "baseModel": base_model,
            "supervisedTuningSpec": spec,
            "state": "JOB_STATE_PENDING",
            "createTime": _now(),
            "updateTime": _now(),
            "labels": body.get("labels") or {},
        }
        epochs = int(hyper.get("epochCount") or 3)
        job = Job(
            resource=resource,
            base_model=base_model,
            epochs=epochs,
            export_last_checkpoint_only=bool(spec.get("exportLastCheckpointOnly")),
        )
        self._read_dataset(job, spec["trainingDatasetUri"])
        self.jobs[name] = job
        return resource

    def _read_dataset(self, job: Job, uri: str) -> None:
        """With an emulator configured: the dataset must exist; its rows give the data stats."""
        rows: list[str] = []
        if self.storage_url:
            bucket, _, name = uri[len("gs://") :].partition("/")
            quoted = urllib.parse.quote(name, safe="")
            try:
                with urllib.request.urlopen(
                    f"{self.storage_url}/storage/v1/b/{bucket}/o/{quoted}?alt=media", timeout=10
                ) as response:
                    rows = [line for line in response.read().decode("utf-8").splitlines() if line.strip()]
            except urllib.error.HTTPError as exc:
                if exc.code != 404:
                    raise
                job.dataset_problem = (
                    f"Dataset {uri} does not exist or is not readable by the Vertex AI service agent."
                )
                return
        tokens = sum(estimate_tokens(text) for line in rows for text in _texts(json.loads(line)))
        examples = len(rows) or 1
        job.stats = {
            # int64 fields travel as JSON strings, as in the real API
            "tuningDatasetExampleCount": str(examples),
            "totalTuningCharacterCount": str(tokens * 4),
            "totalBillableCharacterCount": str(tokens * 4),
            "totalBillableTokenCount": str(tokens),
            "tuningStepCount": str(max(1, math.ceil(examples * job.epochs / 8))),
            "totalTruncatedExampleCount": "0",
            "userInputTokenDistribution": {"sum": str(tokens // 2), "min": 1, "max": 100, "mean": 10.5},
        }

    def _advance(self, job: Job) -> None:
        resource = job.resource
        if resource["state"] in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"):
            return
        resource["updateTime"] = _now()
        if job.cancel_requested:
            resource["state"] = "JOB_STATE_CANCELLED"
            resource["error"] = {"code": 1, "message": "CANCELED"}
            resource["endTime"] = _now()
            resource.pop("tuningJobState", None)
            return
        job.step += 1
        resource.setdefault("startTime", _now())
        if job.dataset_problem:
            self._end_failed(job, job.dataset_problem)
            return
        if job.step <= len(self.progression):
            state, detail = self.progression[job.step - 1]
            resource["state"], resource["tuningJobState"] = state, detail
            if detail in ("TUNING_JOB_STATE_TUNING", "TUNING_JOB_STATE_POST_PROCESSING"):
                resource["tuningDataStats"] = {"supervisedTuningDataStats": job.stats}
            return
        if self.outcome == "JOB_STATE_FAILED":
            self._end_failed(job, self.failure_message)
            return
        number = int(resource["name"].rsplit("/", 1)[-1][-6:])
        parent = resource["name"].split("/tuningJobs/")[0]
        checkpoints = self._checkpoints(job, parent, number)
        default = checkpoints[self.default_checkpoint]
        resource["state"] = "JOB_STATE_SUCCEEDED"
        resource.pop("tuningJobState", None)
        resource["endTime"] = _now()
        resource["tuningDataStats"] = {"supervisedTuningDataStats": job.stats}
        resource["tunedModel"] = {
            "model": f"{parent}/models/{8_000_000 + number}@1",
            "endpoint": default["endpoint"],
            "checkpoints": checkpoints,
        }
        resource["experiment"] = f"{parent}/metadataStores/default/contexts/tuning-experiment-{number}"
        for checkpoint in checkpoints:
            self.endpoints[checkpoint["endpoint"]] = job.base_model

    def _checkpoints(self, job: Job, parent: str, number: int) -> list[dict[str, str]]:
        """One checkpoint per epoch below 10 epochs, else 10 evenly spread; only the last when asked so."""
        steps = int(job.stats.get("tuningStepCount") or job.epochs)
        count = job.epochs if job.epochs < 10 else 10
        points = []
        for index in range(1, count + 1):
            points.append(
                {  # int64 fields as JSON strings
                    "checkpointId": str(index),
                    "epoch": str(math.ceil(index * job.epochs / count)),
                    "step": str(max(1, round(index * steps / count))),
                    "endpoint": f"{parent}/endpoints/{7_000_000 + number * 100 + index}",
                }
            )
        return points[-1:] if job.export_last_checkpoint_only else points

    def _end_failed(self, job: Job, message: str) -> None:
        job.resource.update(
            state="JOB_STATE_FAILED", endTime=_now(), error={"code": 3, "message": message, "details": []}
        )
        job.resource.pop("tuningJobState", None)

    def _job(self, name: str) -> Job:
        job = self.jobs.get(name)
        if job is None:
            raise ApiError(404, f"TuningJob {name} not found.")
        return job

    def _get(self, name: str) -> dict[str, Any]:
        job = self._job(name)
        self._advance(job)
        return job.resource

    def _cancel(self, name: str) -> dict[str, Any]:
        job = self._job(name)
        if job.resource["state"] in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"):
            raise ApiError(
                400,
                f"Cannot cancel tuning job {name} in state {job.resource['state']}.",
                "FAILED_PRECONDITION",
            )
        job.cancel_requested = True
        job.resource["state"] = "JOB_STATE_CANCELLING"
        return {}

    def _list(self, parent: str, query: dict[str, list[str]]) -> dict[str, Any]:
        jobs = [j.resource for name, j in self.jobs.items() if name.startswith(parent + "/")]
        wanted = re.fullmatch(r'labels\.([\w-]+)\s*=\s*"?([^"]*)"?', (query.get("filter") or [""])[0].strip())
        if wanted:
            jobs = [j for j in jobs if j.get("labels", {}).get(wanted.group(1)) == wanted.group(2)]
        jobs = list(reversed(jobs))  # newest first
        size = int((query.get("pageSize") or ["100"])[0]) or 100
        start = int((query.get("pageToken") or ["0"])[0] or 0)
        page: dict[str, Any] = {"tuningJobs": jobs[start : start + size]}
        if start + size < len(jobs):
            page["nextPageToken"] = str(start + size)
        return page

    # -- inference -----------------------------------------------------------------------------------

    def _generate(self, target: str, body: dict[str, Any]) -> dict[str, Any]:
        if "/endpoints/" in target:
            if target not in self.endpoints:
                raise ApiError(404, f"Endpoint {target} not found.")
            base_model = self.endpoints[target]
        else:
            base_model = target.rsplit("/", 1)[-1]
        contents = body.get("contents") or []
        roles = [c.get("role") for c in contents]
        if not contents or roles[0] != "user" or roles[-1] != "user":
            raise ApiError(
                400,
                "Please ensure that multiturn requests alternate between user and model and end with a user turn.",
            )
        if any(a == b for a, b in zip(roles, roles[1:], strict=False)) or set(roles) - {"user", "model"}:
            raise ApiError(400, "Please ensure that multiturn requests alternate between user and model.")
        # proto JSON accepts camelCase and snake_case field names alike (google-genai sends some as snake_case)
        generation = proto_field(body, "generationConfig") or {}
        budget = proto_field(proto_field(generation, "thinkingConfig") or {}, "thinkingBudget")
        if budget == 0 and "pro" in base_model:
            raise ApiError(400, "Unable to submit request because thinking can't be disabled for this model.")
        reply = self.replies.get(target, self.replies.get(target.rsplit("/", 1)[-1], self.default_reply))
        text = reply(target, body) if callable(reply) else reply
        prompt_tokens = sum(estimate_tokens(t) for t in _texts(body))
        output_tokens = estimate_tokens(text)
        return {
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": output_tokens,
                "totalTokenCount": prompt_tokens + output_tokens,
            },
            "modelVersion": base_model,
        }


def proto_field(message: dict[str, Any], camel: str) -> Any:
    """A field of a JSON proto message under its camelCase or snake_case name."""
    if camel in message:
        return message[camel]
    return message.get(re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel))


def _texts(body: Any) -> list[str]:
    """Every ``text`` string inside a request or dataset row."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_texts(value))
    elif isinstance(body, list):
        for item in body:
            found.extend(_texts(item))
    return found


def _last_user_text(body: dict[str, Any]) -> str:
    for content in reversed(body.get("contents") or []):
        if content.get("role") == "user":
            return "".join(_texts(content))
    return ""


def _handler(standin: VertexStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                code, payload = 400, ApiError(400, "Invalid JSON payload received.").envelope()
            else:
                headers = {k.lower(): v for k, v in self.headers.items()}
                code, payload = standin.handle(method, self.path, headers, body)
            data = json.dumps(payload).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def do_DELETE(self) -> None:  # noqa: N802
            self._serve("DELETE")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
            return

    return Handler


@contextlib.contextmanager
def running_standin(*, storage_url: str | None = None) -> Iterator[VertexStandIn]:
    """Serve a fresh :class:`VertexStandIn` on a free loopback port for the duration of the block."""
    standin = VertexStandIn(storage_url=storage_url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="vertex-standin", daemon=True
    )
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def vertex_standin() -> Iterator[VertexStandIn]:
    """A fresh stand-in per test (no storage checks; see ``running_standin(storage_url=...)``)."""
    with running_standin() as standin:
        yield standin
