from __future__ import annotations

from pathlib import Path

import pytest


def test_atomic_write_keeps_previous_file_on_failure_and_uses_umask_mode(tmp_path: Path) -> None:
    import os

    from codetune.io import atomic_open, write_text

    target = tmp_path / "out.txt"
    write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temp file left behind
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_directory_lock_refuses_a_second_holder(tmp_path: Path) -> None:
    from codetune.errors import LockedError
    from codetune.io import directory_lock

    with (
        directory_lock(tmp_path, "first"),
        pytest.raises(LockedError, match="in use by first"),
        directory_lock(tmp_path, "second"),
    ):
        pass
    with directory_lock(tmp_path, "third"):  # released when the holder leaves
        pass
