"""The teacher: a Gemini model on Vertex AI (the real google-genai SDK against the stand-in) writes the Javadoc of
undocumented units during `codetune prepare`. No secret in any request, cost confirmed first, answers cached,
one failing unit skipped, teacher-written examples marked and kept out of validation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from codetune.cli.app import main
from support.cli import run_without_terminal
from support.vertex_standin import VertexStandIn

REPO = Path(__file__).resolve().parents[2]
AWS_KEY = "AKIAZ3MQWR7TPL5KX2VB"
GITHUB_TOKEN = "ghp_" + "A1b2C3d4" * 4 + "E5f6"
PRIVATE_KEY_LINE = "MIIEowIBAAKCAQEAw7Zdfmece8iaB0kiTY8pCtiBtzbptJmP28nSWwtdjRu0f2GF"
SECRETS = (AWS_KEY, GITHUB_TOKEN, PRIVATE_KEY_LINE, "BEGIN RSA PRIVATE KEY")
CLASSES = ("Orders", "Invoices", "Shipments", "Returns", "Coupons", "Reviews")

VAULT = f'''package com.acme.shop;

import java.util.HashMap;
import java.util.Map;

/** Holds the credentials the shop uses to reach its partners. */
public class Vault {{
    private final Map<String, String> settings = new HashMap<>();

    public String awsAccessKey(String region) {{
        String fallback = "{AWS_KEY}";
        String configured = settings.get("aws." + region);
        return configured == null || configured.isEmpty() ? fallback : configured;
    }}

    public String githubToken(boolean trimmed) {{
        String token = "{GITHUB_TOKEN}";
        String value = settings.getOrDefault("github", token);
        return trimmed ? value.trim() : value;
    }}

    public String signingKey(String name) {{
        String pem = "-----BEGIN RSA PRIVATE KEY-----\\n"
            + "{PRIVATE_KEY_LINE}\\n"
            + "-----END RSA PRIVATE KEY-----\\n";
        return settings.getOrDefault("key." + name, pem);
    }}

    /**
     * Returns how many settings the vault holds, counting every partner's entries.
     *
     * @return the number of settings
     */
    public int size() {{
        int count = 0;
        for (String key : settings.keySet()) {{
            count += key.isEmpty() ? 0 : 1;
        }}
        return count;
    }}
}}
'''


def _shop_class(name: str) -> str:
    field = name[0].lower() + name[1:]
    return f"""package com.acme.shop;

import java.util.ArrayList;
import java.util.List;

/** Keeps the shop's {field} in memory. */
public class {name} {{
    private final List<String> {field} = new ArrayList<>();

    public int countLongerThan{name}(int length) {{
        int count = 0;
        for (String item : {field}) {{
            if (item.length() > length) {{
                count++;
            }}
        }}
        return count;
    }}

    public List<String> startingWith{name}(String prefix) {{
        List<String> found = new ArrayList<>();
        for (String item : {field}) {{
            if (item.startsWith(prefix)) {{
                found.add(item);
            }}
        }}
        return found;
    }}

