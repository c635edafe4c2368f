"""Shallow-clone a git URL into a cache entry, without ever prompting for credentials."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from codetune.errors import InputError
from codetune.sources.cache import CACHE_FORMAT, Progress, building, no_progress, slug, write_manifest

_GIT_TIMEOUT_S = 900
_NETWORK_PATTERNS = (
    "could not resolve host",
    "could not resolve hostname",
    "network is unreachable",
    "connection refused",
    "connection timed out",
    "operation timed out",
    "failed to connect",
    "no route to host",
    "temporary failure in name resolution",
)
_COMMIT = re.compile(r"^[0-9a-fA-F]{7,40}$")


def clone_git(url: str, ref: str | None = None, *, cache_dir: Path, progress: Progress | None = None) -> Path:
    """Shallow-clone ``url`` at ``ref`` (default branch when ``None``) into the cache; return the work tree.

    The entry ``<cache_dir>/git/<name>-<key>`` is keyed by the URL (credentials removed) and the ref and is
    reused as it is on rerun: delete it to pick up new commits of a branch. Never prompts for credentials.
    """
    report = progress or no_progress
    shown = redact_url(url)
    key = hashlib.sha256(f"{CACHE_FORMAT}\0{shown}\0{ref or ''}".encode()).hexdigest()[:16]
    name = slug(re.sub(r"\.git$", "", url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]))
    final = cache_dir / "git" / f"{name}-{key}"
    if final.is_dir():
        return final
    if shutil.which("git") is None:
        raise InputError(
            "git is not installed, so a git URL cannot be cloned",
            hint="install git, or clone the repository yourself and pass its directory",
        )

    report("clone", 0, None)
    with building(final) as partial:
        if ref is not None and _COMMIT.match(ref):
            # `clone --branch` takes only branches and tags; a commit is fetched by id into an empty repo.
            _git(["init", "--quiet", str(partial)], shown, ref)
            _git(["-C", str(partial), "fetch", "--quiet", "--depth", "1", "--", url, ref], shown, ref)
            _git(["-C", str(partial), "checkout", "--quiet", "--detach", "FETCH_HEAD"], shown, ref)
            # FETCH_HEAD names the URL it came from; nothing reads it after the checkout.
            (partial / ".git" / "FETCH_HEAD").unlink(missing_ok=True)
        else:
            branch = ["--branch", ref] if ref else []
            _git(["clone", "--quiet", "--depth", "1", *branch, "--", url, str(partial)], shown, ref)
            # clone writes the URL as given into .git/config; a token in it must not stay on disk.
            _git(["-C", str(partial), "remote", "set-url", "origin", shown], shown, ref)
        commit = _git(["-C", str(partial), "rev-parse", "HEAD"], shown, ref).strip()
        write_manifest(partial, {"kind": "git", "url": shown, "ref": ref, "commit": commit})
    report("clone", 1, 1)
    return final


def _git(args: list[str], shown_url: str, ref: str | None) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="", SSH_ASKPASS="", LC_ALL="C")
    try:
        done = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=_GIT_TIMEOUT_S,
            check=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise InputError(
            f"git gave up on {shown_url} after {_GIT_TIMEOUT_S} s",
            hint="check the network, or clone it yourself and pass the directory",
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise _git_error(exc.stderr or "", shown_url, ref) from exc
    return done.stdout


def _git_error(stderr: str, shown_url: str, ref: str | None) -> InputError:
    lines = [redact_url(line.strip()) for line in stderr.splitlines() if line.strip()]
    # git ends with generic advice ("Please make sure ... and the repository exists."); the first
    # fatal/ssh/error line is the one that says what actually went wrong.
    cause = next((line for line in lines if line.startswith(("fatal: ", "ssh: ", "error: "))), None)
    fallback = lines[-1] if lines else "no output"
    last = cause.split(": ", 1)[1] if cause is not None else fallback
    text = stderr.lower()
    if any(pattern in text for pattern in _NETWORK_PATTERNS):
        return InputError(
            f"cannot reach {shown_url} (no network access?): {last}",
            hint="connect to the network, or clone the repository elsewhere and pass its directory",
        )
    if "returned error: 40" in text:
        return InputError(
            f"no git repository at {shown_url}, or no access to it ({last})",
            hint="check the URL and that your git credentials give access (no password is asked for)",
        )
    if ref is not None and (
        "not found in upstream" in text or "couldn't find remote ref" in text or "remote branch" in text
    ):
        return InputError(
            f"ref '{ref}' not found in {shown_url}", hint="check the branch, tag or commit after '#'"
        )
    if (
        "does not appear to be a git repository" in text
        or "repository not found" in text
        or "does not exist" in text
        or "could not read from remote" in text
    ):
        return InputError(
            f"no git repository at {shown_url} ({last})",
            hint="check the URL and that you have access to it (no password is asked for)",
        )
    return InputError(
        f"git failed on {shown_url}: {last}", hint="clone the repository yourself and pass its directory"
    )


def redact_url(url: str) -> str:
    """``url`` with any user:password (a token) replaced, for messages and cache keys.

    >>> redact_url("https://bob:ghp_secret@github.com/o/r.git")
    'https://***@github.com/o/r.git'
    >>> redact_url("git@github.com:o/r.git")
    'git@github.com:o/r.git'
    """
    return re.sub(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@", r"\1***@", url)
