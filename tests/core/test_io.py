from __future__ import annotations

from collections.abc import Callable
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


def _wait_for(condition: Callable[[], object], seconds: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_large_output_goes_to_disk_while_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import codetune.io as io_module

    synced: list[int] = []  # the file's size on disk at each background sync
    monkeypatch.setattr(io_module, "_datasync", lambda fd: synced.append(os.fstat(fd).st_size))
    target = tmp_path / "big.bin"
    with io_module.atomic_open(target, "wb", sync_every=1000) as handle:
        for _ in range(3):
            handle.write(b"x" * 400)  # 1,200 bytes: over the threshold, a sync is asked for
        _wait_for(lambda: synced)
        assert synced == [1200]  # what was buffered reached the file before the sync
        handle.write(b"y" * 400)  # 400 bytes since: under the threshold, nothing more
    assert synced == [1200]
    assert target.read_bytes() == b"x" * 1200 + b"y" * 400
    assert [p.name for p in tmp_path.iterdir()] == ["big.bin"]


def test_an_error_of_the_background_sync_fails_the_write_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import threading

    import codetune.io as io_module
    from codetune.errors import CodetuneError

    failed = threading.Event()

    def full_disk(fd: int) -> None:
        failed.set()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io_module, "_datasync", full_disk)
    target = tmp_path / "units.jsonl"
    io_module.write_text(target, "old\n")
    with (
        pytest.raises(CodetuneError, match="no space left on device"),
        io_module.atomic_open(target, "wb", sync_every=10) as handle,
    ):
        handle.write(b"new data, more than ten bytes\n")
        _wait_for(failed.is_set)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["units.jsonl"]