    /**
     * Adds an entry to the {field} unless it is already there.
     *
     * @param entry the entry to add
     * @return true when the entry was added
     */
    public boolean addUnique{name}(String entry) {{
        if ({field}.contains(entry)) {{
            return false;
        }}
        return {field}.add(entry);
    }}
}}
"""


def _write_project(root: Path) -> None:
    package = root / "com" / "acme" / "shop"
    package.mkdir(parents=True)
    (package / "Vault.java").write_text(VAULT, encoding="utf-8")
    for name in CLASSES:
        (package / f"{name}.java").write_text(_shop_class(name), encoding="utf-8")


def _teacher_answer(model: str, body: dict[str, Any]) -> str:
    """The teacher writes a Javadoc naming the unit it was asked about (its name is in the prompt)."""
    prompt = body["contents"][-1]["parts"][0]["text"]
    display = re.search(r"`([^`]+)`", prompt).group(1)  # type: ignore[union-attr]
    name = display.split("(")[0].rsplit(".", 1)[-1]
    words = re.sub(r"([A-Z])", r" \1", name).lower().strip()
    return f"```java\n/**\n * Returns the {words} result computed by {display}.\n *\n * @return the {words} result\n */\n```"


@pytest.fixture
def project(tmp_path: Path, vertex_standin: VertexStandIn, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Java sources with undocumented methods (three of them holding secrets) and a config whose teacher is
    gemini-2.5-pro on the stand-in."""
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    _write_project(tmp_path / "src")
    vertex_standin.replies["gemini-2.5-pro"] = _teacher_answer
    _config(tmp_path, vertex_standin)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _config(root: Path, standin: VertexStandIn, **teacher: Any) -> Path:
    config = {
        "gcp": {"project_id": "test-project", "location": "us-central1", "api_endpoint": standin.url},
        "training": {
            "retry": {
                "attempts": 2,
                "initial_delay_seconds": 0.01,
                "max_delay_seconds": 0.02,
                "timeout_seconds": 10,
            }
        },
        "strategy": {
            "name": ["code_explanation", "code_generation"],
            "teacher": {
                "enabled": True,
                "backend": "vertex",
                "model": "gemini-2.5-pro",
                "cache_dir": str(root / "teacher-cache"),
                "concurrency": 3,
                **teacher,
            },
        },
        "data": {"source": str(root / "src"), "output": str(root / "out"), "workers": 1},
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _prepare(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    try:
        main(["prepare", "--config", "config.yaml", "--no-progress", *extra])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _teacher_calls(standin: VertexStandIn) -> list[Any]:
    return standin.calls("POST", r"/publishers/google/models/gemini-2.5-pro:generateContent$")


def _manifest(project: Path) -> dict[str, Any]:
    return json.loads((project / "out" / "manifest.json").read_text())


def test_the_teacher_documents_undocumented_units_and_no_secret_is_ever_sent(
    project: Path, vertex_standin: VertexStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    _config(project, vertex_standin, in_validation=True)  # every unit may be taught: all are asked
    code, out, err = _prepare(capsys, "--yes")
    assert code == 0, err
    calls = _teacher_calls(vertex_standin)
    prompts = [call.body["contents"][-1]["parts"][0]["text"] for call in calls]
    # 3 undocumented methods in Vault and 2 in each of the 6 other classes: each asked once
    assert len(calls) == 3 + 2 * len(CLASSES)
    for name in ("awsAccessKey", "githubToken", "signingKey"):
        (prompt,) = [p for p in prompts if f"Vault.{name}(" in p]
        assert "<SECRET>" in prompt  # the unit was asked about, its secret replaced
    for call in calls:  # the raw bodies, as the service received them
        raw = json.dumps(call.body)
        assert not any(secret in raw for secret in SECRETS), raw
        assert call.headers["authorization"] == "Bearer codetune-loopback"

    report = json.loads((project / "out" / "report.json").read_text())
    teacher = report["teacher"]
    assert teacher["model"] == "gemini-2.5-pro" and teacher["asked_now"] == len(calls)
    scrubbed = teacher["secrets_scrubbed_from_prompts"]
    assert scrubbed.get("aws_access_key_id") and scrubbed.get("github_token") and scrubbed.get("private_key")
    assert teacher["examples"] == {"code_explanation": 15, "code_generation": 15}
    assert "teacher" in out and "gemini-2.5-pro: 30 examples" in out  # the summary's own row

    manifest = _manifest(project)
    records = manifest["train"] + manifest["validation"]
    taught = [r for r in records if r.get("source") == "teacher"]
    assert len(taught) == 30 and all(r["teacher_model"] == "gemini-2.5-pro" for r in taught)
    assert {r["unit_id"] for r in taught} >= {"com.acme.shop.Vault#githubToken(boolean)"}
    own = [r for r in records if "source" not in r]
    assert {r["unit_id"] for r in own} >= {"com.acme.shop.Vault#size()"}  # documented: no teacher
    train = (project / "out" / "train.jsonl").read_text() + (project / "out" / "validation.jsonl").read_text()
    assert "Returns the github token result computed by Vault.githubToken(boolean)." in train
    assert not any(secret in train for secret in SECRETS)

    # A rerun: every answer is in the cache, nothing is sent, the files are the same bytes.
    before = {
        name: (project / "out" / name).read_bytes()
        for name in ("train.jsonl", "validation.jsonl", "manifest.json")
    }
    code, _, err = _prepare(capsys, "--yes")
    assert code == 0, err
    assert len(_teacher_calls(vertex_standin)) == len(calls)
    assert {name: (project / "out" / name).read_bytes() for name in before} == before
    again = json.loads((project / "out" / "report.json").read_text())["teacher"]
    assert again["asked_now"] == 0 and again["from_cache"] == len(calls)


def test_one_failing_unit_is_skipped_with_its_reason_and_the_run_goes_on(
    project: Path, vertex_standin: VertexStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    _config(project, vertex_standin, in_validation=True)
    vertex_standin.inject(r":generateContent$", 500, times=100, body_contains="Vault.githubToken(boolean)")
    code, out, err = _prepare(capsys, "--yes")
    assert code == 0, err
    teacher = json.loads((project / "out" / "report.json").read_text())["teacher"]
    assert teacher["failed"] == {"http_500": 1}
    assert teacher["answered_now"] == 3 + 2 * len(CLASSES) - 1
    assert teacher["examples"] == {"code_explanation": 14, "code_generation": 14}
    units = {r["unit_id"] for r in _manifest(project)["train"] + _manifest(project)["validation"]}
    assert "com.acme.shop.Vault#githubToken(boolean)" not in units
    assert "com.acme.shop.Vault#awsAccessKey(String)" in units
    # the client retried the 500 before giving up (training.retry.attempts: 2)
    failed = [c for c in _teacher_calls(vertex_standin) if "Vault.githubToken(boolean)" in json.dumps(c.body)]
    assert len(failed) == 2

    # Once the service answers again, a rerun asks only what failed.
    vertex_standin.faults.clear()
    sent = len(_teacher_calls(vertex_standin))
    assert _prepare(capsys, "--yes")[0] == 0
    assert len(_teacher_calls(vertex_standin)) == sent + 1


def test_teacher_examples_stay_out_of_validation_and_its_units_are_never_asked(
    project: Path, vertex_standin: VertexStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _prepare(capsys, "--yes")  # strategy.teacher.in_validation: false, the default
    assert code == 0, err
    manifest = _manifest(project)
    validation_groups = set(manifest["split"]["validation_group_names"])
    assert validation_groups  # the sample project has a validation side
    assert manifest["validation"] and all("source" not in r for r in manifest["validation"])
    assert any(r.get("source") == "teacher" for r in manifest["train"])
    asked = " ".join(json.dumps(c.body) for c in _teacher_calls(vertex_standin))
    for group in validation_groups:  # the undocumented units of validation classes were not even asked
        short = group.rsplit(".", 1)[-1]
        assert f"`{short}." not in asked
    teacher = json.loads((project / "out" / "report.json").read_text())["teacher"]
    assert teacher["left_out"]["validation_group"] > 0


def test_the_cost_is_shown_first_and_without_a_terminal_nothing_is_sent(
    project: Path, vertex_standin: VertexStandIn
) -> None:
    done = run_without_terminal(
        [str(REPO / "scripts" / "prepare_data.py"), "--config", "config.yaml", "--no-progress"],
        cwd=project,
        env_extra={"NO_GCE_CHECK": "true", "CLOUDSDK_CONFIG": str(project / "gcloud")},
    )
    assert done.returncode == 3, done.stderr
    assert "without confirmation" in done.stderr and "--yes" in done.stderr and "Traceback" not in done.stderr
    out = done.stdout
    assert "undocumented units to teach" in out and "requests to gemini-2.5-pro" in out
    assert "cost (at most, estimate)" in out and "secrets scrubbed from the prompts" in out
    assert _teacher_calls(vertex_standin) == []
    assert not (project / "out" / "train.jsonl").exists()  # refused before anything was written


def test_the_prepare_stage_of_run_asks_through_its_hook(project: Path, vertex_standin: VertexStandIn) -> None:
    from codetune.config import load_config
    from codetune.errors import ConfirmationRequired
    from codetune.pipeline import RunHooks, run_prepare

    config = load_config(project / "config.yaml", environ={})
    seen: list[int] = []

    def refuse(plan: Any) -> None:
        seen.append(len(plan.pending))
        raise ConfirmationRequired("refused")

    with pytest.raises(ConfirmationRequired):
        run_prepare(config, project / "src", project / "out", RunHooks(confirm_teacher=refuse))
    assert seen and seen[0] > 0 and _teacher_calls(vertex_standin) == []

    stage = run_prepare(config, project / "src", project / "out", RunHooks(confirm_teacher=lambda plan: None))
    assert stage.status == "ran" and len(_teacher_calls(vertex_standin)) == seen[0]
    assert any(r.get("source") == "teacher" for r in _manifest(project)["train"])
