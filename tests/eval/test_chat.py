from __future__ import annotations

import pytest

from codetune.backends.base import GenerationOptions
from codetune.chat import ChatSession, generation_options, is_vertex_endpoint, resolve_target
from codetune.config import load_config
from codetune.errors import BackendError, ConfigError, InputError, JobError
from codetune.jobs import JobRecord, JobStore


def test_each_model_keeps_its_own_conversation(fake_model) -> None:
    tuned = fake_model("t", lambda m: f"t{len(m)}")
    base = fake_model("b", lambda m: f"b{len(m)}")
    session = ChatSession({"tuned": tuned, "base": base}, "sys", GenerationOptions())
    session.ask("one")
    replies = session.ask("two")
    assert {label: reply.text for label, reply in replies.items()} == {"tuned": "t3", "base": "b3"}
    assert [(m.role, m.text) for m in tuned.calls[1][0]] == [
        ("user", "one"),
        ("model", "t1"),
        ("user", "two"),
    ]
    assert [(m.role, m.text) for m in base.calls[1][0]] == [("user", "one"), ("model", "b1"), ("user", "two")]
    assert all(system == "sys" for _, system, _ in tuned.calls)
    session.reset()
    session.ask("three")
    assert [m.text for m in tuned.calls[-1][0]] == ["three"]


def test_a_failed_turn_is_not_kept(fake_model) -> None:
    def broken(messages):
        raise BackendError("endpoint not found")

    session = ChatSession(
        {"tuned": fake_model("t", lambda m: "ok"), "base": fake_model("b", broken)}, None, GenerationOptions()
    )
    with pytest.raises(BackendError):
        session.ask("hello")
    assert session.turns == [] and session.history("tuned") == []
    with pytest.raises(InputError):
        session.ask("   ")


def test_generation_options_default_from_config_and_are_checked(tmp_path) -> None:
    config = load_config(None, environ={})
    options = generation_options(config, temperature=0.7)
    assert (options.temperature, options.max_output_tokens, options.thinking_budget) == (0.7, 512, 0)
    with pytest.raises(ConfigError, match="--temperature.*--max-tokens"):
        generation_options(config, temperature=3.0, max_output_tokens=0)


def test_model_resolution(tmp_path) -> None:
    config = load_config(None, environ={}, overrides={"paths": {"runs_dir": str(tmp_path / "runs")}})
    endpoint = "projects/p/locations/l/endpoints/7"
    assert is_vertex_endpoint(endpoint)
    target = resolve_target(config, endpoint)  # no record needed for an endpoint
    assert (target.backend, target.model, target.record) == ("vertex", endpoint, None)
    assert target.system == config.strategy.system_instruction

    with pytest.raises(JobError, match="no jobs"):
        resolve_target(config, None)
    store = JobStore(tmp_path / "runs")
    store.save(
        JobRecord(
            id="local-1",
            backend="local",
            fingerprint="f",
            display_name="d",
            state="FAILED",
            created_at="2025-01-01T00:00:00Z",
        )
    )
    store.save(
        JobRecord(
            id="vertex-2",
            backend="vertex",
            fingerprint="f",
            display_name="d",
            state="SUCCEEDED",
            endpoint=endpoint,
            tuned_model="m",
            system_instruction="S",
            created_at="2025-01-02T00:00:00Z",
        )
    )
    latest = resolve_target(config, None)
    assert (latest.backend, latest.label, latest.system) == ("vertex", "vertex-2", "S")
    assert resolve_target(config, endpoint).record.id == "vertex-2"  # an endpoint with a record uses it
    assert resolve_target(config, str(tmp_path / "runs" / "vertex-2")).label == "vertex-2"  # a run directory
    with pytest.raises(JobError, match="tuned model's name") as info:
        resolve_target(config, "projects/p/locations/l/models/5@1")
    assert "endpoints/E" in (info.value.hint or "")
    with pytest.raises(JobError, match="no tuned model yet") as info:
        resolve_target(config, "local-1")
    assert "codetune jobs --show local-1" in (info.value.hint or "")


def _fails(capsys, argv: list[str]) -> str:
    from codetune.cli.app import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_cli_errors_are_one_line_with_a_hint(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # no config file, no runs, no data
    err = _fails(capsys, ["eval"])
    assert "no jobs in runs" in err and "hint:" in err
    err = _fails(
        capsys, ["test", "-m", "projects/p/locations/l/endpoints/1", "-p", "hi", "--temperature", "5"]
    )
    assert "--temperature must be between 0 and 2" in err
    err = _fails(capsys, ["eval", "-m", "projects/p/locations/l/endpoints/1"])
    assert "no validation file" in err and "codetune prepare" in err
