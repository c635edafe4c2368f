"""The README's commands, run as a newcomer runs them (with a tiny model so it takes a minute, not ten).

The quick start is read from README.md itself, so a command edited there is a command tested here. The two
set-up commands (`make demo`, `make test`) are what `.ci/run` runs on a fresh machine.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.tiny_model import tiny_model  # noqa: F401 - fixture

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _block_after(marker: str) -> list[str]:
    """The commands of the first fenced block after ``marker``, comments stripped."""
    start = README.index(marker)
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", README[start:], re.S)
    assert block, f"no code block after {marker!r} in README.md"
    commands = []
    for line in block.group(1).splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()
        if command and not command.startswith("#"):
            commands.append(command)
    return commands


def _make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))


def test_the_two_setup_commands_are_what_ci_runs() -> None:
    setup = _block_after("<!-- setup -->")
    assert setup == ["make demo", "make test"]
    assert {"demo", "test", "setup", "system-deps"} <= _make_targets()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci and "make demo" in ci


def test_every_make_target_the_readme_names_exists() -> None:
    named = set(re.findall(r"`make ([a-z-]+)", README))
    assert named, "the README names no make target"
    assert named <= _make_targets()


@pytest.mark.slow
def test_the_quick_start_is_the_seeds_five_steps_and_they_work(tmp_path: Path, tiny_model: Path) -> None:  # noqa: F811
    steps = _block_after("<!-- quickstart -->")
    assert len(steps) == 5, steps
    assert steps[0].startswith("make setup")  # .ci/run's `make test` runs it on a fresh machine
    assert steps[1] == "cp -r /path/to/java/src data/raw/java/"
    assert steps[2] == "python scripts/prepare_data.py -s data/raw -o data/processed"
    assert steps[3] == "python scripts/run_training.py"
    assert steps[4] == "python scripts/test_model.py -m MODEL -i --compare"

    # A checkout of our own: the shipped config, an empty data/raw/java, and a small Java project to copy in.
    project = tmp_path / "project"
    (project / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "config.yaml", project / "config" / "config.yaml")
    (project / "data" / "raw" / "java").mkdir(parents=True)
    theirs = tmp_path / "their-code" / "src"
    sample = REPO / "data/raw/java/src/main/java/com/example/inventory"
    for package in ("util", "model"):
        shutil.copytree(sample / package, theirs / "main/java/com/example/inventory" / package)

    env = {k: v for k, v in os.environ.items() if not k.startswith("CODETUNE_")}
    env.update(
        # The shipped config, with only the model and the run's size swapped for speed.
        CODETUNE_LOCAL_BASE_MODEL=str(tiny_model),
        CODETUNE_LOCAL_MAX_STEPS="2",
        CODETUNE_LOCAL_EVAL_STEPS="1",
        CODETUNE_LOCAL_EVAL_MAX_EXAMPLES="4",
        CODETUNE_LOCAL_MAX_LENGTH="512",
        CODETUNE_TESTING_MAX_OUTPUT_TOKENS="8",
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        COLUMNS="200",
    )

    def run(command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = shlex.split(command.replace("/path/to/java/src", str(theirs)))
        if argv[0] == "python":
            argv = [sys.executable, str(REPO / argv[1]), *argv[2:]]
        done = subprocess.run(
            argv, cwd=project, env=env, input=stdin, capture_output=True, text=True, timeout=600, check=False
        )
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done

    run(steps[1])
    assert (project / "data/raw/java/src/main/java/com/example/inventory/util").is_dir()

    run(steps[2])
    processed = project / "data" / "processed"
    for name in ("train.jsonl", "validation.jsonl", "manifest.json"):
        assert (processed / name).is_file()

    trained = run(steps[3])
    found = re.search(r"tuned model: (\S+)", trained.stdout)
    assert found, trained.stdout[-2000:]
    model = found.group(1)
    assert (project / "runs" / model / "adapter" / "adapter_model.safetensors").is_file()

    chat = run(
        steps[4].replace("MODEL", model), stdin="What does Money.add do?\nAnd subtract?\n/history\n/quit\n"
    )
    # Two turns, each answered by the tuned and the base model side by side, with the history kept.
    assert chat.stdout.count("out tokens") == 4
    assert "you (2): And subtract?" in chat.stdout


@pytest.mark.parametrize("command", ["codetune run", "codetune test -i --compare"])
def test_commands_the_readme_suggests_are_real(command: str) -> None:
    assert command in README
    done = subprocess.run(
        [sys.executable, "-m", "codetune", *command.split()[1:2], "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
