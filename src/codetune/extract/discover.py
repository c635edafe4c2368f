"""Find the ``.java`` files under a source root and read them into text, saying why when we cannot.

The walk follows directory symlinks (a source root is often a farm of links) but never enters a
directory twice: a link back to one of its own ancestors is a ``symlink_loop``, a second way into a
directory already walked is a ``duplicate``. Hidden directories (``.git``, ``.idea``) are not entered.
Files come back sorted by their ``/``-separated relative path, so the order never depends on the
file system.

Reading: 0 bytes -> ``empty``; over the size cap -> ``too_large`` (generated code); a NUL byte in the
first 8 KiB -> ``binary``; UTF-8 (a BOM is dropped and recorded as ``utf-8-sig``), UTF-16 with a BOM,
else the fallback encoding (cp1252 by default, latin-1 as the last resort), recorded with a
``not_utf8`` issue. Line endings are normalised to LF (javac counts CR, LF and CRLF as one line end
each, so line numbers still match the file) and what was found is recorded.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from codetune.errors import InputError
from codetune.records import FileIssue

BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class SourceEntry:
    """One thing found by the walk: a ``.java`` file to read, or a directory we had to skip."""

    rel: str  # "/"-separated, relative to the source root
    path: str  # absolute path as a string (cheap to send to worker processes)
    issue: FileIssue | None = None  # set when the walk already knows this entry is skipped


@dataclass(frozen=True)
class SourceText:
    """A file read and decoded: text with LF line ends, and what it took to get there."""

    text: str
    encoding: str
    line_endings: str  # "lf" | "crlf" | "cr" | "mixed" | "none"
    size: int
    issues: tuple[FileIssue, ...] = ()
    # The file's own bytes when they are ``text`` in UTF-8 (no BOM, no CR): the parser takes them as
    # they are, without a copy encoded back from the text.
    utf8: bytes | None = None

    def encoded(self) -> bytes:
        return self.utf8 if self.utf8 is not None else self.text.encode("utf-8")


def find_java_files(root: str | Path) -> list[SourceEntry]:
    """Every ``*.java`` under ``root`` (or ``root`` itself when it is a file), sorted by relative path.

    Raises :class:`InputError` when ``root`` does not exist or holds no ``.java`` file.
    """
    root = Path(root)
    if not root.exists():
        raise InputError(
            f"source directory not found: {root}",
            hint="pass the root of your Java sources, e.g. src/main/java",
        )
    if root.is_file():
        if root.suffix != ".java":
            raise InputError(
                f"not a directory or a .java file: {root}", hint="pass the root of your Java sources"
            )
        return [SourceEntry(rel=root.name, path=str(root.resolve()))]
    entries: list[SourceEntry] = []
    real_root = os.path.realpath(root)
    root_key = _dir_key(real_root)
    _walk_tree(real_root, root_key, entries)
    if not any(entry.issue is None for entry in entries):
        raise InputError(
            f"no .java files under {root}",
            hint="point SRC at the directory that holds your .java files (e.g. src/main/java)",
        )
    entries.sort(key=lambda entry: entry.rel)
    return entries


def _dir_key(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


# A directory to walk: its path, its relative path, the (device, inode) of it and its ancestors.
_Pending = tuple[str, str, frozenset[tuple[int, int]]]


def _walk_tree(real_root: str, root_key: tuple[int, int], out: list[SourceEntry]) -> None:
    """Walk real directories first and symlinked ones after, so that a directory reachable both
    ways is listed under its real path and the link is what gets reported as the duplicate."""
    seen = {root_key}
    stack: list[_Pending] = [(real_root, "", frozenset({root_key}))]
    links: list[_Pending] = []
    while stack or links:
        while stack:
            _scan(*stack.pop(), seen, stack, links, out)
        # Every directory reachable from here without a link is known: a link into one is a duplicate.
        pending, links = sorted(links, key=lambda item: item[1]), []
        for path, rel, ancestors in pending:
            try:
                key = _dir_key(path)
            except OSError as exc:
                out.append(SourceEntry(rel, path, FileIssue(rel, "unreadable", _reason(exc))))
                continue
            if key in seen:
                target = os.readlink(path)
                out.append(
                    SourceEntry(rel, path, FileIssue(rel, "duplicate", f"links to {target}, walked already"))
                )
                continue
            seen.add(key)
            stack.append((path, rel, ancestors | {key}))


def _scan(
    directory: str,
    rel: str,
    ancestors: frozenset[tuple[int, int]],
    seen: set[tuple[int, int]],
    stack: list[_Pending],
    links: list[_Pending],
    out: list[SourceEntry],
) -> None:
    try:
        with os.scandir(directory) as scan:
            items = list(scan)
    except OSError as exc:
        out.append(SourceEntry(rel or ".", directory, FileIssue(rel or ".", "unreadable", _reason(exc))))
        return
    for item in items:
        child_rel = f"{rel}/{item.name}" if rel else item.name
        try:
            is_dir = item.is_dir()  # follows symlinks
        except OSError:
            is_dir = False
        if not is_dir:
            if item.name.endswith(".java"):
                out.append(_file_entry(item, child_rel))
            continue
        if item.name.startswith("."):
            continue  # .git, .idea, ...
        try:
            key = _dir_key(item.path)
        except OSError as exc:
            out.append(SourceEntry(child_rel, item.path, FileIssue(child_rel, "unreadable", _reason(exc))))
            continue
        if key in ancestors:
            target = os.readlink(item.path) if item.is_symlink() else item.path
            out.append(
                SourceEntry(
                    child_rel, item.path, FileIssue(child_rel, "symlink_loop", f"links back to {target}")
                )
            )
        elif item.is_symlink():
            links.append((item.path, child_rel, ancestors))
        elif key not in seen:
            seen.add(key)
            stack.append((item.path, child_rel, ancestors | {key}))


def _file_entry(item: os.DirEntry[str], rel: str) -> SourceEntry:
    try:
        info = item.stat()  # follows symlinks
    except FileNotFoundError:
        return SourceEntry(rel, item.path, FileIssue(rel, "unreadable", "broken symlink"))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return SourceEntry(rel, item.path, FileIssue(rel, "symlink_loop", _reason(exc)))
        return SourceEntry(rel, item.path, FileIssue(rel, "unreadable", _reason(exc)))
    if not stat.S_ISREG(info.st_mode):
        return SourceEntry(rel, item.path, FileIssue(rel, "unreadable", "not a regular file"))
    return SourceEntry(rel, item.path)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def read_source(
    path: str, rel: str, max_bytes: int, fallback_encoding: str = "cp1252"
) -> SourceText | FileIssue:
    """The decoded text of one file, or the :class:`FileIssue` that says why it is skipped."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                return FileIssue(rel, "too_large", f"{size} bytes > limit of {max_bytes} (--max-file-bytes)")
            # read(size + 1), not read(max_bytes + 1): that would allocate the cap for every file
            data = handle.read(size + 1)
            if len(data) > size:  # it grew since fstat: read on, up to just past the cap
                data += handle.read(max_bytes + 1 - len(data))
    except OSError as exc:
        return FileIssue(rel, "unreadable", _reason(exc))
    if len(data) > max_bytes:
        return FileIssue(rel, "too_large", f"more than {max_bytes} bytes (--max-file-bytes)")
    if not data:
        return FileIssue(rel, "empty", "0 bytes")
    decoded = decode_source(data, fallback_encoding)
    if isinstance(decoded, str):
        return FileIssue(rel, "binary", decoded)
    text, encoding = decoded
    issues: list[FileIssue] = []
    if encoding not in ("utf-8", "utf-8-sig"):
        issues.append(FileIssue(rel, "not_utf8", f"decoded as {encoding}"))
    text, line_endings = normalise_line_endings(text)
    if line_endings not in ("lf", "none"):
        issues.append(FileIssue(rel, "line_endings", f"{line_endings.upper()} line endings normalised to LF"))
    utf8 = data if encoding == "utf-8" and line_endings in ("lf", "none") else None
    return SourceText(text, encoding, line_endings, len(data), tuple(issues), utf8)


