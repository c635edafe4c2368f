"""File handling shared by every stage: atomic writes, hashing, JSON Lines and run locks.

Every output is written to a temporary file in the same directory and renamed into place, so a
killed run leaves the previous output intact, never a half-written file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from codetune.errors import CodetuneError, InputError, LockedError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()  # read once at import: os.umask is process-wide and not thread-safe to probe


def _output_error(path: Path, exc: OSError) -> CodetuneError:
    if exc.errno == errno.ENOSPC:
        return CodetuneError(
            f"no space left on device while writing {path}", hint="free disk space and rerun"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return CodetuneError(
            f"cannot write to {path.parent}: {exc.strerror}",
            hint="choose a writable output directory (-o) or fix its permissions",
        )
    return CodetuneError(f"cannot write {path}: {exc.strerror or exc}")


# fdatasync skips the metadata fsync also writes (times); macOS has only fsync.
_datasync = getattr(os, "fdatasync", os.fsync)


class _SyncBehind:
    """A file being written whose bytes go to disk while the writing goes on, not all at the end.

    The fsync that ends an atomic write waits until the whole file is on disk: for java.base's
    149 MB ``units.jsonl``, 0.24-0.30 s on a virtual disk, even when the kernel had already written
    the pages back (the disk's own cache is flushed then). Here, every ``every`` bytes, a thread
    calls fdatasync on what has been written so far while this one goes on computing, and the
    last fsync waits for the last few megabytes only (0.03 s).
    """

    def __init__(self, handle: IO[Any], every: int) -> None:
        self.handle = handle
        self._every = every
        self._unsynced = 0
        self._wanted = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None

    def write(self, data: Any) -> int:
        written: int = self.handle.write(data)
        self._unsynced += written
        if self._unsynced >= self._every:
            self._unsynced = 0
            self.handle.flush()  # what sits in the buffer is not the OS's to sync yet
            if self._thread is None:
                # Started at the first request, not at open: `codetune extract` forks its worker
                # processes when the run starts, and a process should not fork while a thread runs.
                self._thread = threading.Thread(target=self._sync_loop, name="codetune-sync", daemon=True)
                self._thread.start()
            self._wanted.set()
        return written

    def __getattr__(self, name: str) -> Any:  # flush, fileno...: the file's own
        return getattr(self.handle, name)

    def _sync_loop(self) -> None:
        fd = self.handle.fileno()
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping:
                return
            try:
                _datasync(fd)
            except OSError as exc:
                self._error = exc
                return

    def stop(self) -> None:
        """Let the thread finish the sync it is doing, and end it."""
        if self._thread is not None:
            self._stopping = True
            self._wanted.set()
            self._thread.join()

    def raise_error(self) -> None:
        """An error the thread met (a full disk): the kernel reports a write-back error to one sync only."""
        if self._error is not None:
            raise self._error


@contextlib.contextmanager
def atomic_open(
    path: str | Path, mode: str = "w", encoding: str | None = "utf-8", *, sync_every: int = 0
) -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` only on success.

    The file is on disk (fsync) before it replaces ``path``, so even a power cut leaves the old
    file or the new one. With ``sync_every`` (bytes), a large file goes to disk while it is being
    written, so little is left to wait for at the end (see :class:`_SyncBehind`).
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _output_error(target, exc) from exc
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual umask-based mode
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding, newline=None) as handle:
            if sync_every > 0:
                behind = _SyncBehind(handle, sync_every)
                try:
                    yield behind  # type: ignore[misc]  # writes like the file it wraps
                finally:
                    behind.stop()
                behind.raise_error()
            else:
                yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _output_error(target, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    with atomic_open(path, "w") as handle:
        handle.write(text)


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_open(path, "wb", encoding=None) as handle:
        handle.write(data)


def dumps(obj: Any) -> str:
    """The JSON spelling of codetune's data files: UTF-8 text, key order as built, no trailing spaces.

    ``units.jsonl``, three times the size of the Java it holds, is written compactly by orjson
    instead (``codetune.extract.output.type_line``)."""
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"file not found: {path}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc


def write_jsonl(path: str | Path, rows: Iterable[Any]) -> int:
    count = 0
    with atomic_open(path, "w") as handle:
        for row in rows:
            handle.write(dumps(row))
            handle.write("\n")
            count += 1
    return count


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(obj: Any) -> str:
    """A short stable hash of JSON-able data (cache and idempotency keys)."""
    data = json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:16]


@contextlib.contextmanager
def directory_lock(directory: str | Path, what: str = "codetune") -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` for the duration; a second holder fails at once, clearly.

    Uses ``flock`` on ``<directory>/.codetune.lock``: the kernel releases it when the process dies, so a
    killed run never leaves a stale lock behind.
    """
    import fcntl

    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(directory / ".codetune.lock", "a+")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise _output_error(directory / ".codetune.lock", exc) from exc
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockedError(
                f"{directory} is in use by {holder}",
                hint=f"wait for the other {what} run to finish, or use another output directory",
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"{what} (pid {os.getpid()})")
        handle.flush()
        yield
    finally:
        handle.close()


def temp_dir_for_this_process(directory: str | Path, prefix: str) -> str:
    """A new temporary directory ``<prefix><pid>-*`` under ``directory``, after removing the ones that
    killed runs left there (SIGKILL, power cut: no cleanup ran), recognised by their dead process id."""
    remove_orphans(directory, prefix)
    return tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=directory)


def remove_orphans(directory: str | Path, prefix: str) -> None:
    """Remove the ``<prefix><pid>-*`` entries of ``directory`` whose process is gone."""
    import shutil

    try:
        names = [name for name in os.listdir(directory) if name.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)


def pid_alive(pid: int) -> bool:
    """Does process ``pid`` exist (ours or someone else's)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, but belongs to another user
        return True
    return True
