"""Cache entries for resolved sources: where they live, and how one is built so a killed run leaves none.

An entry is built in a temporary sibling whose name carries the builder's process id, then renamed into
place in one step. A later run removes partial entries whose process is gone; two runs racing on the same
entry both end up with the one that was renamed first.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from codetune.errors import CodetuneError
from codetune.io import temp_dir_for_this_process

# (stage, done, total or None) -> None, as ``cli.ui.progress_bar`` yields.
Progress = Callable[[str, int, int | None], None]

MANIFEST_NAME = ".codetune-source.json"
# Bump when the layout of an entry changes, so old entries are not reused.
CACHE_FORMAT = 1
_PARTIAL_PREFIX = ".partial-"

# Where a user's choice of cache is wrong, the fix is the environment variable, so every cache error says so.
CACHE_HINT = "free disk space, or point XDG_CACHE_HOME at a writable directory with room"


def default_cache_dir(environ: dict[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/codetune/sources``, or ``~/.cache/codetune/sources`` when that is unset or relative.

    >>> default_cache_dir({"XDG_CACHE_HOME": "/var/cache/me"}).as_posix()
    '/var/cache/me/codetune/sources'
    >>> default_cache_dir({"XDG_CACHE_HOME": "relative", "HOME": "/home/ann"}).as_posix()
    '/home/ann/.cache/codetune/sources'
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative value is invalid and must be ignored.
    if not base or not os.path.isabs(base):
        home = env.get("HOME") or os.path.expanduser("~")
        base = os.path.join(home, ".cache")
    return Path(base) / "codetune" / "sources"


@contextlib.contextmanager
def building(final: Path) -> Iterator[Path]:
    """Yield an empty temporary sibling of ``final``; rename it to ``final`` when the block succeeds.

    The partial directory's name carries this process's id, so a later run can tell the leftovers of a
    killed run (whose process is gone) from a build still in progress and remove only the former.
    """
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        partial = Path(temp_dir_for_this_process(parent, _PARTIAL_PREFIX))
    except OSError as exc:
        raise cache_error(parent, exc) from exc
    try:
        yield partial
        try:
            os.rename(partial, final)
        except OSError as exc:
            # Another run finished the same entry first: theirs is complete and identical, use it.
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) and final.is_dir():
                shutil.rmtree(partial, ignore_errors=True)
            else:
                raise cache_error(final, exc) from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def write_manifest(directory: Path, manifest: Mapping[str, object]) -> None:
    try:
        (directory / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise cache_error(directory, exc) from exc


def cache_error(path: Path, exc: OSError) -> CodetuneError:
    if exc.errno == errno.ENOSPC:
        return CodetuneError(
            f"no space left on device while filling the source cache at {path}", hint=CACHE_HINT
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return CodetuneError(f"cannot write the source cache at {path}: {exc.strerror}", hint=CACHE_HINT)
    return CodetuneError(f"cannot write the source cache at {path}: {exc.strerror or exc}", hint=CACHE_HINT)


def slug(name: str) -> str:
    """A short, filesystem-safe version of a name, for readable cache entries.

    >>> slug("My Sources (v2).zip")
    'My-Sources-v2-.zip'
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".")[:48] or "source"


def no_progress(stage: str, done: int, total: int | None) -> None:
    return None
