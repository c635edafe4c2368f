"""The vertex backend through the real google-genai and google-cloud-storage SDKs, against loopback servers."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from codetune import orchestration, training
from codetune.backends import get_backend
from codetune.backends.base import GenerationOptions
from codetune.backends.vertex import VertexBackend
from codetune.errors import BackendError, ConfigError, JobError
from codetune.jobs import JobRecord, JobStore, wait
from codetune.records import Message
from support.vertex_standin import proto_field
from support.vertex_workspace import ROWS, Workspace, write_data


def thinking_budget(body: dict) -> int | None:
    generation = proto_field(body, "generationConfig") or {}
    return proto_field(proto_field(generation, "thinkingConfig") or {}, "thinkingBudget")


def _start(workspace: Workspace, **sections: dict) -> tuple[VertexBackend, JobRecord, JobStore]:
    config = workspace.config(**sections)
    backend = get_backend("vertex", config)
    assert isinstance(backend, VertexBackend)  # the registry resolves the name to this backend
    request = training.build_request(config)
    assert backend.check(request) == []
    store = JobStore(config.paths.runs_dir)
    return backend, training.submit(backend, request, config, store), store


def test_success_uploads_starts_and_monitors_to_the_endpoint(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "key-that-must-not-travel")
    backend, record, store = _start(workspace)
    seen: list[str] = []
    final = wait(
        backend, record, store, poll_interval=0.01, on_status=lambda s: seen.append(s.detail or s.state)
    )

    assert final.state == "SUCCEEDED"
    assert seen == ["PROCESSING_DATASET", "TUNING", "POST_PROCESSING", "SUCCEEDED"]
    assert record.endpoint and record.endpoint.startswith(
        "projects/test-project/locations/us-central1/endpoints/"
    )
    assert record.tuned_model == record.endpoint
    assert record.extra["model_resource"].startswith("projects/test-project/locations/us-central1/models/")
    # int64 counters arrive as JSON strings; the record keeps numbers, under the service's own names
    assert record.stats["tuningDatasetExampleCount"] == 3
    assert (
        isinstance(record.stats["totalBillableTokenCount"], int)
        and record.stats["totalBillableTokenCount"] > 0
    )
    assert [h["state"] for h in record.history][0] == "PENDING" and record.history[-1]["state"] == "SUCCEEDED"

    # the request Vertex got: string enums, the seed's hyperparameters, the uploaded objects, our labels
    (create,) = workspace.vertex.calls("POST", r"/v1/projects/test-project/locations/us-central1/tuningJobs$")
    spec = create.body["supervisedTuningSpec"]
    assert create.body["baseModel"] == "gemini-2.5-flash"
    assert spec["hyperParameters"] == {
        "epochCount": 3,
        "learningRateMultiplier": 1.0,
        "adapterSize": "ADAPTER_SIZE_FOUR",
    }
    assert spec["trainingDatasetUri"] == f"gs://{workspace.bucket}/training/train.jsonl"
    assert spec["validationDatasetUri"] == f"gs://{workspace.bucket}/training/validation.jsonl"
    assert create.body["labels"]["codetune-job"] == record.id
    assert create.headers["authorization"] == "Bearer codetune-loopback"
    assert all(
        "x-goog-api-key" not in r.headers for r in workspace.vertex.requests
    )  # Vertex credentials only
    assert workspace.gcs.read(workspace.bucket, "training/train.jsonl") == workspace.train_file.read_bytes()

    saved = store.load(record.id)
    assert (saved.state, saved.endpoint, saved.remote_name) == (
        "SUCCEEDED",
        record.endpoint,
        record.remote_name,
    )
    assert saved.data["uris"]["train"] == spec["trainingDatasetUri"]
    assert saved.data["manifest"]["path"].endswith("manifest.json")


def test_upload_is_idempotent_and_never_overwrites(workspace: Workspace) -> None:
    config = workspace.config()
    backend = VertexBackend(config)
    first = backend._store(training.build_request(config))
    again = backend._store(training.build_request(config))
    assert first["train"].uploaded and not again["train"].uploaded
    assert again["train"].generation == first["train"].generation

    original = workspace.train_file.read_bytes()
    workspace.train_file.write_text(workspace.train_file.read_text() + json.dumps(ROWS[0]) + "\n")
    changed_request = training.build_request(config)
    changed = backend._store(changed_request)["train"]
    sha = changed_request.data_hashes["train"]
    assert changed.uploaded and changed.uri == f"gs://{workspace.bucket}/training/train-{sha[:12]}.jsonl"
    assert workspace.gcs.read(workspace.bucket, "training/train.jsonl") == original  # old job's data intact
    assert not backend._store(changed_request)["train"].uploaded
    assert set(workspace.gcs.objects(workspace.bucket)) == {
        "training/train.jsonl",
        "training/validation.jsonl",
        f"training/train-{sha[:12]}.jsonl",
    }


def test_failed_job_reports_the_message_and_the_source_of_the_row(workspace: Workspace) -> None:
    workspace.vertex.fail_with("Dataset validation failed: Row: 1, Error: Missing required `contents` field.")
    backend, record, store = _start(workspace)
    final = wait(backend, record, store, poll_interval=0.01)

    assert final.state == "FAILED" and record.state == "FAILED"
    assert "Row: 1" in (record.error or "")
    source = training.explain_failure(record)
    assert source is not None
    assert (
        "line 2 of" in source
        and "src/main/java/com/acme/Bag1.java" in source
        and "com.acme.Bag#size1()" in source
    )


def test_cancel_ends_the_job_cancelled(workspace: Workspace) -> None:
    workspace.vertex.progression *= 50  # long enough to cancel mid-way
    backend, record, store = _start(workspace)
    backend.cancel(record)
    final = wait(backend, record, store, poll_interval=0.01)

    assert final.state == "CANCELLED" and final.error is None  # the service's error.code 1 is not a failure
    assert len(workspace.vertex.calls("POST", r"/tuningJobs/\d+:cancel$")) == 1
    with pytest.raises(BackendError, match="FAILED_PRECONDITION"):
        backend.cancel(record)  # cancelling an ended job: one clear line, no traceback


def test_one_429_on_create_is_retried_and_one_job_starts(workspace: Workspace) -> None:
    workspace.vertex.inject(r"/tuningJobs$", 429, method="POST")
    backend, record, store = _start(workspace)

    assert len(workspace.vertex.calls("POST", r"/tuningJobs$")) == 2
    assert list(workspace.vertex.jobs) == [record.remote_name]
    assert wait(backend, record, store, poll_interval=0.01).state == "SUCCEEDED"


def test_a_lost_create_response_never_starts_a_second_job(workspace: Workspace) -> None:
    # The service creates the job, then the answer is lost (503): the job must be found, not created again.
    workspace.vertex.inject(r"/tuningJobs$", 503, method="POST", after=True)
    workspace.vertex.inject(r"/tuningJobs/\d+$", 503, method="GET", times=2)  # and polling hiccups twice
    backend, record, store = _start(workspace)

    assert list(workspace.vertex.jobs) == [record.remote_name]
    assert len(workspace.vertex.calls("POST", r"/tuningJobs$")) == 1
    assert wait(backend, record, store, poll_interval=0.01).state == "SUCCEEDED"


def test_unsupported_adapter_size_is_refused_before_and_by_the_service(workspace: Workspace) -> None:
    config = workspace.config(training={"base_model": "gemini-2.5-pro", "adapter_size": 16})
    backend = VertexBackend(config)
    request = training.build_request(config)
    problems = backend.check(request)
    assert any(
        "adapter_size 16 is not supported for gemini-2.5-pro" in p and "1, 2, 4, 8" in p for p in problems
    )
    assert workspace.gcs.objects(workspace.bucket) == {}  # nothing was uploaded

    record = JobRecord(
        id="vertex-direct", backend="vertex", fingerprint=request.fingerprint, display_name="x"
    )
    with pytest.raises(ConfigError) as info:  # had the check been skipped, the service's 400 is translated
        backend.submit(request, record)
    assert "adapter size is not supported" in info.value.message
    assert "training.adapter_size" in (info.value.hint or "")


def test_missing_bucket_is_reported_with_the_command_that_creates_it(workspace: Workspace) -> None:
    config = workspace.config(gcp={"staging_bucket": "no-such-bucket-here"})
    backend = VertexBackend(config)
    request = training.build_request(config)
    (problem,) = backend.check(request)
    assert "gs://no-such-bucket-here does not exist" in problem
    assert "gcloud storage buckets create gs://no-such-bucket-here --location=us-central1" in problem
    with pytest.raises(BackendError, match="does not exist") as info:
        backend.upload(request)
    assert isinstance(info.value.__cause__, Exception)  # the provider's error is kept
    assert workspace.vertex.calls("POST", r"/tuningJobs$") == []


def test_config_problems_are_reported_together(tmp_path: Path) -> None:
    from codetune.config import load_config

    (tmp_path / "empty.yaml").write_text("")  # defaults only, whatever the repository's config says
    config = load_config(
        tmp_path / "empty.yaml",
        overrides={
            "gcp": {
                "project_id": "your-project-id",
                "staging_bucket": "s3://my-bucket",
                "location": "global",
            },
            "training": {
                "base_model": "gemini-2.5-flash",
                "adapter_size": 32,
                "prices_per_million_tokens": {},
            },
        },
        environ={},
    )
    problems = VertexBackend(config).config_problems()
    assert len(problems) == 5
    text = " | ".join(problems)
    for expected in (
        "gcp.project_id",
        "'s3://my-bucket' is not a Cloud Storage location",
        "'global'",
        "adapter_size 32",
        "no price",
    ):
        assert expected in text


def test_monitoring_resumes_from_the_job_record(workspace: Workspace) -> None:
    _, record, _ = _start(workspace)
    # a fresh shell: nothing in memory but the config and the runs/ directory
    config = workspace.config()
    store = JobStore(config.paths.runs_dir)
    resumed = store.find(None)
    assert resumed.id == record.id and resumed.remote_name == record.remote_name
    final = wait(get_backend(resumed.backend, config), resumed, store, poll_interval=0.01)
    assert final.state == "SUCCEEDED"
    assert store.load(record.id).endpoint == final.endpoint


def test_a_record_whose_submit_died_finds_its_job_by_label(workspace: Workspace) -> None:
    backend, record, store = _start(workspace)
    remote = record.remote_name
    record.remote_name = None  # as if the process was killed before the record was saved
    store.save(record)
    final = wait(backend, store.load(record.id), store, poll_interval=0.01)
    assert final.state == "SUCCEEDED" and store.load(record.id).remote_name == remote

    # killed before Google got the request: the record fails, so a retried `train` starts a job
    never = JobRecord(id="vertex-never-started", backend="vertex", fingerprint="fp-never", display_name="d")
    store.save(never)
    assert wait(backend, never, store, poll_interval=0.01).state == "FAILED"
    assert "never started" in (store.load(never.id).error or "")
    config = workspace.config()
    request = dataclasses.replace(training.build_request(config), fingerprint="fp-never")
    retried = orchestration.start_or_reuse(backend, request, config, store)
    assert retried.action == "started" and retried.record.id != never.id


def test_chat_models_for_the_tuned_endpoint_and_the_base_model(workspace: Workspace) -> None:
    backend, record, store = _start(workspace)
    wait(backend, record, store, poll_interval=0.01)
    assert record.endpoint is not None
    workspace.vertex.replies[record.endpoint] = "It returns the size."
    tuned = backend.chat_model(None, record=record)
    conversation = [
        Message("user", "What does size() do?"),
        Message("model", "Which size?"),
        Message("user", "Bag"),
    ]
    reply = tuned.generate(
        conversation, system="Be brief.", options=GenerationOptions(temperature=0.1, max_output_tokens=64)
    )
    assert reply.text == "It returns the size." and reply.finish_reason == "STOP" and reply.output_tokens

    sent = workspace.vertex.calls("POST", ":generateContent$")[-1].body
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    assert sent["systemInstruction"]["parts"][0]["text"] == "Be brief."
    assert thinking_budget(sent) == 0  # Flash: thinking off
    assert sent["generationConfig"]["maxOutputTokens"] == 64

    # the comparison model is Pro, which rejects a budget of 0: its minimum is sent instead
    pro = backend.chat_model(None, base=True)
    assert pro.generate([Message("user", "hi")], system=None, options=GenerationOptions()).text.endswith("hi")
    assert thinking_budget(workspace.vertex.calls("POST", "gemini-2.5-pro:generateContent$")[-1].body) == 128

    short = backend.chat_model(record.endpoint.rsplit("/", 2)[-2] + "/" + record.endpoint.rsplit("/", 1)[-1])
    assert short.name == record.endpoint  # "endpoints/N" is expanded, never sent as a publisher path
    with pytest.raises(BackendError) as info:
        backend.chat_model("projects/test-project/locations/us-central1/endpoints/999").generate(
            [Message("user", "hi")], system=None, options=GenerationOptions()
        )
    assert "NOT_FOUND" in info.value.message and "full endpoint name" in (info.value.hint or "")
    with pytest.raises(JobError, match="no tuned endpoint"):
        backend.chat_model(
            None, record=JobRecord(id="j", backend="vertex", fingerprint="f", display_name="d")
        )


def test_api_key_only_setup_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codetune.config import load_config

    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))  # no ADC file
    monkeypatch.setenv("GOOGLE_API_KEY", "not-a-real-key")
    write_data(tmp_path)
    (tmp_path / "empty.yaml").write_text("")  # defaults only, whatever the repository's config says
    config = load_config(
        tmp_path / "empty.yaml",
        overrides={
            "gcp": {"project_id": "p", "staging_bucket": "some-bucket"},  # real Google: no api_endpoint
            "training": {"backend": "vertex", "train_file": str(tmp_path / "train.jsonl")},
        },
        environ={},
    )
    (problem,) = VertexBackend(config).check(training.build_request(config))
    assert "GOOGLE_API_KEY is set" in problem and "not an API key" in problem
    assert "gcloud auth application-default login" in problem
    assert "not-a-real-key" not in problem  # the key itself never appears

    monkeypatch.delenv("GOOGLE_API_KEY")
    with pytest.raises(ConfigError, match="no Google Cloud credentials") as info:
        VertexBackend(config).status(
            JobRecord(id="j", backend="vertex", fingerprint="f", display_name="d", remote_name="x")
        )
    assert "application-default login" in (info.value.hint or "")
