"""Resolve what the user points at (a directory, a zip of sources, a git URL) into a directory of Java files.

``resolve_source`` is the one entry point. A directory (a git work tree included) is used in place. A zip
or source jar, e.g. the JDK's ``lib/src.zip``, has its ``.java`` members extracted into a cache keyed by the
archive's sha256 and the optional member prefix (``src.zip:java.base/java/util``). A git URL is cloned with
``--depth 1`` into a cache keyed by the URL and ``#ref``. Cached trees are reused on rerun; each is built in a
temporary sibling and renamed into place, so a killed run never leaves a half-filled cache entry, and two
runs racing on the same entry both end up with the one that was renamed first.

Pure standard library (zipfile, subprocess for git); nothing prints: progress goes to an optional callback.
Modules: ``archive`` (zips), ``git`` (clones), ``cache`` (where entries live and how they are built).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from codetune.errors import InputError
from codetune.sources.archive import ExtractLimits, extract_archive, safe_member_path
from codetune.sources.cache import MANIFEST_NAME, Progress, default_cache_dir
from codetune.sources.git import clone_git, redact_url

__all__ = [
    "MANIFEST_NAME",
    "ExtractLimits",
    "Progress",
    "clone_git",
    "default_cache_dir",
    "extract_archive",
    "is_git_url",
    "normalize_prefix",
    "redact_url",
    "resolve_source",
    "safe_member_path",
    "split_git_ref",
    "split_member_prefix",
]

SOURCE_HINT = (
    "pass a directory of .java files, a .zip/.jar of sources (optionally path.zip:some/prefix), "
    "or a git URL (https://host/repo.git, git@host:repo.git, file:///path/repo#ref)"
)


def resolve_source(
    arg: str | Path, *, cache_dir: Path | None = None, progress: Progress | None = None
) -> Path:
    """Turn ``arg`` into a local directory holding the Java sources it names.

    - a directory: returned as it is (after checking it exists);
    - ``archive.zip`` / ``sources.jar``, optionally ``archive.zip:member/prefix``: the ``.java`` members
      (under the prefix) extracted into ``cache_dir``; see :func:`extract_archive`;
    - a git URL (``https://...``, ``ssh://...``, ``git@host:path``, ``file://...``), optionally ``URL#ref``:
      a shallow clone in ``cache_dir``; see :func:`clone_git`.

    Raises :class:`~codetune.errors.InputError` with a hint when the argument cannot be used.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if isinstance(arg, str):
        if not arg.strip():
            raise InputError("no source given", hint=SOURCE_HINT)
        if is_git_url(arg):
            url, ref = split_git_ref(arg)
            if re.search(r"\.(zip|jar)$", url, re.IGNORECASE) and not url.lower().startswith("file://"):
                # Fetching archives would mean an HTTP client, proxies and retries here; git is enough.
                raise InputError(
                    f"{redact_url(url)} looks like an archive to download, not a git repository",
                    hint="download it first and pass the downloaded file",
                )
            return clone_git(url, ref, cache_dir=cache, progress=progress)
    path, prefix = split_member_prefix(arg)
    if path.is_dir():
        if prefix is not None:
            raise InputError(
                f"{path} is a directory; a ':prefix' filter applies only to zip archives",
                hint=f"pass the subdirectory itself: {path / prefix}",
            )
        return path
    if not path.exists():
        raise InputError(f"source not found: {path}", hint=SOURCE_HINT)
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise InputError(f"{path} is not a directory or a zip/jar archive", hint=SOURCE_HINT)
    return extract_archive(path, cache_dir=cache, member_prefix=prefix, progress=progress)


_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)")  # git@github.com:owner/repo.git
_URL_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://", "git+ssh://", "ssh+git://")


def is_git_url(arg: str) -> bool:
    """True for the URL forms git clones from; local paths (even of a git work tree) are not URLs.

    >>> [is_git_url(a) for a in ("https://github.com/o/r.git", "git@github.com:o/r.git", "file:///tmp/r")]
    [True, True, True]
    >>> [is_git_url(a) for a in ("src/main/java", "/opt/jdk/lib/src.zip:java.base", "C:/code")]
    [False, False, False]
    """
    return arg.lower().startswith(_URL_SCHEMES) or bool(_SCP_LIKE.match(arg))


def split_git_ref(arg: str) -> tuple[str, str | None]:
    """Split ``URL#ref`` into the URL and the ref (branch, tag or commit), ``None`` when absent.

    >>> split_git_ref("https://example.org/repo.git#v1.2")
    ('https://example.org/repo.git', 'v1.2')
    >>> split_git_ref("git@example.org:team/repo.git")
    ('git@example.org:team/repo.git', None)
    """
    url, sep, ref = arg.partition("#")
    if sep and not ref:
        raise InputError(
            f"empty ref after '#' in {redact_url(arg)}", hint="write URL#branch, URL#tag or URL#commit"
        )
    return url, (ref or None)


_ARCHIVE_PREFIX = re.compile(r"^(?P<path>.*?\.(?:zip|jar)):(?P<prefix>[^/\\].*)$", re.IGNORECASE)


def split_member_prefix(arg: str | Path) -> tuple[Path, str | None]:
    """Split ``archive.zip:prefix`` into the archive path and a normalized member prefix.

    A :class:`~pathlib.Path`, or a string naming an existing file, is taken whole, so a file name that
    happens to contain ``.zip:`` still works.

    >>> split_member_prefix("/opt/jdk/lib/src.zip:java.base/java/util/")
    (PosixPath('/opt/jdk/lib/src.zip'), 'java.base/java/util')
    >>> split_member_prefix("data/raw/java")
    (PosixPath('data/raw/java'), None)
    """
    if isinstance(arg, Path):
        return arg.expanduser(), None
    whole = Path(arg).expanduser()
    match = _ARCHIVE_PREFIX.match(arg)
    if match is None or whole.exists():
        return whole, None
    return Path(match["path"]).expanduser(), normalize_prefix(match["prefix"])


def normalize_prefix(prefix: str) -> str | None:
    """A member prefix as a clean relative POSIX path, ``None`` for "everything"; refuses ``..``.

    >>> normalize_prefix("./java.base//java/util/")
    'java.base/java/util'
    >>> normalize_prefix("/") is None
    True
    """
    parts = [part for part in prefix.replace("\\", "/").split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InputError(
            f"invalid member prefix {prefix!r}: '..' is not allowed",
            hint="name a folder inside the archive, e.g. src.zip:java.base/java/util",
        )
    return "/".join(parts) or None
