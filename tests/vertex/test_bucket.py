"""``gcp.staging_bucket`` as the seed writes it (``gs://bucket``), with a folder, or as a bare name; malformed
values refused in one line before anything is sent. Real SDKs against fake-gcs-server and the stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from codetune.backends.vertex import VertexBackend
from codetune.cli.app import main
from codetune.config import load_config
from codetune.jobs import JobStore
from support.cli import run_without_terminal
from support.vertex_workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


def _created_uris(workspace: Workspace) -> tuple[str, str]:
    (create,) = workspace.vertex.calls("POST", r"/tuningJobs$")
    spec = create.body["supervisedTuningSpec"]
    return spec["trainingDatasetUri"], spec["validationDatasetUri"]


def _train(workspace: Workspace) -> int:
    try:
        main(["train", "--config", str(workspace.config_path), "--yes"])
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_the_seed_script_trains_with_the_seeds_gs_bucket(workspace: Workspace) -> None:
    workspace.write_config(gcp={"staging_bucket": f"gs://{workspace.bucket}"})
    done = run_without_terminal(
        [str(REPO / "scripts" / "run_training.py"), "--config", str(workspace.config_path), "--yes"],
        cwd=workspace.root,
        env_extra={
            "STORAGE_EMULATOR_HOST": workspace.gcs.url,
            "CLOUDSDK_CONFIG": str(workspace.root / "gcloud"),
        },
    )
    assert done.returncode == 0, done.stderr
    assert f"gs://{workspace.bucket}/training/" in done.stdout  # where the estimate says the data goes
    assert set(workspace.gcs.objects(workspace.bucket)) == {
        "training/train.jsonl",
        "training/validation.jsonl",
    }
    assert _created_uris(workspace) == (
        f"gs://{workspace.bucket}/training/train.jsonl",
        f"gs://{workspace.bucket}/training/validation.jsonl",
    )
    (record,) = JobStore(workspace.runs).all()
    assert record.state == "SUCCEEDED"


@pytest.mark.parametrize(
    ("written", "folder"),
    [("gs://{bucket}/team/tuning", "team/tuning/"), ("gs://{bucket}/team/", "team/"), ("{bucket}", "")],
)
def test_a_folder_in_the_bucket_and_a_bare_name(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], written: str, folder: str
) -> None:
    workspace.write_config(gcp={"staging_bucket": written.format(bucket=workspace.bucket)})
    assert _train(workspace) == 0, capsys.readouterr().err
    assert set(workspace.gcs.objects(workspace.bucket)) == {
        f"{folder}training/train.jsonl",
        f"{folder}training/validation.jsonl",
    }
    assert _created_uris(workspace)[0] == f"gs://{workspace.bucket}/{folder}training/train.jsonl"
    assert (
        workspace.gcs.read(workspace.bucket, f"{folder}training/train.jsonl")
        == workspace.train_file.read_bytes()
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s3://my-bucket", "'s3://my-bucket' is not a Cloud Storage location"),
        ("", "gcp.staging_bucket is not set"),
        ("gs://", "gcp.staging_bucket is empty"),
        ("gs://My-Bucket", "bucket names are lowercase (use my-bucket)"),
        ("ab", "3 to 63 characters"),
        ("x" * 64, "3 to 63 characters"),
        ("my bucket!", "only lowercase letters, digits"),
        ("-bucket", "starts and ends with a letter or digit"),
        ("gs://bucket//twice", "plain path segments"),
        ("bucket/folder", "names a folder without gs:// (use gs://bucket/folder)"),
        ("192.168.1.1", "cannot be an IP address"),
        ("google-data", "contain 'google'"),
        ("gs://your-bucket", "gs://your-bucket is the placeholder"),
    ],
)
def test_a_malformed_bucket_is_one_line_with_the_fix_and_nothing_is_sent(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], value: str, expected: str
) -> None:
    workspace.write_config(gcp={"staging_bucket": value})
    code = _train(workspace)
    err = capsys.readouterr().err
    assert code == 2
    assert "not starting: 1 problem(s): gcp.staging_bucket" in err and expected in err, err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    assert "Traceback" not in err
    assert workspace.gcs.objects(workspace.bucket) == {} and workspace.vertex.requests == []


def test_the_shipped_config_says_what_to_set_for_vertex(repo_root: Path) -> None:
    config = load_config(
        repo_root / "config" / "config.yaml", environ={}, overrides={"training": {"backend": "vertex"}}
    )
    assert config.gcp.staging_bucket == "gs://your-bucket"  # the seed's own form
    problems = VertexBackend(config).config_problems()
    assert any(p.startswith("gcp.project_id is not set") for p in problems)
    assert any(
        p.startswith("gcp.staging_bucket is not set: gs://your-bucket is the placeholder")
        and "CODETUNE_GCP_STAGING_BUCKET" in p
        for p in problems
    )
