"""resolve_source: directories, zips (made here, hostile ones included), the JDK's src.zip, git over file://."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from codetune.errors import CodetuneError, InputError
from codetune.sources import (
    MANIFEST_NAME,
    ExtractLimits,
    default_cache_dir,
    extract_archive,
    resolve_source,
)
from support.javac import SRC_ZIP

JAVA = "package p;\n\npublic class {name} {{\n    int size() {{ return 1; }}\n}}\n"


def java_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.java"))


def make_zip(path: Path, members: dict[str, str | bytes], *, symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def sample_zip(tmp_path: Path) -> Path:
    return make_zip(
        tmp_path / "sources.zip",
        {
            "mod.a/p/A.java": JAVA.format(name="A"),
            "mod.a/p/sub/B.java": JAVA.format(name="B"),
            "mod.a/pp/D.java": JAVA.format(name="D"),
            "mod.b/q/C.java": JAVA.format(name="C"),
            "mod.a/p/notes.txt": "not java",
            "META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n",
        },
    )


def test_directory_is_returned_as_is(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "src" / "p").mkdir(parents=True)
    (tmp_path / "src" / "p" / "A.java").write_text(JAVA.format(name="A"))
    assert resolve_source(tmp_path / "src", cache_dir=cache) == tmp_path / "src"
    assert resolve_source(str(tmp_path / "src"), cache_dir=cache) == tmp_path / "src"
    assert not cache.exists(), "a directory needs no cache"


def test_shipped_sample_resolves_to_itself(repo_root: Path, cache: Path) -> None:
    sample = repo_root / "data" / "raw" / "java"
    assert resolve_source(sample, cache_dir=cache) == sample
    assert len(java_files(sample)) >= 25


def test_missing_path_is_a_one_line_input_error_with_hint(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(InputError) as info:
        resolve_source(tmp_path / "nope", cache_dir=cache)
    assert str(info.value) == f"source not found: {tmp_path / 'nope'}"
    assert "\n" not in str(info.value)
    assert info.value.hint and "zip" in info.value.hint and "git" in info.value.hint


def test_empty_argument_and_plain_file_are_rejected(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(InputError, match="no source given"):
        resolve_source("  ", cache_dir=cache)
    text = tmp_path / "A.tar.gz"
    text.write_bytes(b"\x1f\x8b not a zip")
    with pytest.raises(InputError, match="not a directory or a zip/jar archive"):
        resolve_source(text, cache_dir=cache)


def test_archive_url_is_refused_with_a_hint(cache: Path) -> None:
    with pytest.raises(InputError, match="looks like an archive to download") as info:
        resolve_source("https://example.org/dist/lib-1.0-sources.jar", cache_dir=cache)
    assert info.value.hint and "download it first" in info.value.hint
    assert not cache.exists()


def test_zip_java_members_are_extracted_with_their_paths(sample_zip: Path, cache: Path) -> None:
    seen: list[tuple[str, int, int | None]] = []
    root = resolve_source(sample_zip, cache_dir=cache, progress=lambda s, d, t: seen.append((s, d, t)))
    assert root.parent == cache / "zip" and root.name.startswith("sources-")
    assert java_files(root) == ["mod.a/p/A.java", "mod.a/p/sub/B.java", "mod.a/pp/D.java", "mod.b/q/C.java"]
    assert (root / "mod.a/p/A.java").read_text() == JAVA.format(name="A")
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    assert manifest["files"] == 4 and manifest["skipped"] == {"not_java": 2}
    assert manifest["member_prefix"] is None and len(manifest["sha256"]) == 64
    assert ("extract", 4, 4) in seen
    assert not list((cache / "zip").glob(".partial-*"))


def test_jar_of_sources_and_str_path(tmp_path: Path, cache: Path) -> None:
    jar = make_zip(tmp_path / "lib-1.0-sources.jar", {"p/A.java": JAVA.format(name="A")})
    assert java_files(resolve_source(str(jar), cache_dir=cache)) == ["p/A.java"]


def test_member_prefix_filter_keeps_only_that_subtree(sample_zip: Path, cache: Path) -> None:
    root = resolve_source(f"{sample_zip}:mod.a/p/", cache_dir=cache)
    # Component-wise: "mod.a/p" does not take "mod.a/pp".
    assert java_files(root) == ["mod.a/p/A.java", "mod.a/p/sub/B.java"]
    assert json.loads((root / MANIFEST_NAME).read_text())["member_prefix"] == "mod.a/p"
    whole = resolve_source(sample_zip, cache_dir=cache)
    assert whole != root, "a filtered extraction is its own cache entry"
    sub = resolve_source(f"{sample_zip}:mod.a/p/sub", cache_dir=cache)
    assert java_files(sub) == ["mod.a/p/sub/B.java"]


def test_prefix_matching_nothing_names_where_the_java_files_are(sample_zip: Path, cache: Path) -> None:
    with pytest.raises(InputError) as info:
        resolve_source(f"{sample_zip}:java.base/java/util", cache_dir=cache)
    assert "no .java files under 'java.base/java/util'" in str(info.value)
    assert info.value.hint == "the archive's .java files are under e.g.: mod.a/p, mod.a/pp, mod.b/q"
    assert not any((cache / "zip").iterdir()), "a failed extraction leaves nothing behind"


def test_prefix_with_dotdot_and_prefix_on_directory_are_refused(
    sample_zip: Path, tmp_path: Path, cache: Path
) -> None:
    with pytest.raises(InputError, match="'..' is not allowed"):
        resolve_source(f"{sample_zip}:mod.a/../..", cache_dir=cache)
    (tmp_path / "dir.zip").mkdir()
    with pytest.raises(InputError, match="applies only to zip archives"):
        resolve_source(f"{tmp_path / 'dir.zip'}:sub", cache_dir=cache)


def test_traversal_absolute_and_symlink_entries_are_skipped(tmp_path: Path, cache: Path) -> None:
    evil = make_zip(
        tmp_path / "evil.zip",
        {
            "../Escape.java": JAVA.format(name="Escape"),
            "ok/../../Escape2.java": JAVA.format(name="Escape2"),
            "/abs/Abs.java": JAVA.format(name="Abs"),
            "C:/win/Win.java": JAVA.format(name="Win"),
            "..\\back\\Back.java": JAVA.format(name="Back"),
            "good/Good.java": JAVA.format(name="Good"),
        },
        symlinks={"good/Link.java": "/etc/passwd"},
    )
    root = resolve_source(evil, cache_dir=cache)
    assert java_files(root) == ["good/Good.java"]
    assert not any(p.is_symlink() for p in root.rglob("*"))
    # Nothing landed outside the cache entry.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "evil.zip"]
    assert not (cache / "Escape.java").exists() and not Path("/abs/Abs.java").exists()
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    assert manifest["skipped"] == {"symlink": 1, "unsafe_name": 5}


def test_size_caps_skip_large_members_and_refuse_huge_archives(tmp_path: Path, cache: Path) -> None:
    archive = make_zip(
        tmp_path / "big.zip",
        {
            "p/Small.java": JAVA.format(name="Small"),
            "p/Huge.java": "// x\n" * 50_000,
            "p/Mid.java": "x" * 900,
        },
    )
    root = extract_archive(archive, cache_dir=cache, limits=ExtractLimits(max_member_bytes=1000))
    assert java_files(root) == ["p/Mid.java", "p/Small.java"]
    assert json.loads((root / MANIFEST_NAME).read_text())["skipped"] == {"too_large": 1}
    with pytest.raises(InputError, match="unpacks to more than"):
        extract_archive(archive, cache_dir=tmp_path / "c2", limits=ExtractLimits(max_total_bytes=500))
    with pytest.raises(InputError, match="entries, more than"):
        extract_archive(archive, cache_dir=tmp_path / "c3", limits=ExtractLimits(max_members=2))
    assert not any((tmp_path / "c2" / "zip").iterdir())


def test_cache_is_reused_and_keyed_by_content(sample_zip: Path, cache: Path) -> None:
    first = resolve_source(sample_zip, cache_dir=cache)
    marker = first / "p-marker.java"
    marker.write_text("// proves the entry was not rebuilt\n")
    assert resolve_source(sample_zip, cache_dir=cache) == first
    assert marker.exists()
    # Same name, new content: a new entry, the old one untouched.
    make_zip(sample_zip, {"p/Other.java": JAVA.format(name="Other")})
    second = resolve_source(sample_zip, cache_dir=cache)
    assert second != first and java_files(second) == ["p/Other.java"]


def test_interrupted_extraction_leaves_no_cache_entry(sample_zip: Path, cache: Path) -> None:
    def die(stage: str, done: int, total: int | None) -> None:
        if stage == "extract" and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        resolve_source(sample_zip, cache_dir=cache, progress=die)
    assert list((cache / "zip").iterdir()) == []
    # A partial left by a process that was killed outright (no cleanup ran) is removed by the next run.
    dead = cache / "zip" / ".partial-999999999-abc"
    (dead / "p").mkdir(parents=True)
    root = resolve_source(sample_zip, cache_dir=cache)
    assert not dead.exists() and len(java_files(root)) == 4


def test_killed_extraction_leaves_no_entry_and_the_rerun_completes(sample_zip: Path, cache: Path) -> None:
    marker = cache.parent / "half-way"
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from codetune.sources import resolve_source\n"
        "def stall(stage, done, total):\n"
        "    if stage == 'extract' and done == 2:\n"
        "        Path(sys.argv[3]).write_text('x')\n"
        "        time.sleep(60)\n"
        "resolve_source(sys.argv[1], cache_dir=Path(sys.argv[2]), progress=stall)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(sample_zip), str(cache), str(marker)])
    try:
        for _ in range(200):
            if marker.exists() or child.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), "the child never got half-way"
        child.kill()
    finally:
        child.wait()
    left = [p.name for p in (cache / "zip").iterdir()]
    assert len(left) == 1 and left[0].startswith(".partial-"), left
    root = resolve_source(sample_zip, cache_dir=cache)
    assert len(java_files(root)) == 4
    assert [p.name for p in (cache / "zip").iterdir()] == [root.name]


def test_two_runs_racing_on_one_entry_both_get_the_complete_one(sample_zip: Path, cache: Path) -> None:
    other: list[Path] = []

    def other_run_finishes_first(stage: str, done: int, total: int | None) -> None:
        # While this run is half-way, a second run builds and publishes the same entry.
        if stage == "extract" and done == 1 and not other:
            other.append(resolve_source(sample_zip, cache_dir=cache))

    mine = resolve_source(sample_zip, cache_dir=cache, progress=other_run_finishes_first)
    assert other == [mine]
    assert len(java_files(mine)) == 4
    assert [p.name for p in (cache / "zip").iterdir()] == [mine.name], "the loser's partial is removed"


def test_corrupt_zip_is_an_input_error(tmp_path: Path, sample_zip: Path, cache: Path) -> None:
    data = bytearray(sample_zip.read_bytes())
    offset = data.index(b"package p") if b"package p" in data else 40
    data[offset : offset + 8] = b"XXXXXXXX"
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    with pytest.raises(InputError, match="broken.zip"):
        resolve_source(broken, cache_dir=cache)
    assert not any((cache / "zip").iterdir())


def test_unusable_cache_is_a_clear_error(sample_zip: Path, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(CodetuneError) as info:
        resolve_source(sample_zip, cache_dir=tmp_path / "a-file" / "cache")
    assert str(info.value).startswith("cannot write the source cache at")
    assert "XDG_CACHE_HOME" in (info.value.hint or "")


def test_read_only_cache_is_a_clear_error(sample_zip: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(CodetuneError) as info:
            resolve_source(sample_zip, cache_dir=ro / "cache")
        assert "source cache" in str(info.value) and "XDG_CACHE_HOME" in (info.value.hint or "")
    finally:
        ro.chmod(0o700)


def test_default_cache_dir_follows_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sample_zip: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "codetune" / "sources"
    root = resolve_source(sample_zip)
    assert root.is_relative_to(tmp_path / "xdg" / "codetune" / "sources" / "zip")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "codetune" / "sources"


@pytest.mark.skipif(not SRC_ZIP.is_file(), reason="openjdk-17-source is not installed")
def test_jdk_src_zip_with_module_prefix(cache: Path) -> None:
    root = resolve_source(f"{SRC_ZIP}:java.base/java/util/function", cache_dir=cache)
    files = java_files(root)
    assert "java.base/java/util/function/Function.java" in files
    assert all(f.startswith("java.base/java/util/function/") for f in files)
    assert "interface Function<T, R>" in (root / "java.base/java/util/function/Function.java").read_text()


# --- git -----------------------------------------------------------------------------------------------------

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, **GIT_ENV)
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "origin"
    (repo / "src/main/java/p").mkdir(parents=True)
    git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "src/main/java/p/A.java").write_text(JAVA.format(name="A"))
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "one")
    git(repo, "tag", "v1")
    (repo / "src/main/java/p/B.java").write_text(JAVA.format(name="B"))
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "two")
    return repo


def test_local_git_work_tree_is_just_a_directory(origin: Path, cache: Path) -> None:
    assert resolve_source(origin, cache_dir=cache) == origin


def test_git_file_url_is_shallow_cloned_into_the_cache_and_reused(origin: Path, cache: Path) -> None:
    url = origin.as_uri()
    root = resolve_source(url, cache_dir=cache)
    assert root.parent == cache / "git" and root.name.startswith("origin-")
    assert java_files(root) == ["src/main/java/p/A.java", "src/main/java/p/B.java"]
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1", "a shallow clone"
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    assert manifest["commit"] == git(origin, "rev-parse", "HEAD").strip()
    assert git(root, "remote", "get-url", "origin").strip() == url
    # New commits upstream do not change a cached clone: same URL + ref -> same tree.
    (origin / "src/main/java/p/C.java").write_text(JAVA.format(name="C"))
    git(origin, "add", ".")
    git(origin, "commit", "--quiet", "-m", "three")
    assert resolve_source(url, cache_dir=cache) == root
    assert not (root / "src/main/java/p/C.java").exists()


def test_git_ref_after_hash_selects_tag_branch_or_commit(origin: Path, cache: Path) -> None:
    url = origin.as_uri()
    tagged = resolve_source(f"{url}#v1", cache_dir=cache)
    assert java_files(tagged) == ["src/main/java/p/A.java"]
    first_commit = git(origin, "rev-parse", "v1").strip()
    by_commit = resolve_source(f"{url}#{first_commit}", cache_dir=cache)
    assert java_files(by_commit) == ["src/main/java/p/A.java"]
    assert len({tagged, by_commit, resolve_source(f"{url}#main", cache_dir=cache)}) == 3


def test_git_missing_ref_and_missing_repo_are_input_errors(origin: Path, tmp_path: Path, cache: Path) -> None:
    with pytest.raises(InputError, match="ref 'nope' not found"):
        resolve_source(f"{origin.as_uri()}#nope", cache_dir=cache)
    with pytest.raises(InputError, match="no git repository at file://"):
        resolve_source((tmp_path / "absent").as_uri(), cache_dir=cache)
    assert list((cache / "git").iterdir()) == []


def test_unreachable_git_host_says_there_is_no_network(cache: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    # Port 1 on loopback refuses at once, with or without a network; the token must not leak.
    with pytest.raises(InputError) as info:
        resolve_source("https://user:s3cret-token@127.0.0.1:1/team/repo.git", cache_dir=cache)
    message = str(info.value)
    assert message.startswith("cannot reach https://***@127.0.0.1:1/team/repo.git (no network access?): ")
    assert "\n" not in message and "s3cret" not in message and "s3cret" not in (info.value.hint or "")
    assert list((cache / "git").iterdir()) == []
