"""Running the `codetune` command line as a test sees it: in-process, or a script in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codetune.cli.app import main


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``codetune ARGS...``: its exit code (0 when it returned), stdout and stderr."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_without_terminal(
    args: list[str], *, cwd: Path, env_extra: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``python ARGS...`` in a child process with no terminal on stdin (so nothing can be confirmed),
    the environment's ``CODETUNE_*`` settings left out and ``env_extra`` added; output captured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODETUNE_")}
    env.update(COLUMNS="200", **env_extra)
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
