"""Running the `codetune` command line in-process, as a test sees it: exit code and what was printed."""

from __future__ import annotations

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