def decode_source(data: bytes, fallback_encoding: str = "cp1252") -> tuple[str, str] | str:
    """``(text, encoding)``, or a string saying why the bytes are not text.

    >>> decode_source("café".encode("utf-8")), decode_source("café".encode("cp1252"))
    (('café', 'utf-8'), ('café', 'cp1252'))
    >>> decode_source(codecs.BOM_UTF8 + b"class A {}"), decode_source(b"\\xca\\xfe\\xba\\xbe\\x00\\x00")
    (('class A {}', 'utf-8-sig'), 'NUL bytes in the first 8 KiB (a class file or other binary data?)')
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return "NUL bytes in the first 8 KiB (a class file or other binary data?)"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(fallback_encoding), fallback_encoding
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1"), "latin-1"  # decodes any byte: nothing is lost, nothing stops


def normalise_line_endings(text: str) -> tuple[str, str]:
    """Text with LF line ends, and what the file had: lf, crlf, cr, mixed or none.

    >>> normalise_line_endings("a\\r\\nb\\r\\n"), normalise_line_endings("a\\nb\\r\\n"), normalise_line_endings("a")
    (('a\\nb\\n', 'crlf'), ('a\\nb\\n', 'mixed'), ('a', 'none'))
    """
    if "\r" not in text:
        return text, "lf" if "\n" in text else "none"
    crlf = text.count("\r\n")
    lone_cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    kinds = [name for name, count in (("crlf", crlf), ("cr", lone_cr), ("lf", lf)) if count]
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return normalised, kinds[0] if len(kinds) == 1 else "mixed"
