"""javac's parser as an independent count of declarations (see CountDeclarations.java here).

``compile_counter`` builds the helper once into a directory; ``javac_counts`` runs it over files
under a source root and returns ``{(relative file, dotted type name): [(kind, methods, ctors, fields)]}``.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "CountDeclarations.java"
SRC_ZIP = Path("/usr/lib/jvm/openjdk-17/lib/src.zip")

Counts = dict[tuple[str, str], list[tuple[str, int, int, int]]]


def tools_missing() -> str | None:
    """Why the javac cross-check cannot run here, or None when it can."""
    for tool in ("javac", "java"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (CI installs openjdk-17-jdk-headless)"
    return None


def compile_counter(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "-d", str(out_dir), str(SOURCE)], check=True, capture_output=True, timeout=120)
    return out_dir


def javac_counts(classes: Path, root: Path, files: list[str], work_dir: Path) -> Counts:
    listing = work_dir / "files.txt"
    listing.write_text("\n".join(files) + "\n", encoding="utf-8")
    run = subprocess.run(
        ["java", "-cp", str(classes), "CountDeclarations", str(root), str(listing)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    counts: Counts = defaultdict(list)
    for line in run.stdout.decode("utf-8").splitlines():
        file, name, kind, methods, constructors, fields = line.split("\t")
        counts[(file, name)].append((kind, int(methods), int(constructors), int(fields)))
    return {key: sorted(value) for key, value in counts.items()}


def unzip_jdk(target: Path, prefixes: tuple[str, ...] = ("",), src_zip: Path = SRC_ZIP) -> list[str]:
    """Unpack the ``.java`` files under ``prefixes`` (all of them by default) of the JDK's src.zip;
    their paths, relative."""
    names = []
    with zipfile.ZipFile(src_zip) as archive:
        for name in archive.namelist():
            if name.endswith(".java") and name.startswith(prefixes):
                archive.extract(name, target)
                names.append(name)
    return sorted(names)
