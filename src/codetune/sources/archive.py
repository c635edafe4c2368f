"""Extract the ``.java`` members of a zip or source jar into a cache entry, safely.

Only ``.java`` files are taken; names that could escape the entry (absolute, drive letters, ``..``),
symbolic links, encrypted and oversized members are skipped and counted in the entry's manifest.
"""

from __future__ import annotations

import hashlib
import stat
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from codetune.errors import InputError
from codetune.sources.cache import (
    CACHE_FORMAT,
    Progress,
    building,
    cache_error,
    no_progress,
    slug,
    write_manifest,
)

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ExtractLimits:
    """Caps that keep a hostile or accidental archive (a zip bomb, a jar of generated code) from filling the disk.

    A member over ``max_member_bytes`` is skipped and counted; exceeding the totals fails the run, because a
    silently truncated codebase would give a misleading dataset. The largest file in the JDK 17 sources is
    under 1 MiB and the whole ``src.zip`` unpacks to about 200 MB, so the defaults leave ample room.
    """

    max_member_bytes: int = 16 * 1024 * 1024
    max_total_bytes: int = 2 * 1024 * 1024 * 1024
    max_members: int = 500_000


def safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path a zip member may be written to, or ``None`` when its name could escape the target.

    Absolute names, drive letters, ``..`` components and control characters are refused rather than
    "fixed", because an archive that contains them was not made by a normal packer.

    >>> safe_member_path("java.base/java/util/List.java")
    PurePosixPath('java.base/java/util/List.java')
    >>> [safe_member_path(n) for n in ("../evil.java", "/etc/x.java", "C:/x.java", "a/../../b.java")]
    [None, None, None, None]
    """
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or any(ord(ch) < 32 for ch in normalized):
        return None
    parts = [part for part in normalized.split("/") if part not in ("", ".")]
    if not parts or ".." in parts or ":" in parts[0]:
        return None
    return PurePosixPath(*parts)


def extract_archive(
    archive: Path,
    *,
    cache_dir: Path,
    member_prefix: str | None = None,
    limits: ExtractLimits | None = None,
    progress: Progress | None = None,
) -> Path:
    """Extract the ``.java`` members of ``archive`` (under ``member_prefix``) into the cache; return the tree.

    The entry is ``<cache_dir>/zip/<stem>-<key>`` where the key hashes the archive's bytes and the prefix,
    so a changed archive gets a new entry and an unchanged one is reused without unpacking. Members keep
    their paths (``java.base/java/util/List.java``). Unsafe names, symlinks, encrypted, oversized and duplicate
    members are skipped and counted in ``.codetune-source.json`` at the top of the tree.
    """
    limits = limits or ExtractLimits()
    report = progress or no_progress
    report("hash archive", 0, 1)
    digest = _sha256_of(archive)
    report("hash archive", 1, 1)
    key = hashlib.sha256(f"{CACHE_FORMAT}\0{digest}\0{member_prefix or ''}".encode()).hexdigest()[:16]
    final = cache_dir / "zip" / f"{slug(archive.stem)}-{key}"
    if final.is_dir():
        return final

    with building(final) as partial:
        counts = _extract_members(archive, partial, member_prefix, limits, report)
        manifest = {
            "kind": "zip",
            "archive": archive.name,
            "sha256": digest,
            "member_prefix": member_prefix,
            "files": counts.pop("extracted", 0),
            "skipped": dict(sorted(counts.items())),
        }
        write_manifest(partial, manifest)
    return final


def _extract_members(
    archive: Path, target: Path, prefix: str | None, limits: ExtractLimits, report: Progress
) -> Counter[str]:
    counts: Counter[str] = Counter()
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_members:
                raise InputError(
                    f"{archive} has {len(infos):,} entries, more than the {limits.max_members:,} allowed",
                    hint="extract the part you need yourself and pass the directory",
                )
            chosen: dict[PurePosixPath, zipfile.ZipInfo] = {}
            for info in infos:
                reason, rel = _classify(info, prefix, chosen)
                if rel is not None:
                    chosen[rel] = info
                elif reason not in ("directory", "outside_prefix"):
                    counts[reason] += 1
            if not chosen:
                raise _nothing_found(archive, prefix, infos)
            total_bytes = 0
            # Sorted order: the same archive always yields the same tree and the same counts.
            ordered = sorted(chosen.items(), key=lambda item: str(item[0]))
            for done, (rel, info) in enumerate(ordered):
                report("extract", done, len(ordered))
                written = _copy_member(zf, info, target / rel, limits, archive)
                if isinstance(written, str):
                    counts[written] += 1
                    continue
                total_bytes += written
                if total_bytes > limits.max_total_bytes:
                    raise InputError(
                        f"{archive} unpacks to more than {limits.max_total_bytes // (1 << 20):,} MiB of .java files",
                        hint="pass archive.zip:some/prefix to take only part of it",
                    )
                counts["extracted"] += 1
            report("extract", len(ordered), len(ordered))
    except zipfile.BadZipFile as exc:
        raise InputError(
            f"{archive} is not a readable zip archive: {exc}",
            hint="check the file is complete (download it again) or pass a directory",
        ) from exc
    if counts["extracted"] == 0:
        raise InputError(
            f"no usable .java files in {archive} ({_describe(counts)})",
            hint="the archive's Java members were all skipped; extract it yourself and pass the directory",
        )
    return counts


def _classify(
    info: zipfile.ZipInfo, prefix: str | None, chosen: dict[PurePosixPath, zipfile.ZipInfo]
) -> tuple[str, PurePosixPath | None]:
    """("", relative path) for a member to extract, or (skip reason, None)."""
    if info.is_dir():
        return "directory", None
    mode = info.external_attr >> 16
    # Unix permission bits live in the high word; a symlink's target is its content, so writing it as a
    # file would be harmless, but following the archive's intent is not, so symlinks are skipped outright.
    if stat.S_ISLNK(mode):
        return "symlink", None
    rel = safe_member_path(info.filename)
    if rel is None:
        return "unsafe_name", None
    if prefix is not None and not (str(rel) == prefix or str(rel).startswith(prefix + "/")):
        return "outside_prefix", None
    if rel.suffix != ".java":
        return "not_java", None
    if rel in chosen:
        return "duplicate", None
    return "", rel


def _copy_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, limits: ExtractLimits, archive: Path
) -> int | str:
    """Write one member; the bytes written, or the reason it was skipped."""
    if info.file_size > limits.max_member_bytes:
        return "too_large"
    if info.flag_bits & 0x1:
        return "encrypted"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with zf.open(info) as src, open(dest, "xb") as out:
            # The header's size can lie (a zip bomb), so the stream itself is counted too.
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > limits.max_member_bytes:
                    break
                out.write(chunk)
        if written > limits.max_member_bytes:
            dest.unlink()
            return "too_large"
        return written
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        # "a/B.java" as a file and "a/B.java/C.java" as a member: the later one loses, deterministically.
        return "path_conflict"
    except NotImplementedError:
        return "unsupported_compression"
    except OSError as exc:
        raise cache_error(dest, exc) from exc
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise InputError(
            f"{archive}: member {info.filename} is corrupt ({exc})",
            hint="check the file is complete (download it again)",
        ) from exc


def _nothing_found(archive: Path, prefix: str | None, infos: list[zipfile.ZipInfo]) -> InputError:
    if prefix is None:
        return InputError(
            f"no .java files in {archive}", hint="is this a source archive? binary jars hold .class files"
        )
    # Show where the Java files are, so a mistyped prefix is easy to fix.
    folders = sorted(
        {
            "/".join(i.filename.split("/")[:-1][:2]) or "(top level)"
            for i in infos
            if i.filename.endswith(".java")
        }
    )
    return InputError(
        f"no .java files under '{prefix}' in {archive}",
        hint=f"the archive's .java files are under e.g.: {', '.join(folders[:5]) or 'nothing'}",
    )


def _describe(counts: Counter[str]) -> str:
    return ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items()) if n) or "nothing to extract"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()
